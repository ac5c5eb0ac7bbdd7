"""A scanned page: its ruled tables (detect/scan_grid.py), or with no rules at all, its rule-less one
(detect/scan_text.py), read by OCR; the page is not read when it holds neither."""

from __future__ import annotations

from pathlib import Path

from formaudit.detect.scan_grid import cell_boxes, read_prepared, rule_edges
from formaudit.detect.scan_text import read_without_rules
from formaudit.detect.text_grid import Carried
from formaudit.ingest.scan import binary, prepare
from formaudit.models import PageContent
from formaudit.settings import DEFAULT, Settings


def read_scanned_page(path: Path, number: int, width_pt: float, height_pt: float, settings: Settings = DEFAULT,
                      carried: Carried | None = None, expect_form: bool = False,
                      layer: list[dict] | None = None) -> tuple[PageContent | None, Carried | None]:
    """A scanned page's grids and text, or None when it holds no ruled table and does not look like a form; and
    the header a rule-less table carries on to the next page (`carried`: the one the page before carried on;
    `expect_form`: the page before left a form open, or the page's text layer names one; `layer`: a searchable scan's
    text-layer characters, checked against the OCR reading, detect/scan_layer.py)."""
    prepared = prepare(path, number, width_pt, height_pt, settings.scan_image)
    ink = binary(prepared.image, settings.scan_image)
    # a cheap look before OCR: is there a ruled table at all?
    edges = rule_edges(ink, prepared.scale, settings.scan_grid)
    if not cell_boxes(edges, settings.scan_grid):
        return read_without_rules(prepared, number, settings, carried, expect_form)
    return read_prepared(prepared, number, ink, edges, settings, layer), None
