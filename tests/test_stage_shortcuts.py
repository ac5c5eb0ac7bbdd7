"""The shortcuts taken for speed after the pages are read (forms, sections, records, audit, folding) give what the
plain versions they replace give, on the real form pages of the text-layer fixtures.

Each plain version is written out here as it stood before the shortcut: a geometric search over every cell, a
sort of the whole row, a scan of every cell for every grid row, a character-by-character fold, a model_dump.
"""

from __future__ import annotations

import copy
import random
from functools import cache

import pypdfium2
import pytest

from conftest import fixture_pdfs, truth_of
from formaudit.detect.forms import find_forms
from formaudit.detect.grid import read_page
from formaudit.detect.sections import cell_under, cells_under, header_map, split_run_on_label, split_sections
from formaudit.ingest.chars import fold_chars, radical_table
from formaudit.ingest.pdfium_reader import read_text_layer_page
from formaudit.models import GridCell, PageContent, Row
from formaudit.normalize.build import build_form
from formaudit.normalize.numbers import _parse_number, parse_number
from formaudit.normalize.text import clean_text
from formaudit.validate.indicators import _resolve
from formaudit.vocabulary import label_key, vocabulary


def _form_pages(pdf) -> list[int]:
    truth = truth_of(pdf)
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        count = len(document)
    finally:
        document.close()
    return sorted({p for form in truth["forms"] for p in (form.get("pages") or range(1, count + 1)) if p <= count})


@cache
def _read(pdf) -> tuple[list[list[dict]], list[PageContent]]:
    """The form pages of a fixture: each page's characters as read (before folding), and the pages as detected."""
    document = pypdfium2.PdfDocument(str(pdf))
    raw, contents = [], []
    try:
        for number in _form_pages(pdf):
            page = read_text_layer_page(document, number)
            raw.append(copy.deepcopy(page.chars))
            fold_chars(page.chars)
            contents.append(read_page(page))
    finally:
        document.close()
    return raw, contents


PDFS = [p for p in fixture_pdfs("text") if "report" not in p.stem]


def _rows_of_forms(pdf) -> list[Row]:
    return [row for block in find_forms(_read(pdf)[1]) for row in block.rows]


# ---------------------------------------------------------------- the plain versions


def plain_grid_rows(grid) -> list[Row]:
    """Grid.rows() as it was: every cell asked for every row."""
    out = []
    for r in range(len(grid.ys) - 1):
        covering = sorted((c for c in grid.cells if c.row <= r < c.row + c.rowspan), key=lambda c: c.col)
        out.append(Row(grid.page, r, covering, grid.ys[r], grid.ys[r + 1]))
    return out


def plain_cell_under(row: Row, header: GridCell) -> GridCell | None:
    best, best_overlap = None, 0.0
    for cell in row.cells:
        ov = min(cell.x1, header.x1) - max(cell.x0, header.x0)
        if ov > best_overlap:
            best, best_overlap = cell, ov
    if best is None or best_overlap < 0.5 * min(header.x1 - header.x0, best.x1 - best.x0):
        return None
    return best


def plain_header_map(row: Row, columns: dict[str, str]) -> dict[str, GridCell]:
    from formaudit.detect.sections import vocabulary_field

    found: dict[str, GridCell] = {}
    for cell in sorted(row.cells, key=lambda c: (c.rowspan, c.col)):
        ocr = cell.confidence < 1.0
        name = vocabulary_field(columns, cell.text, ocr)
        if name is None and "\n" in cell.text:
            name = next((f for line in cell.text.splitlines() if (f := vocabulary_field(columns, line, ocr))), None)
        if name and name not in found:
            found[name] = cell
    return found


def plain_fold_chars(chars: list[dict]) -> list[dict]:
    table = radical_table()
    for ch in chars:
        text = ch.get("text")
        if text and any(ord(c) in table for c in text):
            ch["text"] = text.translate(table)
    return chars


def plain_resolve(data, parts: list[str]):
    for part in parts:
        if isinstance(data, list):
            idx = int(part)
            data = data[idx] if idx < len(data) else None
        elif isinstance(data, dict):
            data = data.get(part)
        if data is None:
            return None
    return data


# ---------------------------------------------------------------- the comparisons


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_grid_rows_are_the_grids_rows(pdf):
    for content in _read(pdf)[1]:
        for grid in content.grids:
            ours, plain = grid.rows(), plain_grid_rows(grid)
            assert [(r.page, r.index, r.top, r.bottom) for r in ours] == [(r.page, r.index, r.top, r.bottom) for r in plain]
            assert [[id(c) for c in r.cells] for r in ours] == [[id(c) for c in r.cells] for r in plain]


