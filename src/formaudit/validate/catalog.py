"""The words of every finding code (rules.toml) and the one way a finding is built.

The bottom of the validator: the checks build findings here, and the registry (rules.py)
pairs each code's words with its check. Exports read the words through the registry.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from formaudit.record import Finding

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class RuleWords:
    code: str
    severity: str  # "error" | "warning", as the contract's table sets it
    name: dict[str, str]  # the problem in a few words, per language
    rule: dict[str, str]  # the rule in words, per language
    expected: dict[str, str]  # what the finding's `expected` value is, per language
    messages: dict[str, dict[str, str]]  # case -> language -> template of the message


def _load() -> dict[str, RuleWords]:
    data = tomllib.loads(resources.files("formaudit.validate").joinpath("rules.toml").read_text(encoding="utf-8"))
    words = {}
    for code, entry in data.items():  # tomllib keeps the file's order: the contract's
        if entry["severity"] not in ("error", "warning"):
            raise ValueError(f"rules.toml: {code} has severity {entry['severity']!r}")
        for field in ("name", "rule", "expected", *(f"messages.{m}" for m in entry["messages"])):
            value = entry["messages"][field[9:]] if field.startswith("messages.") else entry[field]
            if set(value) != set(LANGUAGES):
                raise ValueError(f"rules.toml: {code}.{field} must give exactly {LANGUAGES}")
        words[code] = RuleWords(code, entry["severity"], entry["name"], entry["rule"], entry["expected"], entry["messages"])
    return words


WORDS: dict[str, RuleWords] = _load()

# The language messages are written in. Records hold English messages (the contract's); the
# report and the workbook re-audit a form with this set to "zh" to show the same findings in Chinese.
MESSAGE_LANGUAGE: ContextVar[str] = ContextVar("message_language", default="en")


def say(code: str, case: str, **fields) -> str:
    """A finding's message from its template in rules.toml, in MESSAGE_LANGUAGE."""
    return WORDS[code].messages[case][MESSAGE_LANGUAGE.get()].format(**fields)


def finding(code: str, path: str, expected, found, message: str, involved: Iterable[str] = ()) -> Finding:
    return Finding(code=code, severity=WORDS[code].severity, path=path, expected=expected, found=found, message=message,
                   involved=sorted(set(involved) | {path}))


def as_json_number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)
