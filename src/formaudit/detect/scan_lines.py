"""Lines of a cell that the OCR detector passed over, read from the cell's own crop.

Whole-page detection runs on the page scaled to 960 px on its long side. The second line of small print
wrapped in a narrow cell (可持续影响指 | 标, 服务对象满意度 | 指标, the last words of a reason or a goal) can
come out too small for it, and the cell reads as its first line only: a level-2 label is then no label and
the row's kind is lost, a name or a goal ends short. The cell's ink says where its lines are: a band of ink
that no OCR character stands on is a line that was not read. It is read by recognition alone on its crop
(as an empty cell is) and put back in its place among the cell's lines.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import numpy as np

from formaudit.detect.grid import cell_text
from formaudit.ingest.ocr import read_line
from formaudit.ingest.scan import PreparedPage
from formaudit.models import Grid, GridCell
from formaudit.settings import DEFAULT, ScanGridSettings

SCAN_GRID = DEFAULT.scan_grid


def ink_bands(inner: np.ndarray, settings: ScanGridSettings, dpi: float) -> list[tuple[int, int]]:
    """Bands of rows holding ink in a cell's inside ([top, bottom) in its pixels). The remains of rules (a
    row or column inked across most of the inside) are left out first: they are no line of text."""
    ink = inner > 0
    h, w = ink.shape
    ink = ink[:, ink.sum(axis=0) < settings.rule_remains_share * h]
    rows = ink.sum(axis=1)
    inked = (rows >= settings.px(settings.band_min_ink_px, dpi)) & (rows < settings.rule_remains_share * w)
    bands: list[tuple[int, int]] = []
    gap = settings.px(settings.band_gap_px, dpi)
    for y in np.flatnonzero(inked):
        if bands and y - bands[-1][1] < gap:
            bands[-1] = (bands[-1][0], int(y) + 1)
        else:
            bands.append((int(y), int(y) + 1))
    return bands


def unread_bands(bands: Sequence[tuple[int, int]], spans: Sequence[tuple[float, float]], glyph: float,
                 settings: ScanGridSettings = SCAN_GRID) -> list[tuple[int, int]]:
    """The bands as tall as a line of the cell's print that no character's span (top, bottom) covers half of."""
    out = []
    for top, bottom in bands:
        height = bottom - top
        if not settings.band_min_height * glyph <= height <= settings.band_max_height * glyph:
            continue
        if not any(min(bottom, b) - max(top, t) >= 0.5 * height for t, b in spans):
            out.append((top, bottom))
    return out


def _line_read(prepared: PreparedPage, inner: np.ndarray, band: tuple[int, int], left: int, top: int, pad: int,
               settings: ScanGridSettings) -> tuple[str, float, tuple[int, int, int, int]] | None:
    """Recognition alone on one band of a cell: its text, confidence and box in page pixels, when it reads sure."""
    cols = np.flatnonzero(inner[band[0]:band[1]].any(axis=0))
    if not len(cols):
        return None
    x0, x1 = left + int(cols[0]), left + int(cols[-1]) + 1
    y0, y1 = top + band[0], top + band[1]
    crop = prepared.image[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad]
    read = read_line(crop) if crop.size else None
    if not read or not read[0].strip() or read[1] < settings.unread_line_score:
        return None
    return read[0].strip(), read[1], (x0, y0, x1, y1)


def read_unread_lines(grid: Grid, chars: Sequence[dict], prepared: PreparedPage, ink: np.ndarray,
                      settings: ScanGridSettings = SCAN_GRID) -> None:
    """Each cell with text whose ink holds a line none of its characters stand on: that line read and put in."""
    scale = prepared.scale
    dpi = scale * 72
    inset, pad = settings.px(settings.cell_inset_px, dpi), settings.px(settings.reread_pad_px, dpi)
    held = _chars_by_cell(grid, chars)
    for cell in grid.cells:
        own = held.get(id(cell), [])
        if not cell.text or not own:
            continue  # an empty cell is read again whole (scan_grid.reread_empty_cells)
        x0, y0, x1, y1 = (int(round(v * scale)) for v in cell.bbox)
        left, top = x0 + inset, y0 + inset
        inner = ink[top:y1 - inset, left:x1 - inset]
        if inner.size == 0:
            continue
        spans = [(ch["top"] * scale - top, ch["bottom"] * scale - top) for ch in own]
        glyph = statistics.median(b - t for t, b in spans)
        added = [_as_char(found, scale) for band in unread_bands(ink_bands(inner, settings, dpi), spans, glyph, settings)
                 if (found := _line_read(prepared, inner, band, left, top, pad, settings))]
        if added:
            text = cell_text(list(own) + added)
            cell.repairs.append(f"{cell.text} -> {text}".replace("\n", " "))
            cell.text = text
            cell.confidence = min([cell.confidence] + [a["confidence"] for a in added])


def _as_char(found: tuple[str, float, tuple[int, int, int, int]], scale: float) -> dict:
    """A line read again, in the shape of an OCR character (cell_text places it among the cell's lines)."""
    text, score, (x0, y0, x1, y1) = found
    return {"text": text, "x0": x0 / scale, "x1": x1 / scale, "top": y0 / scale, "bottom": y1 / scale,
            "size": (y1 - y0) / scale, "confidence": score}


def _chars_by_cell(grid: Grid, chars: Sequence[dict]) -> dict[int, list[dict]]:
    """The characters whose centre stands in each cell, by id(cell)."""
    out: dict[int, list[dict]] = {}
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        cell = _cell_at(grid.cells, cx, cy)
        if cell is not None:
            out.setdefault(id(cell), []).append(ch)
    return out


def _cell_at(cells: Sequence[GridCell], x: float, y: float) -> GridCell | None:
    return next((c for c in cells if c.bbox[0] <= x < c.bbox[2] and c.bbox[1] <= y < c.bbox[3]), None)
