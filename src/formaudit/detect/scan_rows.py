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

BOUNDARY_MATCH = 2.0  # points: a cell edge this near a boundary of the table lies on it
RULE_BAND = 4  # px at 200 dpi either side of the boundary where a faded rule's ink may run (skew, wobble)
CELL_INSET = 6  # px at 200 dpi left out at the cell's sides (the vertical rules' ink)
FADED_RULE_COVERAGE = 0.75  # share of the cell's width with ink in the band: a rule's remains, not text strokes
LINE_OVERHANG = 0.25  # share of a text line's height that may reach past the boundary (its box is loose)
REFERENCE_DPI = 200


def row_boundaries(boxes: Sequence[BBox]) -> list[float]:
    """Every height where some cell of the table starts or ends (points)."""
    return cluster_positions([b[1] for b in boxes] + [b[3] for b in boxes], BOUNDARY_MATCH)


def inner_boundaries(box: BBox, boundaries: Sequence[float]) -> list[float]:
    """The table's row boundaries that run through the inside of a cell."""
    return [y for y in boundaries if box[1] + BOUNDARY_MATCH < y < box[3] - BOUNDARY_MATCH]


def rule_coverage(ink: np.ndarray, box: BBox, y: float, scale: float) -> float:
    """The share of the cell's width that has ink within a narrow band along height y (ink in pixels, box in points)."""
    px = scale * 72 / REFERENCE_DPI  # pixels per reference pixel
    band, inset = round(RULE_BAND * px), round(CELL_INSET * px)
    x0, x1 = round(box[0] * scale) + inset, round(box[2] * scale) - inset
    yc = round(y * scale)
    strip = ink[max(0, yc - band):yc + band + 1, max(0, x0):max(0, x1)]
    if strip.size == 0:
        return 0.0
    return float((strip.max(axis=0) > 0).mean())


def crosses(line: BBox, y: float) -> bool:
    """An OCR line box stands across height y by more than its box's slack."""
    reach = LINE_OVERHANG * (line[3] - line[1])
    return line[1] + reach < y < line[3] - reach


def lines_in(box: BBox, lines: Sequence[BBox]) -> list[BBox]:
    """The text lines whose centre lies in the cell."""
    return [ln for ln in lines
            if box[0] < (ln[0] + ln[2]) / 2 < box[2] and box[1] < (ln[1] + ln[3]) / 2 < box[3]]


def lost_boundaries(box: BBox, boundaries: Sequence[float], ink: np.ndarray, lines: Sequence[BBox],
                    scale: float) -> list[float]:
    """The heights inside a cell where the table's row boundary runs on, unseen by the rule detector."""
    held = lines_in(box, lines)
    return [y for y in inner_boundaries(box, boundaries)
            if not any(crosses(ln, y) for ln in held) and rule_coverage(ink, box, y, scale) >= FADED_RULE_COVERAGE]


def cut(box: BBox, heights: Sequence[float]) -> list[BBox]:
    """A cell cut into the rows between the given heights."""
    edges = [box[1], *sorted(heights), box[3]]
    return [(box[0], top, box[2], bottom) for top, bottom in zip(edges, edges[1:])]


def restore_lost_rows(boxes: Sequence[BBox], ink: np.ndarray, line_boxes: Sequence[BBox], scale: float) -> list[BBox]:
    """A table's cells with each tall cell cut where a lost rule ran (boxes in points; ink and lines in pixels)."""
    lines = [tuple(v / scale for v in ln) for ln in line_boxes]
    boundaries = row_boundaries(boxes)
    out: list[BBox] = []
    for box in boxes:
        heights = lost_boundaries(box, boundaries, ink, lines, scale)
        out.extend(cut(box, heights) if heights else [box])
    return out
