"""A form label the OCR read one character short (or with one character misread), read again from its cell alone.

Whole-page recognition drops a thin character at the edge of a short line: the single
stroke 一 of 一级指标 faded by the scan comes out as 级指标, which is no label (it is one
character short of 一级指标, 二级指标 and 三级指标 alike), so the indicator table's header
is not found and every indicator row is lost. Recognition alone on the cell's crop reads
the character (the crop's margin gives the stroke context the page's line box cut off).
The new reading is taken only when it is itself a known label holding the old reading.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from formaudit.ingest.ocr import read_line
from formaudit.ingest.scan import PreparedPage
from formaudit.models import Grid, GridCell
from formaudit.settings import DEFAULT, ScanGridSettings
from formaudit.vocabulary import label_key, vocabulary

SCAN_GRID = DEFAULT.scan_grid


@cache
def known_labels() -> frozenset[str]:
    """Every printed label of the vocabulary, as matched (label_key)."""
    v = vocabulary()
    groups = (v.section_labels, v.indicator_columns, v.funding_columns, v.goals, v.meta, v.level1, v.level2, v.total)
    return frozenset(k for group in groups for k in group if k)


def holds_in_order(short: str, long: str) -> bool:
    """Every character of short stands in long, in the same order."""
    rest = iter(long)
    return all(ch in rest for ch in short)


def one_short_of_label(text: str, settings: ScanGridSettings = SCAN_GRID) -> bool:
    """A reading that is no label but one character short of one."""
    key = label_key(text)
    if len(key) < settings.shortest_label_reading or key in known_labels():
        return False
    return any(len(lbl) == len(key) + 1 and holds_in_order(key, lbl) for lbl in known_labels())


def one_misread(short: str, long: str) -> bool:
    """The same length, different in one character only."""
    return len(short) == len(long) and sum(a != b for a, b in zip(short, long)) == 1


def one_misread_from_label(text: str, settings: ScanGridSettings = SCAN_GRID) -> bool:
    """A reading that is no label but one character different from exactly one label (或本指标: 成本指标). A reading
    as near to several (X级指标) says nothing of which it is."""
    key = label_key(text)
    if len(key) <= settings.shortest_label_reading or key in known_labels():
        return False
    return sum(one_misread(key, lbl) for lbl in known_labels()) == 1


def _reread_fits(old: str, new: str) -> bool:
    """A new reading of a cell is taken when it is a label the old one is near: one character more, or one other."""
    old_key, new_key = label_key(old), label_key(new)
    return new_key in known_labels() and (
        (len(new_key) == len(old_key) + 1 and holds_in_order(old_key, new_key)) or one_misread(old_key, new_key))


def label_crop(cell: GridCell, prepared: PreparedPage, ink: np.ndarray,
               settings: ScanGridSettings = SCAN_GRID) -> np.ndarray | None:
    """The grey image round the ink inside a cell's rules, or None for a cell with no ink."""
    dpi = prepared.scale * 72
    inset, margin = settings.px(settings.cell_inset_px, dpi), settings.px(settings.reread_pad_px, dpi)
    x0, y0, x1, y1 = (round(v * prepared.scale) for v in cell.bbox)
    inner = ink[y0 + inset:y1 - inset, x0 + inset:x1 - inset]
    if inner.size == 0 or cv2.countNonZero(inner) < settings.area(settings.min_ink_pixels, dpi):
        return None
    ys, xs = np.nonzero(inner)
    top, left = y0 + inset + ys.min(), x0 + inset + xs.min()
    bottom, right = y0 + inset + ys.max(), x0 + inset + xs.max()
    return prepared.image[max(0, top - margin):bottom + margin, max(0, left - margin):right + margin]


def reread_short_labels(grid: Grid, prepared: PreparedPage, ink: np.ndarray, settings: ScanGridSettings = SCAN_GRID) -> None:
    """Cells of one line read one character short of a label, or one character other than one: read again alone,
    kept if that label comes out."""
    for cell in grid.cells:
        if "\n" in cell.text or not (one_short_of_label(cell.text, settings) or one_misread_from_label(cell.text, settings)):
            continue
        crop = label_crop(cell, prepared, ink, settings)
        read = read_line(crop) if crop is not None and crop.size else None
        if not read:
            continue
        text = read[0].strip()
        if _reread_fits(cell.text, text):
            cell.repairs.append(f"{cell.text} -> {text}")
            cell.text, cell.confidence = text, min(cell.confidence, read[1])
