"""The checks on the funding grid and the totals: execution rates, funding scores, sums.

Each check is a function from a form record to findings, named after its code in lower case.
"""

from __future__ import annotations

from decimal import Decimal

from formaudit.record import Finding, Form, FundingRow
from formaudit.validate.catalog import as_json_number, finding, say
from formaudit.validate.precision import dec, format_number, format_percent, printed, round_half_up


def uses_transfer(form: Form) -> bool:
    """(B−C)/A when the header prints that formula, or a transfer column exists (unless B/A is printed)."""
    basis = getattr(form, "rate_basis", None)
    if basis:
        return "C" in basis
    return any(r.transfer is not None for r in form.funding) or any(p.endswith("/transfer") for p in form.cells)


def recomputed_rate(form: Form, row: FundingRow, with_transfer: bool | None = None) -> tuple[Decimal, str] | None:
    """The execution rate from the amounts, and the formula shown in messages. `with_transfer`: uses_transfer(form),
    when the caller has asked it once for all the rows (it reads every cell path of the form)."""
    if row.budget is None or row.executed is None or row.budget == 0:
        return None
    if with_transfer is None:
        with_transfer = uses_transfer(form)
    if with_transfer:
        transfer = row.transfer or 0
        formula = f"({format_number(dec(row.executed))}-{format_number(dec(transfer))})/{format_number(dec(row.budget))}"
        return (dec(row.executed) - dec(transfer)) / dec(row.budget), formula
    return dec(row.executed) / dec(row.budget), f"{format_number(dec(row.executed))}/{format_number(dec(row.budget))}"


def _amount_paths(i: int) -> list[str]:
    return [f"/funding/{i}/{f}" for f in ("budget", "executed", "transfer")]


def rate_mismatch(form: Form) -> list[Finding]:
    out = []
    with_transfer = uses_transfer(form)
    for i, row in enumerate(form.funding):
        rate = recomputed_rate(form, row, with_transfer)
        if row.rate is None or rate is None:
            continue
        value, formula = rate
        path = f"/funding/{i}/rate"
        p = printed(form, path, row.rate)
        if not p.matches(value):
            shown = p.text if p.percent or "%" in p.text else format_percent(p.value, max(0, p.decimals - 2))
            # shown and stored rounded half-up, by the contract's rule (1689.4/1763 = 0.958253 is 95.83%)
            out.append(finding("RATE_MISMATCH", path, as_json_number(round_half_up(value, max(4, p.decimals))), row.rate,
                               say("RATE_MISMATCH", "mismatch", printed=shown, formula=formula,
                                   recomputed=format_percent(value, max(2, p.decimals - 2))),
                               _amount_paths(i)))
    return out


def score_mismatch(form: Form) -> list[Finding]:
    out = []
    with_transfer = uses_transfer(form)
    for i, row in enumerate(form.funding):
        rate = recomputed_rate(form, row, with_transfer)
        if row.score is None or row.weight is None or rate is None:
            continue
        value, formula = rate
        expected = dec(row.weight) * min(value, Decimal(1))
        path = f"/funding/{i}/score"
        p = printed(form, path, row.score)
        if not p.matches(expected):
            out.append(finding("SCORE_MISMATCH", path, as_json_number(round_half_up(expected, max(2, p.decimals))), row.score,
                               say("SCORE_MISMATCH", "mismatch", printed=p.text, weight=format_number(dec(row.weight)),
                                   formula=formula, recomputed=format_number(expected, max(2, p.decimals))),
                               _amount_paths(i) + [f"/funding/{i}/weight"]))
    return out


def zero_budget_rate(form: Form) -> list[Finding]:
    out = []
    for i, row in enumerate(form.funding):
        if row.budget == 0 and row.rate is not None:
            path = f"/funding/{i}/rate"
            out.append(finding("ZERO_BUDGET_RATE", path, None, row.rate,
                               say("ZERO_BUDGET_RATE", "zero", printed=printed(form, path, row.rate).text),
                               [f"/funding/{i}/budget"]))
    return out


def executed_exceeds_budget(form: Form) -> list[Finding]:
    out = []
    for i, row in enumerate(form.funding):
        if row.budget is not None and row.executed is not None and dec(row.executed) > dec(row.budget):
            out.append(finding("EXECUTED_EXCEEDS_BUDGET", f"/funding/{i}/executed", row.budget, row.executed,
                               say("EXECUTED_EXCEEDS_BUDGET", "above", label=row.label, executed=format_number(dec(row.executed)),
                                   budget=format_number(dec(row.budget))),
                               [f"/funding/{i}/budget"]))
    return out


COMPONENTS = ("fiscal", "carryover", "other")
COLUMN_WORDS = {"initial_budget": "年初预算数", "budget": "全年预算数", "executed": "全年执行数", "transfer": "上级转移支付"}  # the contract's labels


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
            out.append(finding("FUNDING_SUM_MISMATCH", path, as_json_number(total_sum), total_value,
                               say("FUNDING_SUM_MISMATCH", "exceeds" if exceeds else "differs", column=column,
                                   column_zh=COLUMN_WORDS[column], parts=words, total=format_number(total_sum),
                                   printed=format_number(total_dec)),
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
                        say("TOTAL_MISMATCH", "mismatch", printed=p.text, n=len(read), total=format_number(total_sum)),
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
                        say("WEIGHT_SUM_MISMATCH", "mismatch", printed=format_number(dec(form.total.weight)),
                            total=format_number(total_sum)), [p for p, _ in addends])]
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
                               say("SCORE_EXCEEDS_WEIGHT", "above", score=format_number(dec(score)), weight=format_number(dec(weight))),
                               [f"{base}/weight"]))
    return out

