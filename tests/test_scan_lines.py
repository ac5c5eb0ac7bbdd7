"""A line of a scanned cell that the OCR detector passed over: found from the cell's ink, read, put in its place."""

from __future__ import annotations

import numpy as np

from formaudit.detect.scan_labels import one_misread_from_label, one_short_of_label
from formaudit.detect.scan_lines import ink_bands, unread_bands
from formaudit.settings import DEFAULT

SETTINGS = DEFAULT.scan_grid
DPI = 200


def _cell(lines: list[tuple[int, int]], h: int = 90, w: int = 160, rules: bool = False) -> np.ndarray:
    inner = np.zeros((h, w), dtype=np.uint8)
    for top, bottom in lines:
        for x in range(10, 120, 22):  # glyphs: blocks of ink with gaps between them
            inner[top:bottom, x:x + 16] = 255
    if rules:
        inner[0:3, :] = 255  # the remains of the rule above, inside the inset
        inner[:, w - 2:] = 255  # and of the rule at the right
    return inner


def test_each_line_of_print_is_a_band():
    assert ink_bands(_cell([(8, 28), (40, 60)]), SETTINGS, DPI) == [(8, 28), (40, 60)]


def test_the_remains_of_rules_are_no_band_and_do_not_join_the_lines():
    assert ink_bands(_cell([(8, 28), (40, 60)], rules=True), SETTINGS, DPI) == [(8, 28), (40, 60)]


def test_a_band_no_character_stands_on_is_unread():
    bands = [(8, 28), (40, 60)]
    first_line_read = [(7.5, 28.5), (7.8, 28.2)]  # the OCR characters' spans
    assert unread_bands(bands, first_line_read, glyph=20.5) == [(40, 60)]
    assert unread_bands(bands, first_line_read + [(39.0, 61.0)], glyph=20.5) == []


def test_bands_of_another_height_than_the_print_are_no_line():
    # a speck 5 px high, and two lines run together (45 px) where the print is 20 px high
    assert unread_bands([(8, 13), (40, 85)], [(100, 120)], glyph=20) == []


def test_a_label_read_with_one_character_misread_or_short_is_read_again():
    assert one_misread_from_label("或本指标")  # 成本指标
    assert not one_misread_from_label("X级指标")  # 一级, 二级 or 三级: no telling which
    assert not one_misread_from_label("成本指标") and not one_misread_from_label("100%")
    assert one_short_of_label("可持续影响指")  # 可持续影响指标, its last character on a line of its own


def test_a_dash_read_as_1_is_a_dash_and_a_1_stays_a_1():
    from formaudit.detect.scan_grid import lying_stroke

    box = np.zeros((40, 20), dtype=np.uint8)
    box[19:22, 5:15] = 255  # a short dash lying at mid-height
    assert lying_stroke(box)
    one = np.zeros((40, 20), dtype=np.uint8)
    one[5:35, 9:12] = 255  # an upright stroke
    one[33:35, 6:15] = 255  # with its foot
    assert not lying_stroke(one)
