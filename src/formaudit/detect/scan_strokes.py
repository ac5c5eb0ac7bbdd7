"""A leaning 1 inside a number stays a 1.

detect/scan_grid.py reads a leaning stroke the engine calls 1 as the "/" of an empty cell.
A skewed or smeared scan leans the 1 of a number as well (1672.46 came out /672.46, 15 as /5):
an empty cell's "/" stands alone, so a stroke with a digit beside it on its line is a digit.
"""

from __future__ import annotations

from dataclasses import replace

from formaudit.ingest.ocr import OcrChar
from formaudit.settings import DEFAULT, ScanGridSettings

NUMBER_CHARS = set("0123456789.,%")
SCAN_GRID = DEFAULT.scan_grid


def beside(a: OcrChar, b: OcrChar, settings: ScanGridSettings = SCAN_GRID) -> bool:
    """Two characters side by side on one text line."""
    height = max(a.box[3] - a.box[1], 1.0)
    same_line = abs(a.box[1] - b.box[1]) <= settings.same_line_share * height
    gap = max(a.box[0], b.box[0]) - min(a.box[2], b.box[2])
    return same_line and gap <= settings.neighbour_gap * height


def keep_strokes_in_numbers(found: list[OcrChar], settings: ScanGridSettings = SCAN_GRID) -> list[OcrChar]:
    """Undo the slash repair of a stroke that has a digit beside it (OCR order keeps a line's characters together)."""
    out = list(found)
    for i, c in enumerate(found):
        if c.repaired_from is None or c.text != "/":
            continue
        neighbours = found[max(0, i - 1):i] + found[i + 1:i + 2]
        if any(n.text in NUMBER_CHARS and beside(c, n, settings) for n in neighbours):
            out[i] = replace(c, text=c.repaired_from, repaired_from=None)
    return out
