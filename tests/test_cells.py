"""The cells of crossing rules: formaudit's faster `intersections_to_cells` gives pdfplumber's list, exactly."""

from __future__ import annotations

import pypdfium2
import pytest
from pdfplumber import table as plumber_table

from conftest import fixture_pdfs
from formaudit.detect.cells import intersections_to_cells
from formaudit.detect.grid import closing_edges, crossings_of, vertical_edges_from_rules
from formaudit.ingest.pdfium_reader import PdfiumReader


def _crossings_of_every_page(pdf) -> list[dict]:
    """The crossings each page's rules make, both ways find_cell_boxes looks for them."""
    document = pypdfium2.PdfDocument(str(pdf))
    reader = PdfiumReader(document)
    try:
        out = []
        for number in range(1, len(document) + 1):
            page = reader.page(number)
            out.append(crossings_of(page.edges, extra_horizontal=closing_edges(page.edges)))
            out.append(crossings_of(page.edges, vertical=vertical_edges_from_rules(page.horizontal_edges, page.chars)))
        return out
    finally:
        reader.close()
        document.close()


@pytest.mark.parametrize("pdf", fixture_pdfs("text"), ids=lambda p: p.stem)
def test_the_cells_are_pdfplumbers_on_every_fixture_page(pdf):
    for crossings in _crossings_of_every_page(pdf):
        assert intersections_to_cells(crossings) == plumber_table.intersections_to_cells(crossings)


def test_the_fixture_pages_compared_have_rules():
    """The comparison above is no comparison on pages without rules: most fixture pages have them."""
    ruled = [pdf for pdf in fixture_pdfs("text") if any(len(c) > 20 for c in _crossings_of_every_page(pdf))]
    assert len(ruled) >= len(fixture_pdfs("text")) * 2 // 3


def test_cells_need_shared_edges_not_only_four_corners():
    """Four corners whose edges are not shared (two separate boxes' corners) make no cell; a box makes one."""
    def h(x0, x1, y):
        return {"x0": x0, "x1": x1, "top": y, "bottom": y, "width": x1 - x0, "height": 0, "orientation": "h"}

    def v(x, y0, y1):
        return {"x0": x, "x1": x, "top": y0, "bottom": y1, "width": 0, "height": y1 - y0, "orientation": "v"}

    box = [h(0, 10, 0), h(0, 10, 10), v(0, 0, 10), v(10, 0, 10)]
    crossings = plumber_table.edges_to_intersections(box, 1, 1)
    assert intersections_to_cells(crossings) == [(0, 0, 10, 10)]
    # the top rule stops short of the right side: no cell
    broken = [h(0, 4, 0), h(0, 10, 10), v(0, 0, 10), v(10, 0, 10)]
    crossings = plumber_table.edges_to_intersections(broken, 1, 1)
    assert intersections_to_cells(crossings) == plumber_table.intersections_to_cells(crossings) == []
