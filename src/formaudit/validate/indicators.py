"""The checks on the indicator rows: level-1 weights, reasons, placeholders, scores against results.

Each check is a function from a form record to findings, named after its code in lower case.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from pydantic import BaseModel

from formaudit.normalize.numbers import parse_number
from formaudit.record import Finding, Form
from formaudit.validate.catalog import as_json_number, finding, say
from formaudit.validate.precision import dec, format_number, printed, read_as_percent, round_half_up

_SPACE = re.compile(r"\s+")
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
                                   say("LEVEL1_WEIGHT_MISMATCH", "mismatch", label=label, declared=format_number(declared),
                                       n=j - i, total=format_number(sum(weights))), [f"/indicators/{k}/weight" for k in range(i, j)]))
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
                               say("MISSING_DEVIATION_REASON", "missing", name=r.name or "指标", score=format_number(dec(r.score)),
                                   weight=format_number(dec(r.weight))), [f"/indicators/{i}/score", f"/indicators/{i}/weight"]))
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
                               say("UNFILLED_FORM", "placeholder", text=getattr(r, placeholder))))
        elif (r.name or r.target) and r.actual is None:
            out.append(finding("UNFILLED_FORM", f"{base}/actual", None, None, say("UNFILLED_FORM", "actual", name=r.name or "指标")))
        elif r.weight is not None and r.score is None:
            out.append(finding("UNFILLED_FORM", f"{base}/score", None, None, say("UNFILLED_FORM", "score", name=r.name or "指标")))
    for i, r in enumerate(form.funding):
        if r.weight is not None and r.score is None and r.source == "total":
            out.append(finding("UNFILLED_FORM", f"/funding/{i}/score", None, None, say("UNFILLED_FORM", "score", name=r.label)))
    if form.total is not None and form.total.weight is not None and form.total.score is None:
        out.append(finding("UNFILLED_FORM", "/total/score", None, None, say("UNFILLED_FORM", "total")))
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
    t = _SPACE.sub("", unicodedata.normalize("NFKC", text)).replace(",", "")
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
        what = {"name": r.name or "指标", "target": r.target, "actual": r.actual}
        if _met(op, actual[1], target[1]):
            if score < weight:
                out.append(finding("INDICATOR_SCORE_INCONSISTENT", path, r.weight, r.score,
                                   say("INDICATOR_SCORE_INCONSISTENT", "met", **what, score=format_number(score),
                                       weight=format_number(weight)), involved))
            continue
        if score >= weight:
            out.append(finding("INDICATOR_SCORE_INCONSISTENT", path, None, r.score,
                               say("INDICATOR_SCORE_INCONSISTENT", "missed", **what, score=format_number(score)), involved))
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
                               r.score, say("INDICATOR_SCORE_INCONSISTENT", "proportion", **what, printed=p.text,
                                            recomputed=format_number(expected, max(2, p.decimals))), involved))
    return out


_COMPARISON = re.compile(r"^(≥|≤|>|<|=|﹦|不低于|不少于|不高于|不超过)")


def target_as_actual(form: Form) -> list[Finding]:
    out = []
    for i, r in enumerate(form.indicators):
        if not r.actual or not r.target:
            continue
        a = _SPACE.sub("", unicodedata.normalize("NFKC", r.actual))
        t = _SPACE.sub("", unicodedata.normalize("NFKC", r.target))
        if a == t and _COMPARISON.match(a):
            out.append(finding("TARGET_AS_ACTUAL", f"/indicators/{i}/actual", "the value achieved", r.actual,
                               say("TARGET_AS_ACTUAL", "repeats", actual=r.actual),
                               [f"/indicators/{i}/target"]))
    return out


_NUMBER_FIELDS = ("initial_budget", "budget", "executed", "transfer", "weight", "rate", "score")


def unreadable_value(form: Form) -> list[Finding]:
    """A cell read for a number column that holds no number (and is no empty marker)."""
    out = []
    for path, cell in form.cells.items():
        parts = path.strip("/").split("/")
        if parts[-1] not in _NUMBER_FIELDS or parts[0] not in ("funding", "indicators", "total"):
            continue
        if _resolve(form, parts) is not None:  # a value was read (most cells)
            continue
        parsed = parse_number(cell.text, percent_header=read_as_percent(cell))
        if not parsed.empty and parsed.value is None:
            out.append(finding("UNREADABLE_VALUE", path, "a number", cell.text, say("UNREADABLE_VALUE", "unreadable", text=cell.text)))
    return out


def _resolve(data, parts: list[str]):
    """The value at a record path, read from the models as form.model_dump() would show it: a model's fields
    and extra fields only (dumping the whole form for a few values was ~0.15 ms a form page)."""
    for part in parts:
        if isinstance(data, list):
            idx = int(part)
            data = data[idx] if idx < len(data) else None
        elif isinstance(data, BaseModel):
            data = _field(data, part)
        elif isinstance(data, dict):
            data = data.get(part)
        if data is None:
            return None
    return data


def _field(model: BaseModel, name: str):
    values = vars(model)  # a pydantic model's fields, by name (its extra fields are in model_extra)
    if name in values:
        return values[name]
    return (model.model_extra or {}).get(name)

