"""The audit rules of FORM-RECORD.md: each a function from a form record to findings.

The rules read the record alone (no PDF), so a record edited by hand can be re-audited.
Every finding names the cells it rests on (`involved`), which the report outlines and
from which a low OCR confidence makes a finding `uncertain`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import Decimal

from formaudit.normalize.numbers import parse_number
from formaudit.record import Finding, Form, FundingRow
from formaudit.validate.precision import dec, format_number, format_percent, printed, round_half_up

OCR_CONFIDENCE_THRESHOLD = 0.9
SEVERITY = {
    "RATE_MISMATCH": "error", "SCORE_MISMATCH": "error", "TOTAL_MISMATCH": "error", "WEIGHT_SUM_MISMATCH": "error",
    "SCORE_EXCEEDS_WEIGHT": "error", "FUNDING_SUM_MISMATCH": "error", "EXECUTED_EXCEEDS_BUDGET": "warning",
    "MISSING_DEVIATION_REASON": "warning", "UNREADABLE_VALUE": "warning", "INDICATOR_SCORE_INCONSISTENT": "warning",
    "LEVEL1_WEIGHT_MISMATCH": "warning", "ZERO_BUDGET_RATE": "warning", "UNFILLED_FORM": "warning",
    "TARGET_AS_ACTUAL": "warning",
}


def finding(code: str, path: str, expected, found, message: str, involved: Iterable[str] = ()) -> Finding:
    return Finding(code=code, severity=SEVERITY[code], path=path, expected=expected, found=found, message=message,
                   involved=sorted(set(involved) | {path}))


def as_json_number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


# ---------------------------------------------------------------- funding grid


def uses_transfer(form: Form) -> bool:
    """(B−C)/A when the header prints that formula, or a transfer column exists (unless B/A is printed)."""
    basis = getattr(form, "rate_basis", None)
    if basis:
        return "C" in basis
    return any(r.transfer is not None for r in form.funding) or any(p.endswith("/transfer") for p in form.cells)


def recomputed_rate(form: Form, row: FundingRow) -> tuple[Decimal, str] | None:
    """The execution rate from the amounts, and the formula shown in messages."""
    if row.budget is None or row.executed is None or row.budget == 0:
        return None
    if uses_transfer(form):
        transfer = row.transfer or 0
        formula = f"({format_number(dec(row.executed))}-{format_number(dec(transfer))})/{format_number(dec(row.budget))}"
        return (dec(row.executed) - dec(transfer)) / dec(row.budget), formula
    return dec(row.executed) / dec(row.budget), f"{format_number(dec(row.executed))}/{format_number(dec(row.budget))}"


def _amount_paths(i: int) -> list[str]:
    return [f"/funding/{i}/{f}" for f in ("budget", "executed", "transfer")]


def rate_mismatch(form: Form) -> list[Finding]:
    out = []
    for i, row in enumerate(form.funding):
        rate = recomputed_rate(form, row)
        if row.rate is None or rate is None:
            continue
        value, formula = rate
        path = f"/funding/{i}/rate"
        p = printed(form, path, row.rate)
        if not p.matches(value):
            shown = p.text if p.percent or "%" in p.text else format_percent(p.value, max(0, p.decimals - 2))
            # The recomputed rate is shown rounded half-up to the printed precision, the contract's rule
            # (1689.4/1763 = 0.958253 is shown 95.83%).
            out.append(finding("RATE_MISMATCH", path, as_json_number(round_half_up(value, max(4, p.decimals))), row.rate,
                               f"执行率 printed {shown} but {formula} = {format_percent(value, max(2, p.decimals - 2))}",
                               _amount_paths(i)))
    return out


def score_mismatch(form: Form) -> list[Finding]:
    out = []
    for i, row in enumerate(form.funding):
        rate = recomputed_rate(form, row)
        if row.score is None or row.weight is None or rate is None:
            continue
        value, formula = rate
        expected = dec(row.weight) * min(value, Decimal(1))
        path = f"/funding/{i}/score"
        p = printed(form, path, row.score)
        if not p.matches(expected):
            out.append(finding("SCORE_MISMATCH", path, as_json_number(round_half_up(expected, max(2, p.decimals))), row.score,
                               f"得分 printed {p.text} but 分值 {format_number(dec(row.weight))} × min({formula}, 1) = "
                               f"{format_number(expected, max(2, p.decimals))}",
                               _amount_paths(i) + [f"/funding/{i}/weight"]))
    return out


def zero_budget_rate(form: Form) -> list[Finding]:
    out = []
    for i, row in enumerate(form.funding):
        if row.budget == 0 and row.rate is not None:
            path = f"/funding/{i}/rate"
            out.append(finding("ZERO_BUDGET_RATE", path, None, row.rate,
                               f"执行率 printed {printed(form, path, row.rate).text} for a budget of 0: there is no rate to print",
                               [f"/funding/{i}/budget"]))
    return out


def executed_exceeds_budget(form: Form) -> list[Finding]:
    out = []
    for i, row in enumerate(form.funding):
        if row.budget is not None and row.executed is not None and dec(row.executed) > dec(row.budget):
            out.append(finding("EXECUTED_EXCEEDS_BUDGET", f"/funding/{i}/executed", row.budget, row.executed,
                               f"{row.label}: 执行数 {format_number(dec(row.executed))} exceeds 预算数 {format_number(dec(row.budget))}",
                               [f"/funding/{i}/budget"]))
    return out


COMPONENTS = ("fiscal", "carryover", "other")


def funding_sum_mismatch(form: Form) -> list[Finding]:
    out = []
    totals = [i for i, r in enumerate(form.funding) if r.source == "total"]
    if not totals:
        return out
    t = totals[0]
    parts = [i for i, r in enumerate(form.funding) if r.source in COMPONENTS]
    for column in ("initial_budget", "budget", "executed", "transfer"):
        total_value = getattr(form.funding[t], column)
        if total_value is None:
            continue
        present = [i for i in parts if getattr(form.funding[i], column) is not None]
        if not present:
            continue
        addends = [printed(form, f"/funding/{i}/{column}", getattr(form.funding[i], column)) for i in present]
        total_sum = sum((a.value for a in addends), Decimal(0))
        tolerance = sum((a.half_unit for a in addends), Decimal(0))
        total_dec = dec(total_value)
        all_printed = {form.funding[i].source for i in present} >= set(COMPONENTS)
        exceeds = total_sum - total_dec > tolerance
        differs = all_printed and abs(total_sum - total_dec) > tolerance
        if exceeds or differs:
            path = f"/funding/{t}/{column}"
            words = " + ".join(f"{form.funding[i].label} {a.text}" for i, a in zip(present, addends))
            verb = "exceed" if exceeds else "do not add up to"
            out.append(finding("FUNDING_SUM_MISMATCH", path, as_json_number(total_sum), total_value,
                               f"{column}: {words} = {format_number(total_sum)}, which {verb} the total {format_number(total_dec)}",
                               [f"/funding/{i}/{column}" for i in present]))
    return out


# ---------------------------------------------------------------- totals


def _scored_paths(form: Form, field: str) -> list[tuple[str, float | int]]:
    out = [(f"/funding/{i}/{field}", getattr(r, field)) for i, r in enumerate(form.funding)]
    out += [(f"/indicators/{i}/{field}", getattr(r, field)) for i, r in enumerate(form.indicators)]
    return [(p, v) for p, v in out if v is not None]


def total_mismatch(form: Form) -> list[Finding]:
    if form.total is None or form.total.score is None:
        return []
    addends = _scored_paths(form, "score")
    if not addends:
        return []
    read = [printed(form, p, v) for p, v in addends]
    total_sum = sum((a.value for a in read), Decimal(0))
    tolerance = sum((a.half_unit for a in read), Decimal(0))
    p = printed(form, "/total/score", form.total.score)
    if abs(total_sum - p.value) > tolerance:
        return [finding("TOTAL_MISMATCH", "/total/score", as_json_number(total_sum), form.total.score,
                        f"总分 得分 is {p.text} but the {len(read)} scores printed add up to {format_number(total_sum)}",
                        [path for path, _ in addends])]
    return []


def weight_sum_mismatch(form: Form) -> list[Finding]:
    if form.total is None or form.total.weight is None:
        return []
    addends = _scored_paths(form, "weight")
    if not addends:
        return []
    total_sum = sum((dec(v) for _, v in addends), Decimal(0))
    if total_sum != dec(form.total.weight):
        return [finding("WEIGHT_SUM_MISMATCH", "/total/weight", as_json_number(total_sum), form.total.weight,
                        f"总分 分值 is {format_number(dec(form.total.weight))} but the weights printed add up to "
                        f"{format_number(total_sum)}", [p for p, _ in addends])]
    return []


def score_exceeds_weight(form: Form) -> list[Finding]:
    rows = [(f"/funding/{i}", r.weight, r.score) for i, r in enumerate(form.funding)]
    rows += [(f"/indicators/{i}", r.weight, r.score) for i, r in enumerate(form.indicators)]
    if form.total is not None:
        rows.append(("/total", form.total.weight, form.total.score))
    out = []
    for base, weight, score in rows:
        if weight is not None and score is not None and dec(score) > dec(weight):
            out.append(finding("SCORE_EXCEEDS_WEIGHT", f"{base}/score", weight, score,
                               f"得分 {format_number(dec(score))} is above its 分值 {format_number(dec(weight))}", [f"{base}/weight"]))
    return out


# ---------------------------------------------------------------- indicators

_LEVEL1_WEIGHT = re.compile(r"(\d+(?:\.\d+)?)\s*分")


def level1_weight_mismatch(form: Form) -> list[Finding]:
    out = []
    i = 0
    while i < len(form.indicators):
        label = form.indicators[i].level1_label
        j = i
        while j < len(form.indicators) and form.indicators[j].level1_label == label:
            j += 1
        m = _LEVEL1_WEIGHT.search(unicodedata.normalize("NFKC", label or ""))
        if m:
            declared = Decimal(m.group(1))
            weights = [dec(r.weight) for r in form.indicators[i:j] if r.weight is not None]
            if weights and sum(weights) != declared:
                path = f"/indicators/{i}/level1_label"
                out.append(finding("LEVEL1_WEIGHT_MISMATCH", path, as_json_number(sum(weights)), as_json_number(declared),
                                   f"{label} declares {format_number(declared)} points but its {j - i} rows weigh "
                                   f"{format_number(sum(weights))}", [f"/indicators/{k}/weight" for k in range(i, j)]))
        i = j
    return out


def _blank(text: str | None) -> bool:
    return parse_number(text).empty if text is not None else True


def missing_deviation_reason(form: Form) -> list[Finding]:
    out = []
    for i, r in enumerate(form.indicators):
        if r.weight is None or r.score is None or dec(r.score) >= dec(r.weight):
            continue
        if _blank(r.reason) and _blank(r.measures):
            out.append(finding("MISSING_DEVIATION_REASON", f"/indicators/{i}/reason", "a reason", r.reason,
                               f"{r.name or '指标'} scored {format_number(dec(r.score))} of {format_number(dec(r.weight))} "
                               "with no deviation reason given", [f"/indicators/{i}/score", f"/indicators/{i}/weight"]))
    return out


_PLACEHOLDER = re.compile(r"^(指标\s*\d+\s*[:：]?\s*)?[.…。·]{2,}$|^指标\s*\d+\s*[:：]|……")


def unfilled_form(form: Form) -> list[Finding]:
    out = []
    for i, r in enumerate(form.indicators):
        base = f"/indicators/{i}"
        placeholder = next((f for f in ("name", "content", "target", "actual") if getattr(r, f) and _PLACEHOLDER.search(getattr(r, f))),
                           None)
        if placeholder:
            out.append(finding("UNFILLED_FORM", f"{base}/{placeholder}", None, getattr(r, placeholder),
                               f"template placeholder {getattr(r, placeholder)!r} left in"))
        elif (r.name or r.target) and r.actual is None:
            out.append(finding("UNFILLED_FORM", f"{base}/actual", None, None, f"{r.name or '指标'}: 完成值 left blank"))
        elif r.weight is not None and r.score is None:
            out.append(finding("UNFILLED_FORM", f"{base}/score", None, None, f"{r.name or '指标'}: 得分 left blank"))
    for i, r in enumerate(form.funding):
        if r.weight is not None and r.score is None and r.source == "total":
            out.append(finding("UNFILLED_FORM", f"/funding/{i}/score", None, None, f"{r.label}: 得分 left blank"))
    if form.total is not None and form.total.weight is not None and form.total.score is None:
        out.append(finding("UNFILLED_FORM", "/total/score", None, None, "总分 得分 left blank"))
    return out


_OPERATORS = {
    "≥": ">=", ">=": ">=", "不低于": ">=", "不少于": ">=", "大于等于": ">=", "达到": ">=", "": ">=",
    ">": ">", "大于": ">", "高于": ">",
    "≤": "<=", "<=": "<=", "不高于": "<=", "不超过": "<=", "小于等于": "<=", "低于": "<", "<": "<", "小于": "<",
    "=": "=", "﹦": "=", "＝": "=", "等于": "=",
}
_QUANTITY = re.compile(r"^(?P<prefix>\D*?)(?P<number>\d+(?:\.\d+)?)(?P<unit>\D*)$")


def quantity(text: str | None) -> tuple[str, Decimal, str] | None:
    """A printed value with exactly one number: (prefix, number, unit)."""
    if not text:
        return None
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace(",", "")
    m = _QUANTITY.match(t)
    return (m["prefix"], Decimal(m["number"]), m["unit"]) if m else None


def _met(op: str, actual: Decimal, target: Decimal) -> bool:
    return {">=": actual >= target, ">": actual > target, "<=": actual <= target, "<": actual < target, "=": actual == target}[op]


def indicator_score_inconsistent(form: Form) -> list[Finding]:
    out = []
    for i, r in enumerate(form.indicators):
        if r.weight is None or r.score is None or r.weight == 0:
            continue
        target, actual = quantity(r.target), quantity(r.actual)
        if not target or not actual:
            continue
        op = _OPERATORS.get(target[0])
        units_match = target[2] == actual[2] or (target[2] and actual[2].startswith(target[2]))
        if op is None or not units_match:
            continue
        weight, score = dec(r.weight), dec(r.score)
        path = f"/indicators/{i}/score"
        involved = [f"/indicators/{i}/weight", f"/indicators/{i}/target", f"/indicators/{i}/actual"]
        what = f"{r.name or '指标'} (目标值 {r.target}, 完成值 {r.actual})"
        if _met(op, actual[1], target[1]):
            if score < weight:
                out.append(finding("INDICATOR_SCORE_INCONSISTENT", path, r.weight, r.score,
                                   f"{what} met its target but scored {format_number(score)} of {format_number(weight)}", involved))
            continue
        if score >= weight:
            out.append(finding("INDICATOR_SCORE_INCONSISTENT", path, None, r.score,
                               f"{what} missed its target but was given full marks ({format_number(score)})", involved))
            continue
        if op in (">=", ">") and target[1] > 0:
            ratio = actual[1] / target[1]
        elif op in ("<=", "<") and actual[1] > 0:
            ratio = target[1] / actual[1]
        else:
            continue
        expected = min(weight * ratio, weight)
        p = printed(form, path, r.score)
        if not p.matches(expected):
            out.append(finding("INDICATOR_SCORE_INCONSISTENT", path, as_json_number(round_half_up(expected, max(2, p.decimals))),
                               r.score, f"{what} scored {p.text}; in proportion to its result it would be "
                                        f"{format_number(expected, max(2, p.decimals))}", involved))
    return out


def target_as_actual(form: Form) -> list[Finding]:
    out = []
    for i, r in enumerate(form.indicators):
        if not r.actual or not r.target:
            continue
        a = re.sub(r"\s+", "", unicodedata.normalize("NFKC", r.actual))
        t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", r.target))
        if a == t and re.match(r"^(≥|≤|>|<|=|﹦|不低于|不少于|不高于|不超过)", a):
            out.append(finding("TARGET_AS_ACTUAL", f"/indicators/{i}/actual", "the value achieved", r.actual,
                               f"完成值 {r.actual} repeats the target with its operator instead of the value achieved",
                               [f"/indicators/{i}/target"]))
    return out


_NUMBER_FIELDS = ("initial_budget", "budget", "executed", "transfer", "weight", "rate", "score")


def unreadable_value(form: Form) -> list[Finding]:
    """A cell read for a number column that holds no number (and is no empty marker)."""
    out = []
    data = form.model_dump()
    for path, cell in form.cells.items():
        parts = path.strip("/").split("/")
        if parts[-1] not in _NUMBER_FIELDS or parts[0] not in ("funding", "indicators", "total"):
            continue
        value = _resolve(data, parts)
        parsed = parse_number(cell.text, percent_header=bool(getattr(cell, "percent", False)))
        if value is None and not parsed.empty and parsed.value is None:
            out.append(finding("UNREADABLE_VALUE", path, "a number", cell.text, f"cannot read {cell.text!r} as a number"))
    return out


def _resolve(data, parts: list[str]):
    for part in parts:
        if isinstance(data, list):
            idx = int(part)
            data = data[idx] if idx < len(data) else None
        elif isinstance(data, dict):
            data = data.get(part)
        if data is None:
            return None
    return data


RULES: list[Callable[[Form], list[Finding]]] = [
    rate_mismatch, score_mismatch, total_mismatch, weight_sum_mismatch, score_exceeds_weight, funding_sum_mismatch,
    executed_exceeds_budget, missing_deviation_reason, unreadable_value, indicator_score_inconsistent,
    level1_weight_mismatch, zero_budget_rate, unfilled_form, target_as_actual,
]


def mark_uncertain(form: Form, found: Finding) -> Finding:
    """A finding that rests on a cell read by OCR below the threshold says so, with the lowest confidence."""
    confidences = [form.cells[p].confidence for p in getattr(found, "involved", []) if p in form.cells]
    if confidences and min(confidences) < OCR_CONFIDENCE_THRESHOLD:
        found.uncertain = True
        found.confidence = round(min(confidences), 4)
    return found


def audit(form: Form) -> list[Finding]:
    """Every finding for a form, in the order of the contract's table."""
    return [mark_uncertain(form, f) for rule in RULES for f in rule(form)]

