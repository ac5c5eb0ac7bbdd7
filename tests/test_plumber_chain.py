"""formaudit's faster steps of pdfplumber's table chain (detect/cells.py) give pdfplumber's output,
exactly (equal edge dicts, floats included, in the same order), on every page of every text fixture:
as formaudit's PDFium reader draws the rules, and as pdfplumber (pdfminer) does."""

from __future__ import annotations

import pdfplumber
import pypdfium2
import pytest
from pdfplumber import table as plumber_table
from pdfplumber.utils import filter_edges

from conftest import fixture_pdfs
from formaudit.detect import cells
from formaudit.detect.grid import _long_enough, closing_edges, edges_to_merge, vertical_edges_from_rules
from formaudit.ingest.pdfium_reader import PdfiumReader
from formaudit.settings import DEFAULT

RULED = DEFAULT.ruled


def _pdfium_pages(pdf):
    document = pypdfium2.PdfDocument(str(pdf))
    reader = PdfiumReader(document)
    try:
        return [reader.page(number) for number in range(1, len(document) + 1)]
    finally:
        reader.close()
        document.close()


def _inputs_of(edges: list[dict], horizontal: list[dict], chars: list[dict]) -> list[list[dict]]:
    """The edges merged on a page, both ways find_cell_boxes looks for cells."""
    return [edges_to_merge(edges, extra_horizontal=closing_edges(edges)),
            edges_to_merge(edges, vertical=vertical_edges_from_rules(horizontal, chars))]


def _every_input(pdf) -> list[list[dict]]:
    out = []
    for page in _pdfium_pages(pdf):
        out += _inputs_of(page.edges, page.horizontal_edges, page.chars)
    with pdfplumber.open(pdf) as document:  # pdfminer's edges carry y0/y1, rect and curve edges
        for page in document.pages:
            edges = page.edges
            out += _inputs_of(edges, [e for e in edges if e["orientation"] == "h"], page.chars)
    return out


def _same(ours: list[dict], theirs: list[dict]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a == b
        assert list(a) == list(b)  # the keys in the same order
        assert [repr(v) for v in a.values()] == [repr(v) for v in b.values()]  # 1 and 1.0, 0.0 and -0.0 told apart


@pytest.mark.parametrize("pdf", fixture_pdfs("text"), ids=lambda p: p.stem)
def test_merged_edges_and_crossings_are_pdfplumbers_on_every_fixture_page(pdf):
    snap, join, tolerance = RULED.snap_tolerance, RULED.join_tolerance, RULED.intersection_tolerance
    for edges in _every_input(pdf):
        merged = cells.merge_edges(edges, snap, snap, join, join)
        _same(merged, plumber_table.merge_edges(edges, snap, snap, join, join))
        kept = filter_edges(merged, min_length=RULED.edge_min_length)
        assert _long_enough(merged, RULED.edge_min_length) == kept
        ours = cells.edges_to_intersections(kept, tolerance, tolerance)
        theirs = plumber_table.edges_to_intersections(kept, tolerance, tolerance)
        assert list(ours) == list(theirs)
        assert ours == theirs
        found = cells.intersections_to_cells(ours)
        assert found == plumber_table.intersections_to_cells(ours)
        assert cells.cells_to_tables(found) == plumber_table.cells_to_tables(found)


def test_the_edges_kept_are_pdfplumbers():
    for edges in _every_input(fixture_pdfs("text")[0]):
        for orientation in ("v", "h", None):
            for length in (0, 1, 3, 10):
                assert _long_enough(edges, length, orientation) == filter_edges(edges, orientation, min_length=length)


def test_tables_of_cells_are_pdfplumbers_when_a_cell_is_listed_twice():
    boxes = [(0, 0, 10, 10), (50, 50, 60, 60), (10, 0, 20, 10), (0, 0, 10, 10), (60, 50, 70, 60), (20, 0, 30, 10)]
    assert cells.cells_to_tables(boxes) == plumber_table.cells_to_tables(boxes)
    assert cells.cells_to_tables(boxes[:3] + boxes[4:]) == plumber_table.cells_to_tables(boxes[:3] + boxes[4:])


@pytest.mark.parametrize("tolerances", [(0, 0, 0, 0), (3, 0, 3, 0), (0, 3, 0, 3), (5, 5, 1, 1)])
def test_merged_edges_are_pdfplumbers_with_other_tolerances(tolerances):
    pdf = fixture_pdfs("text")[0]
    for edges in _every_input(pdf)[:6]:
        _same(cells.merge_edges(edges, *tolerances), plumber_table.merge_edges(edges, *tolerances))


def test_snapping_moves_a_cluster_to_its_mean_and_joins_segments():
    def h(x0, x1, y):
        return {"x0": x0, "x1": x1, "top": y, "bottom": y, "doctop": y, "width": x1 - x0, "height": 0,
                "orientation": "h", "object_type": "line"}

    edges = [h(0, 10, 10.0), h(11, 20, 11.0), h(40, 50, 30.0)]
    merged = cells.merge_edges(edges, 3, 3, 3, 3)
    assert merged == plumber_table.merge_edges(edges, 3, 3, 3, 3)
    assert [(e["x0"], e["x1"], e["top"]) for e in merged] == [(0, 20, 10.5), (40, 50, 30.0)]
