"""A searchable scan's own text layer, checked cell by cell against the OCR reading of the page's picture.

Copiers and archive software lay an OCR text layer over (or under) the page's picture; for Chinese it is often
wrong, so such a page is read from its picture (ingest/pdf.py: searchable_scan). The layer is then a second
reader of the same page. Where the two read a cell alike (after whitespace and width forms are normalized),
the cell is confirmed: the OCR engine's low confidence in it no longer makes a finding uncertain
(validate/rules.py). Where they differ, the OCR reading stands and the layer is not used: it never supplies
a cell's text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

import numpy as np

from formaudit.detect.grid import cell_text
from formaudit.ingest.scan import PreparedPage
from formaudit.models import Grid, GridCell, LayerCheck
from formaudit.settings import DEFAULT, RuledTableSettings

_SPACE = re.compile(r"\s+")


def same_reading(a: str, b: str) -> bool:
    """Two readings of one cell say the same: whitespace (line breaks, the spaces a reader puts between
    characters) and full-width forms (NFKC: ０ is 0, （ is () make no difference."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", a)) == _SPACE.sub("", unicodedata.normalize("NFKC", b))


def on_corrected_image(chars: list[dict], prepared: PreparedPage) -> list[dict]:
    """Text-layer characters (page points, as the PDF stands) moved onto the corrected image the grid was found
    on: each keeps its size, shifted as its centre moved (a degree of skew turns a box by a negligible amount)."""
    if not chars:
        return []
    centres = np.array([((c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2) for c in chars])
    moved = prepared.corrected_points(centres)
    out = []
    for ch, (cx, cy), (nx, ny) in zip(chars, centres, moved):
        dx, dy = float(nx - cx), float(ny - cy)
        out.append({**ch, "x0": ch["x0"] + dx, "x1": ch["x1"] + dx, "top": ch["top"] + dy, "bottom": ch["bottom"] + dy,
                    "doctop": ch["top"] + dy})
    return out


def _cell_finder(grid: Grid):
    slot: dict[tuple[int, int], GridCell] = {}
    for cell in grid.cells:
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                slot.setdefault((r, c), cell)

    def cell_at(x: float, y: float) -> GridCell | None:
        if not (grid.xs[0] <= x < grid.xs[-1] and grid.ys[0] <= y < grid.ys[-1]):
            return None
        return slot.get((bisect_right(grid.ys, y) - 1, bisect_right(grid.xs, x) - 1))

    return cell_at


def layer_by_cell(grids: list[Grid], chars: list[dict]) -> dict[int, list[dict]]:
    """The layer's characters of each cell (by id), placed by their centres as the OCR's are."""
    finders = [_cell_finder(g) for g in grids]
    held: dict[int, list[dict]] = {}
    for ch in chars:
        x, y = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        for cell_at in finders:
            cell = cell_at(x, y)
            if cell is not None:
                held.setdefault(id(cell), []).append(ch)
                break
    return held


def confirm_cells(grids: list[Grid], chars: list[dict], settings: RuledTableSettings = DEFAULT.ruled) -> LayerCheck:
    """Mark the cells whose layer text (chars on the corrected image) is their OCR text; count them and the
    cells where the two differ. A cell neither reader finds text in is not counted."""
    held = layer_by_cell(grids, chars)
    confirmed = disagreeing = 0
    for grid in grids:
        for cell in grid.cells:
            layer = cell_text(held.get(id(cell), []), settings)
            if not cell.text.strip() and not layer.strip():
                continue
            if same_reading(cell.text, layer):
                cell.confirmed_by_layer = True
                confirmed += 1
            else:
                disagreeing += 1
    return LayerCheck(confirmed, disagreeing)
