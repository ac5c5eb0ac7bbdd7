"""Normalizers: labels, numbers, text — on the variants real forms print."""

from __future__ import annotations

import pytest

from formaudit.normalize.numbers import comma_for_point, parse_number, repair_ocr_number
from formaudit.normalize.text import clean_text, is_unreadable
from formaudit.vocabulary import label_key, vocabulary, weight_in_label


@pytest.mark.parametrize("printed,field", [
    ("全年预算数 (A)", "budget"), ("调整后预算数", "budget"), ("预算数（A）", "budget"), ("年度预算数", "budget"),
    ("全年执行数 (B)", "executed"), ("预算执行数", "executed"), ("执行数（B）", "executed"),
    ("执行率", "rate"), ("预算执行率", "rate"), ("执行率（B/A）", "rate"), ("执行率（%）", "rate"), ("执行率 ((B-C)/A)", "rate"),
    ("分值", "weight"), ("权重", "weight"), ("得分", "score"), ("执行率得分", "score"), ("得分（20分*执行率）", "score"),
    ("上级财政移动支付 (C)", "transfer"), ("上级财政转移支付（C）", "transfer"), ("年初预算数", "initial_budget"),
])
def test_funding_header_variants(printed, field):
    assert vocabulary().funding_columns[label_key(printed)] == field


@pytest.mark.parametrize("printed,field", [
    ("目标值", "target"), ("年度指标值", "target"), ("指标值", "target"), ("年初目标值", "target"),
    ("完成值", "actual"), ("实际完成值", "actual"), ("全年实际值", "actual"), ("全年完成值", "actual"),
    ("分值", "weight"), ("权重", "weight"), ("指标权重", "weight"), ("得分", "score"),
    ("未完成原因", "reason"), ("偏差原因分析", "reason"), ("偏差原因分析及改进措施", "reason"), ("改进措施", "measures"),
    ("一级指标", "level1"), ("二级指标", "level2"), ("三级指标", "name"), ("指标性质", "operator"), ("度量单位", "unit"),
])
def test_indicator_header_variants(printed, field):
    assert vocabulary().indicator_columns[label_key(printed)] == field


@pytest.mark.parametrize("printed,source", [
    ("年度资金总额", "total"), ("资金总额", "total"), ("合计", "total"), ("财政拨款", "fiscal"), ("其中：财政拨款", "fiscal"),
    ("其中:当年财政拨款", "fiscal"), ("其中： 当年财政拨款", "fiscal"), ("上年结转资金", "carryover"), ("上年结转", "carryover"),
    ("其他资金", "other"),
])
def test_funding_sources(printed, source):
    assert vocabulary().funding_sources[label_key(printed)] == source


def test_brackets_colons_and_weights_in_labels():
    assert label_key("部门（单位）名称：") == label_key("部门(单位)名称")
    assert vocabulary().meta[label_key("项目名称：")] == "project_name"
    assert weight_in_label("产出指标（50分）") == 50
    assert weight_in_label("得分（20分*执行率）") == 20
    assert weight_in_label("产出指标") is None
    assert vocabulary().level1[label_key("产出指标（50分）")] == "output"
    assert vocabulary().level2[label_key("生态环境成本指标")] == "ecological_cost"


@pytest.mark.parametrize("text,value,decimals", [
    ("1763", 1763, 0), ("1689.4", 1689.4, 1), ("1,245,660.00", 1245660, 2), ("１７６３", 1763, 0), (" 9.58 ", 9.58, 2),
    ("10分", 10, 0), ("1，000", 1000, 0), ("-3.5", -3.5, 1),
])
def test_numbers(text, value, decimals):
    n = parse_number(text)
    assert (n.value, n.decimals, n.empty) == (value, decimals, False)


@pytest.mark.parametrize("text", ["", " ", "-", "--", "—", "——", "/", "无", "－", "一"])
def test_every_empty_marker_is_null(text):
    n = parse_number(text)
    assert n.empty and n.value is None and n.readable


def test_rates_are_fractions():
    assert parse_number("96.00%").value == 0.96 and parse_number("96.00%").decimals == 2
    assert parse_number("95.82", percent_header=True).value == 0.9582
    assert parse_number("1").value == 1  # a bare ratio
    assert parse_number("１００％").value == 1


def test_unreadable_numbers_are_not_guessed():
    for text in ("abc", "9.5.8", "(cid:12)(cid:13)", "约10"):
        n = parse_number(text)
        assert n.value is None and not n.empty and not n.readable


def test_text_keeps_characters_and_drops_spaces_next_to_cjk():
    assert clean_text("1本书 1次会议") == "1本书1次会议"
    assert clean_text("2020 年，区政协\n常委会") == "2020年，区政协常委会"
    assert clean_text("<p>主要职能是：</p> <ol style=\"list-style-type: none\"> 1. 政治协商； 2. 负责") == "主要职能是：1.政治协商；2.负责"
    assert clean_text("Hello   world\nagain") == "Hello world again"
    assert clean_text("≥266 米") == "≥266米"
    assert clean_text("<5%") == "<5%"  # not markup
    # OCR of the same tag: the space dropped and the l of ol read as 1 (its attribute says what it is)
    assert clean_text("主要职能是：</p><o1style=\"1ist-style-type:none\">1.政治协商") == "主要职能是：1.政治协商"
    assert clean_text("   ") is None


def test_cid_text_is_recognised():
    assert is_unreadable("(cid:123)(cid:45)") and is_unreadable("abc\ufffd") and not is_unreadable("正常文本")


@pytest.mark.parametrize("read,repaired", [
    ("135,09", "135.09"), ("68,3", "68.3"), ("97,0%", "97.0%"), ("O.5", "0.5"), ("1 689.4", "1689.4"),
])
def test_an_ocr_number_with_a_comma_before_its_last_digits_has_a_decimal_point_there(read, repaired):
    assert repair_ocr_number(read) == repaired


@pytest.mark.parametrize("read", ["1,245", "1,245,660.00", "135.09"])
def test_thousands_separators_and_plain_numbers_are_not_repaired(read):
    assert not comma_for_point(read)
    assert repair_ocr_number(read) is None
