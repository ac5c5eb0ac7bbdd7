"""Each stage's thresholds: named settings, checked when made, read by the stage, given on the command line."""

from __future__ import annotations

import json
import math
from dataclasses import fields

import cv2
import numpy as np
import pytest

from conftest import FIXTURES, run_cli
from formaudit.detect.grid import grid_from_cells
from formaudit.detect.scan_grid import rule_edges
from formaudit.detect.text_rows import chunks_of
from formaudit.settings import (
    PageScanSettings,
    RuledTableSettings,
    ScanGridSettings,
    ScanImageSettings,
    ScanTextSettings,
    Settings,
    TextTableSettings,
)

STAGES = (RuledTableSettings, TextTableSettings, ScanImageSettings, ScanGridSettings, PageScanSettings, ScanTextSettings)
SEED = FIXTURES / "wangcheng-cppcc-2020-self-evaluation.pdf"


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.__name__)
def test_every_setting_refuses_what_is_not_a_positive_number(stage):
    for f in fields(stage):
        for bad in (0, -1, math.nan, math.inf, True, "3"):
            with pytest.raises(ValueError, match=f.name):
                stage(**{f.name: bad})


def test_whole_numbers_fractions_and_odd_sizes_are_checked():
    with pytest.raises(ValueError, match="min_cells must be a whole number"):
        RuledTableSettings(min_cells=4.5)
    with pytest.raises(ValueError, match="poor_reading must be between 0 and 1"):
        ScanGridSettings(poor_reading=1.5)
    with pytest.raises(ValueError, match="threshold_block_px must be odd"):
        ScanImageSettings(threshold_block_px=30)


def test_overrides_by_stage_and_name_and_nothing_unknown():
    settings = Settings.from_mapping({"text": {"chunk_gap_em": 0.8}, "ruled": {"min_cells": 6}})
    assert settings.text.chunk_gap_em == 0.8 and settings.ruled.min_cells == 6
    assert settings.text.paragraph_gap_em == TextTableSettings().paragraph_gap_em  # the rest stay defaults
    with pytest.raises(ValueError, match=r"unknown settings stage \[rules\]"):
        Settings.from_mapping({"rules": {}})
    with pytest.raises(ValueError, match="no setting chunk_gap"):
        Settings.from_mapping({"text": {"chunk_gap": 0.8}})


def _char(x0: float, text: str, size: float = 10.0) -> dict:
    return {"text": text, "x0": x0, "x1": x0 + size, "top": 0.0, "bottom": size, "size": size}


def test_a_text_setting_moves_where_a_cell_ends():
    line = [_char(0, "项"), _char(15, "目")]  # a 5 pt gap in 10 pt text
    assert len(chunks_of(line)) == 1  # the default: one cell's text (0.6 em = 6 pt)
    assert len(chunks_of(line, TextTableSettings(chunk_gap_em=0.4))) == 2


def test_a_ruled_setting_moves_what_counts_as_a_table():
    boxes = [(0, 0, 10, 10), (10, 0, 20, 10), (0, 10, 10, 20), (10, 10, 20, 20)]
    assert grid_from_cells(1, boxes, []) is not None
    assert grid_from_cells(1, boxes, [], settings=RuledTableSettings(min_cells=5)) is None


def test_scan_pixels_scale_with_the_resolution():
    """A rule 12 px thick is a border at 200 dpi (over 9 px) but a rule at 300 dpi (9 px there is 14)."""
    ink = np.zeros((600, 900), np.uint8)
    cv2.rectangle(ink, (50, 300), (850, 311), 255, thickness=-1)
    at_200 = [e for e in rule_edges(ink, 200 / 72) if e["orientation"] == "h"]
    at_300 = [e for e in rule_edges(ink, 300 / 72) if e["orientation"] == "h"]
    assert at_200 == [] and len(at_300) == 1
    assert ScanGridSettings().px(9, 300) == 14 and ScanGridSettings().area(25, 400) == 100


def test_the_command_line_reads_a_settings_file(tmp_path):
    strict = tmp_path / "strict.toml"
    strict.write_text("[ruled]\nmin_cells = 100000\n[text]\nmin_rows = 100000\n")
    out = tmp_path / "out"
    result = run_cli("extract", str(SEED), "--out", str(out), "--settings", str(strict))
    record = json.loads((out / (SEED.stem + ".json")).read_text(encoding="utf-8"))
    assert not record["forms"] and record["errors"][0]["code"] == "NO_FORM_FOUND", result.stderr

    typo = tmp_path / "typo.toml"
    typo.write_text("[ruled]\nmin_cell = 3\n")
    result = run_cli("extract", str(SEED), "--out", str(out), "--settings", str(typo))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "no setting min_cell" in result.stderr
    result = run_cli("batch", str(SEED), "--db", str(tmp_path / "x.duckdb"), "--settings", str(tmp_path / "none.toml"))
    assert result.returncode == 2 and "cannot read the settings" in result.stderr