def test_grid_rows_with_merged_cells_beyond_the_grid():
    from formaudit.models import Grid

    def cell(row, col, rowspan):
        return GridCell(1, row, col, rowspan, 1, (col * 10.0, row * 10.0, col * 10.0 + 10, (row + rowspan) * 10.0), f"{row},{col}")

    cells = [cell(0, 1, 1), cell(0, 0, 3), cell(1, 2, 1), cell(2, 1, 2), cell(-1, 2, 2), cell(5, 0, 1), cell(2, 3, 0)]
    random.Random(7).shuffle(cells)
    grid = Grid(1, (0, 0, 40, 30), [0, 10, 20, 30, 40], [0, 10, 20, 30], cells)
    assert [[id(c) for c in r.cells] for r in grid.rows()] == [[id(c) for c in r.cells] for r in plain_grid_rows(grid)]


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_cells_under_are_the_largest_overlaps(pdf):
    rows = _rows_of_forms(pdf)
    headers = {f"{i}": c for i, c in enumerate(c for row in rows for c in row.cells)}
    for row in rows:
        found = cells_under(row, headers)
        for name, header in headers.items():
            assert found[name] is plain_cell_under(row, header)
            assert cell_under(row, header) is found[name]


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_header_map_is_the_sorted_rows_map(pdf):
    vocab = vocabulary()
    groups = (vocab.indicator_columns, vocab.funding_columns, vocab.goals, vocab.meta)
    for row in _rows_of_forms(pdf):
        for columns in groups:
            ours, plain = header_map(row, columns), plain_header_map(row, columns)
            assert list(ours) == list(plain) and all(ours[k] is plain[k] for k in ours)


def test_header_map_prefers_the_column_header_to_a_section_label_spanning_rows():
    columns = vocabulary().indicator_columns
    label = next(k for k, v in columns.items() if v == "level1")
    spanning = GridCell(1, 0, 0, 3, 1, (0, 0, 10, 30), label)
    header = GridCell(1, 1, 4, 1, 1, (40, 10, 50, 20), label)
    row = Row(1, 1, [spanning, header], 10, 20)
    assert header_map(row, columns)["level1"] is header is plain_header_map(row, columns)["level1"]


def test_run_on_labels_are_split_as_before():
    meta = vocabulary().meta
    long_label = next(k for k in meta if len(k) >= 4)
    run_on = GridCell(1, 0, 1, 1, 1, (0.0, 0.0, 100.0, 10.0), "某县机关事务服务中心" + long_label)
    parts = split_run_on_label(run_on)
    assert [p.text for p in parts] == ["某县机关事务服务中心", long_label]
    alone = GridCell(1, 0, 1, 1, 1, (0.0, 0.0, 100.0, 10.0), long_label)
    assert split_run_on_label(alone) == [alone]


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_fold_chars_folds_as_character_by_character(pdf):
    table = radical_table()
    radicals = [chr(c) for c in sorted(table)]
    pick = random.Random(pdf.stem)
    for raw in _read(pdf)[0]:
        assert fold_chars(copy.deepcopy(raw)) == plain_fold_chars(copy.deepcopy(raw))
        # the same page with radicals printed in places (as fonts mapping ideographs to radicals do)
        seeded = copy.deepcopy(raw)
        for ch in pick.sample(seeded, min(5, len(seeded))):
            ch["text"] = pick.choice(radicals) + (ch.get("text") or "")
        assert fold_chars(copy.deepcopy(seeded)) == plain_fold_chars(copy.deepcopy(seeded))


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_record_values_are_read_from_the_models_as_from_the_dump(pdf):
    for block in find_forms(_read(pdf)[1]):
        form, _ = build_form(block, split_sections(block))
        data = form.model_dump()
        paths = [p.strip("/").split("/") for p in form.cells]
        paths += [["total", "score"], ["total", "weight"], ["funding", "99", "score"], ["indicators", "0", "nope"]]
        for parts in paths:
            assert _resolve(form, parts) == plain_resolve(data, parts), parts


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_cached_text_readings_are_the_uncached_ones(pdf):
    empty = vocabulary().empty
    for row in _rows_of_forms(pdf):
        for cell in row.cells:
            for percent in (False, True):
                assert parse_number(cell.text, percent_header=percent) == _parse_number.__wrapped__(cell.text, percent, empty)
            assert clean_text(cell.text) == clean_text.__wrapped__(cell.text)
            assert label_key(cell.text) == label_key.__wrapped__(cell.text)
