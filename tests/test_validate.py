"""The validator on records alone: rules, rounding allowances, messages."""

from __future__ import annotations

import copy
import json

from conftest import SEED_EXPECTED
from formaudit.record import Form
from formaudit.validate.rules import audit


def seed_form() -> dict:
    return json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))["forms"][0]


def codes(form: dict) -> list[tuple[str, str]]:
    return [(f.code, f.path) for f in audit(Form.model_validate(form))]


def test_hand_written_seed_record_gives_its_three_findings():
    form = seed_form()
    got = audit(Form.model_validate(form))
    want = form["findings"]
    assert [(f.code, f.severity, f.path, f.expected, f.found, f.message) for f in got] == \
        [(f["code"], f["severity"], f["path"], f["expected"], f["found"], f["message"]) for f in want]


def test_precision_comes_from_the_printed_text():
    form = seed_form()
    # 96% printed without decimals: 95.83% rounds to 96%, so it is consistent
    for i in (0, 1):
        form["cells"][f"/funding/{i}/rate"]["text"] = "96%"
    assert ("RATE_MISMATCH", "/funding/0/rate") not in codes(form)


def test_without_cells_precision_comes_from_the_number():
    form = seed_form()
    form["cells"] = {}
    # a stored 0.96 has two decimals: 0.958253 rounds to 0.96, consistent
    assert ("RATE_MISMATCH", "/funding/0/rate") not in codes(form)
    form["funding"][0]["rate"] = 0.955  # three decimals: 0.958 ≠ 0.955
    assert ("RATE_MISMATCH", "/funding/0/rate") in codes(form)


def test_transfer_column_changes_the_formula():
    form = seed_form()
    form["funding"][0]["transfer"] = 100  # (1689.4-100)/1763 = 90.15%
    form["funding"][0]["rate"] = 0.9015
    form["cells"]["/funding/0/rate"]["text"] = "90.15%"
    form["funding"][0]["score"] = 9.02
    form["cells"]["/funding/0/score"]["text"] = "9.02"
    found = codes(form)
    assert ("RATE_MISMATCH", "/funding/0/rate") not in found and ("SCORE_MISMATCH", "/funding/0/score") not in found


def test_score_mismatch_uses_the_recomputed_rate():
    form = seed_form()
    form["funding"][0]["score"] = 9.6  # 10 × printed 96% — but the amounts say 95.83%
    form["cells"]["/funding/0/score"]["text"] = "9.60"
    assert ("SCORE_MISMATCH", "/funding/0/score") in codes(form)


def test_total_allows_half_a_unit_per_addend():
    form = seed_form()
    # ten integer scores allow 10 × 0.5 and the funding score 0.005: 5.005 in all
    form["total"]["score"] = 74.58
    form["cells"]["/total/score"]["text"] = "74.58"
    assert ("TOTAL_MISMATCH", "/total/score") not in codes(form)
    form["total"]["score"] = 74.59
    form["cells"]["/total/score"]["text"] = "74.59"
    assert ("TOTAL_MISMATCH", "/total/score") in codes(form)


def test_weights_must_add_up_exactly():
    form = seed_form()
    form["total"]["weight"] = 70
    assert ("WEIGHT_SUM_MISMATCH", "/total/weight") not in codes(form)
    form["total"]["weight"] = 70.5
    assert ("WEIGHT_SUM_MISMATCH", "/total/weight") in codes(form)


def test_funding_components_against_total():
    form = seed_form()
    form["funding"][1]["budget"] = 1800  # fiscal alone exceeds the total
    assert ("FUNDING_SUM_MISMATCH", "/funding/0/budget") in codes(form)
    form = seed_form()
    form["funding"][1]["budget"] = 1000
    form["funding"].append({"source": "carryover", "label": "上年结转", "budget": 500, "executed": None, "weight": None,
                            "rate": None, "score": None})
    assert ("FUNDING_SUM_MISMATCH", "/funding/0/budget") not in codes(form)  # other not printed: only "exceeds" applies
    form["funding"].append({"source": "other", "label": "其他资金", "budget": 200, "executed": None, "weight": None,
                            "rate": None, "score": None})
    assert ("FUNDING_SUM_MISMATCH", "/funding/0/budget") in codes(form)  # all three printed: 1700 ≠ 1763


def test_indicator_rules():
    form = seed_form()
    ind = copy.deepcopy(form["indicators"][0])
    ind.update(target="≥100人", actual="80人", weight=10, score=10, reason=None)
    form["indicators"].append(ind)  # missed but full marks
    k = len(form["indicators"]) - 1
    assert ("INDICATOR_SCORE_INCONSISTENT", f"/indicators/{k}/score") in codes(form)
    form["indicators"][k]["score"] = 8  # proportional: 10 × 80/100
    found = codes(form)
    assert ("INDICATOR_SCORE_INCONSISTENT", f"/indicators/{k}/score") not in found
    assert ("MISSING_DEVIATION_REASON", f"/indicators/{k}/reason") in found
    form["indicators"][k]["reason"] = "受疫情影响"
    assert ("MISSING_DEVIATION_REASON", f"/indicators/{k}/reason") not in codes(form)
    form["indicators"][k].update(actual="≥100人", target="≥100人", score=10)
    assert ("TARGET_AS_ACTUAL", f"/indicators/{k}/actual") in codes(form)
    form["indicators"][k].update(name="指标1：……", actual=None)
    assert ("UNFILLED_FORM", f"/indicators/{k}/name") in codes(form)


def test_score_above_weight_and_zero_budget_and_level1():
    form = seed_form()
    form["indicators"][0]["score"] = 12
    assert ("SCORE_EXCEEDS_WEIGHT", "/indicators/0/score") in codes(form)
    form = seed_form()
    form["funding"][1].update(budget=0, executed=0)
    assert ("ZERO_BUDGET_RATE", "/funding/1/rate") in codes(form)
    form = seed_form()
    for row in form["indicators"][:5]:
        row["level1_label"] = "产出指标（40分）"  # the five rows weigh 50
    assert ("LEVEL1_WEIGHT_MISMATCH", "/indicators/0/level1_label") in codes(form)


def test_unreadable_value_from_its_cell():
    form = seed_form()
    form["funding"][0]["executed"] = None
    form["cells"]["/funding/0/executed"]["text"] = "(cid:17)(cid:18)"
    assert ("UNREADABLE_VALUE", "/funding/0/executed") in codes(form)


def test_low_ocr_confidence_makes_findings_uncertain():
    form = seed_form()
    form["cells"]["/funding/0/executed"] = {"page": 1, "text": "1689.4", "confidence": 0.62}
    found = {f.path: f for f in audit(Form.model_validate(form))}
    assert found["/funding/0/rate"].uncertain is True and found["/funding/0/rate"].confidence == 0.62
    assert not getattr(found["/funding/1/rate"], "uncertain", False)
