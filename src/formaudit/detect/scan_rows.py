"""Row boundaries a degraded scan lost, restored from the ink along them and the OCR lines beside them.

A rule faded or broken into dashes by the scan no longer survives the morphology of
detect/scan_grid.py (it keeps only long unbroken runs), so the two cells above and below
it come out as one tall cell and every field of both rows goes wrong. The table still
shows the boundary: the neighbouring columns keep their rule at that height. A tall cell is
cut there when the boundary is borne out inside it twice over: ink runs along most of the
cell's width at that height (what is left of the rule), and no OCR text line crosses it
(text in a merged cell stands across the boundary it spans; text in two rows stands on
either side of it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from formaudit.detect.grid import cluster_positions
from formaudit.models import BBox
from formaudit.settings import DEFAULT, ScanGridSettings

SCAN_GRID = DEFAULT.scan_grid


def row_boundaries(boxes: Sequence[BBox], settings: ScanGridSettings = SCAN_GRID) -> list[float]:
    """Every height where some cell of the table starts or ends (points)."""
    return cluster_positions([b[1] for b in boxes] + [b[3] for b in boxes], settings.row_boundary_match)


def inner_boundaries(box: BBox, boundaries: Sequence[float], settings: ScanGridSettings = SCAN_GRID) -> list[float]:
    """The table's row boundaries that run through the inside of a cell."""
    match = settings.row_boundary_match
    return [y for y in boundaries if box[1] + match < y < box[3] - match]


def rule_coverage(ink: np.ndarray, box: BBox, y: float, scale: float, settings: ScanGridSettings = SCAN_GRID) -> float:
    """The share of the cell's width that has ink within a narrow band along height y (ink in pixels, box in points)."""
    dpi = scale * 72
    band, inset = settings.px(settings.faded_rule_band_px, dpi), settings.px(settings.faded_rule_inset_px, dpi)
    x0, x1 = round(box[0] * scale) + inset, round(box[2] * scale) - inset
    yc = round(y * scale)
    strip = ink[max(0, yc - band):yc + band + 1, max(0, x0):max(0, x1)]
    if strip.size == 0:
        return 0.0
    return float((strip.max(axis=0) > 0).mean())


def crosses(line: BBox, y: float, settings: ScanGridSettings = SCAN_GRID) -> bool:
    """An OCR line box stands across height y by more than its box's slack."""
    reach = settings.line_overhang * (line[3] - line[1])
    return line[1] + reach < y < line[3] - reach


def lines_in(box: BBox, lines: Sequence[BBox]) -> list[BBox]:
    """The text lines whose centre lies in the cell."""
    return [ln for ln in lines
            if box[0] < (ln[0] + ln[2]) / 2 < box[2] and box[1] < (ln[1] + ln[3]) / 2 < box[3]]


def lost_boundaries(box: BBox, boundaries: Sequence[float], ink: np.ndarray, lines: Sequence[BBox],
                    scale: float, settings: ScanGridSettings = SCAN_GRID) -> list[float]:
    """The heights inside a cell where the table's row boundary runs on, unseen by the rule detector."""
    held = lines_in(box, lines)
    return [y for y in inner_boundaries(box, boundaries, settings)
            if not any(crosses(ln, y, settings) for ln in held)
            and rule_coverage(ink, box, y, scale, settings) >= settings.faded_rule_coverage]


def cut(box: BBox, heights: Sequence[float]) -> list[BBox]:
    """A cell cut into the rows between the given heights."""
    edges = [box[1], *sorted(heights), box[3]]
    return [(box[0], top, box[2], bottom) for top, bottom in zip(edges, edges[1:])]


def restore_lost_rows(boxes: Sequence[BBox], ink: np.ndarray, line_boxes: Sequence[BBox], scale: float,
                      settings: ScanGridSettings = SCAN_GRID) -> list[BBox]:
    """A table's cells with each tall cell cut where a lost rule ran (boxes in points; ink and lines in pixels)."""
    lines = [tuple(v / scale for v in ln) for ln in line_boxes]
    boundaries = row_boundaries(boxes, settings)
    out: list[BBox] = []
    for box in boxes:
        heights = lost_boundaries(box, boundaries, ink, lines, scale, settings)
        out.extend(cut(box, heights) if heights else [box])
    return out
