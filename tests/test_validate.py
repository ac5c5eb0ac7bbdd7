"""The validator on records alone: rules, rounding allowances, messages."""

from __future__ import annotations

import copy
import json
import re

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


def test_a_low_confidence_cell_its_text_layer_confirmed_makes_no_finding_uncertain():
    """A searchable scan's own layer read the cell alike: two readers agree, whatever the OCR engine's score; the
    record (re-audited by hand) carries that as the cell's confirmed_by_text_layer."""
    form = seed_form()
    form["cells"]["/funding/0/executed"] = {"page": 1, "text": "1689.4", "confidence": 0.62, "confirmed_by_text_layer": True}
    found = {f.path: f for f in audit(Form.model_validate(form))}
    assert not getattr(found["/funding/0/rate"], "uncertain", False)
    form["cells"]["/funding/0/budget"] = {"page": 1, "text": "1763", "confidence": 0.7}  # another cell, not confirmed
    found = {f.path: f for f in audit(Form.model_validate(form))}
    assert found["/funding/0/rate"].uncertain is True and found["/funding/0/rate"].confidence == 0.7


def test_recomputed_rate_is_rounded_half_up_in_value_and_message():
    """1689.4/1763 = 0.958253…: the contract's rule rounds it to 95.83%, as its example now shows."""
    rate = next(f for f in audit(Form.model_validate(seed_form())) if f.path == "/funding/0/rate")
    assert rate.expected == 0.9583 and rate.message.endswith("= 95.83%")
    form = seed_form()
    form["funding"][0]["executed"] = 1689.3  # 0.958196…: 95.82% either way
    rate = next(f for f in audit(Form.model_validate(form)) if f.path == "/funding/0/rate")
    assert rate.expected == 0.9582 and rate.message.endswith("= 95.82%")


# ---------------------------------------------------------------- the registry


def contract_table() -> list[tuple[str, str]]:
    import re

    from conftest import SHARED_SPEC

    text = (SHARED_SPEC / "FORM-RECORD.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| (error|warning) \|", text, flags=re.M)


def test_registry_holds_the_contracts_codes_in_its_order_with_words_in_both_languages():
    import pytest

    from conftest import SHARED_SPEC
    from formaudit.validate.rules import RULES

    if not (SHARED_SPEC / "FORM-RECORD.md").exists():
        pytest.skip("the shared contract folder is not beside this checkout")
    assert [(r.code, r.severity) for r in RULES] == contract_table()
    for r in RULES:
        assert r.check.__name__ == r.code.lower()
        for words in (r.name, r.rule, r.expected):
            assert set(words) == {"zh", "en"} and all(words.values()), r.code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.name["zh"] + r.rule["zh"]), r.code


def test_every_finding_takes_its_severity_from_the_registry():
    from formaudit.validate.rules import BY_CODE

    form = seed_form()
    form["indicators"][0]["score"] = 12  # SCORE_EXCEEDS_WEIGHT (error)
    form["funding"][0]["executed"] = 1800  # EXECUTED_EXCEEDS_BUDGET (warning)
    found = audit(Form.model_validate(form))
    assert {f.code for f in found} >= {"SCORE_EXCEEDS_WEIGHT", "EXECUTED_EXCEEDS_BUDGET", "RATE_MISMATCH"}
    assert all(f.severity == BY_CODE[f.code].severity for f in found)


def test_readme_table_of_findings_is_the_registrys():
    """The README shows the table the registry prints (`python -m formaudit.validate.rules`)."""
    from conftest import ROOT
    from formaudit.validate.rules import markdown_table

    assert markdown_table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_values_are_shown_as_the_form_prints_them():
    from formaudit.validate.precision import as_printed

    form = Form.model_validate(seed_form())
    assert as_printed(form, "/funding/0/rate", 0.9583) == "95.83%"  # the cell printed 96.00%
    assert as_printed(form, "/funding/0/rate", 0.96) == "96.00%"
    assert as_printed(form, "/total/weight", 70) == "70"
    form.cells["/funding/0/budget"].text = "1,763.00"
    assert as_printed(form, "/funding/0/budget", 1763.456) == "1,763.46"
    form.cells = {}
    assert as_printed(form, "/funding/0/rate", 0.9583) == "95.83%"  # a rate without its cell is still a percent


def test_messages_in_chinese_for_the_same_findings():
    """The report and the workbook show a record's findings in Chinese: same findings, messages from the registry."""
    from formaudit.validate.rules import messages_in

    form = seed_form()
    form["indicators"][0]["score"] = 12  # SCORE_EXCEEDS_WEIGHT
    form["funding"][0]["executed"] = 1800  # EXECUTED_EXCEEDS_BUDGET, FUNDING_SUM_MISMATCH
    ind = copy.deepcopy(form["indicators"][0])
    ind.update(name="指标1：……", target="≥100人", actual="≥100人", weight=10, score=5, reason=None)
    form["indicators"].append(ind)  # UNFILLED_FORM, TARGET_AS_ACTUAL, MISSING_DEVIATION_REASON, INDICATOR_SCORE_INCONSISTENT
    model = Form.model_validate(form)
    found = audit(model)
    zh = messages_in(model, "zh")
    assert len({f.code for f in found}) >= 8
    for f in found:
        message = zh[(f.code, f.path, f.message)]
        assert message != f.message and re.search(r"[\u4e00-\u9fff]", message), (f.code, message)
        assert not re.search(r"\b(printed|but|above|exceeds?|scored|left|blank|declares|repeats)\b", message), message
    seed = Form.model_validate(seed_form())
    rate = next(f for f in audit(seed) if f.path == "/funding/0/rate")
    assert messages_in(seed, "zh")[(rate.code, rate.path, rate.message)] == "执行率印为 96.00%，但 (1689.4-0)/1763 = 95.83%"


def test_every_message_template_fills_in_both_languages():
    import string

    from formaudit.validate.catalog import WORDS

    for words in WORDS.values():
        for case, texts in words.messages.items():
            fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in texts.values()]
            assert fields[0] - {"column"} == fields[1] - {"column_zh"}, (words.code, case)  # the same facts in both
