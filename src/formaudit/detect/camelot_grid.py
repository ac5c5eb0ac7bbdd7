"""camelot's lattice parser as a second detector of cell geometry.

camelot finds the ruling lines its own way (it renders the page and runs
morphology). Only its geometry is used: its text assignment put text one row too
low on LibreOffice exports while reporting 97% accuracy, so text always comes from
pdfplumber's characters (detect/grid.py).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from formaudit.models import BBox

logging.getLogger("camelot").setLevel(logging.ERROR)


def merged_boxes(cells, page_height: float) -> list[BBox]:
    """camelot's grid of cells with edge flags -> one box per merged region, top-left origin."""
    rows, cols = len(cells), len(cells[0]) if cells else 0
    parent = {(r, c): (r, c) for r in range(rows) for c in range(cols)}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def union(a, b):
        parent[find(a)] = find(b)

    for r in range(rows):
        for c in range(cols):
            cell = cells[r][c]
            if c + 1 < cols and not (cell.right or cells[r][c + 1].left):
                union((r, c), (r, c + 1))
            if r + 1 < rows and not (cell.bottom or cells[r + 1][c].top):
                union((r, c), (r + 1, c))
    groups: dict[tuple[int, int], list] = {}
    for key in parent:
        groups.setdefault(find(key), []).append(cells[key[0]][key[1]])
    boxes = []
    for members in groups.values():
        x0, x1 = min(m.x1 for m in members), max(m.x2 for m in members)
        y_low, y_high = min(m.y1 for m in members), max(m.y2 for m in members)
        boxes.append((x0, page_height - y_high, x1, page_height - y_low))
    return boxes


def lattice_cells(path: Path, page_number: int, page_height: float) -> list[list[BBox]]:
    """Cell boxes of each table camelot's lattice parser finds on one page."""
    import camelot

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "No tables found" and similar are answered by an empty list
        tables = camelot.read_pdf(str(path), pages=str(page_number), flavor="lattice")
    return [merged_boxes(t.cells, page_height) for t in tables]
