"""The rule registry: every finding code of FORM-RECORD.md with its severity, its words and its check.

One table serves the validator, the HTML report, the Excel workbook, `audit`'s table and the
README: the words and severities are data (rules.toml), each code's check is the function of
the same name in funding.py or indicators.py. The rules read the record alone (no PDF), so a
record edited by hand can be re-audited. Every finding names the cells it rests on
(`involved`), which the report outlines and from which a low OCR confidence makes it `uncertain`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from formaudit.record import CellRef, Finding, Form
from formaudit.validate import funding, indicators
from formaudit.validate.catalog import LANGUAGES, MESSAGE_LANGUAGE, WORDS

OCR_CONFIDENCE_THRESHOLD = 0.9


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    name: dict[str, str]
    rule: dict[str, str]
    expected: dict[str, str]
    check: Callable[[Form], list[Finding]]


def _check_of(code: str) -> Callable[[Form], list[Finding]]:
    for module in (funding, indicators):
        check = getattr(module, code.lower(), None)
        if check is not None:
            return check
    raise LookupError(f"rules.toml names {code} but no check {code.lower()}() exists")


RULES: tuple[Rule, ...] = tuple(Rule(w.code, w.severity, w.name, w.rule, w.expected, _check_of(w.code)) for w in WORDS.values())
BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}
SEVERITY: dict[str, str] = {r.code: r.severity for r in RULES}


def confirmed(cell: CellRef) -> bool:
    """A cell of a searchable scan whose own text layer read the same text as the OCR: two readers agree."""
    return (cell.model_extra or {}).get("confirmed_by_text_layer") is True


def mark_uncertain(form: Form, found: Finding) -> Finding:
    """A finding that rests on a cell read by OCR below the threshold says so, with the lowest confidence. A cell
    the page's text layer confirmed is not in doubt, whatever the engine's confidence."""
    confidences = [form.cells[p].confidence for p in getattr(found, "involved", [])
                   if p in form.cells and not confirmed(form.cells[p])]
    if confidences and min(confidences) < OCR_CONFIDENCE_THRESHOLD:
        found.uncertain = True
        found.confidence = round(min(confidences), 4)
    return found


def audit(form: Form) -> list[Finding]:
    """Every finding for a form, in the order of the contract's table."""
    return [mark_uncertain(form, f) for rule in RULES for f in rule.check(form)]


def messages_in(form: Form, lang: str) -> dict[tuple[str, str, str], str]:
    """The form's findings' messages in `lang`, keyed by (code, path, the record's English message).

    A record's stored findings are matched by that key, so a finding the current rules would not
    write the same way (an older record, one edited by hand) keeps its own message.
    """
    english = [f for rule in RULES for f in rule.check(form)]
    token = MESSAGE_LANGUAGE.set(lang)
    try:
        other = [f for rule in RULES for f in rule.check(form)]
    finally:
        MESSAGE_LANGUAGE.reset(token)
    return {(a.code, a.path, a.message): b.message for a, b in zip(english, other)}


def markdown_table() -> str:
    """The README's table of findings, made from the registry."""
    lines = ["| code | severity | 问题 | rule |", "|---|---|---|---|"]
    lines += [f"| `{r.code}` | {r.severity} | {r.name['zh']} | {r.rule['en']} |" for r in RULES]
    return "\n".join(lines) + "\n"


__all__ = ["BY_CODE", "LANGUAGES", "RULES", "SEVERITY", "Rule", "audit", "markdown_table", "mark_uncertain", "messages_in"]

if __name__ == "__main__":
    print(markdown_table(), end="")
