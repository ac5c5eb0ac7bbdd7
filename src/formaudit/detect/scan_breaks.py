"""The open end of a table cut by a page break, closed on a scanned page.

A browser printing a table cut by a page break draws the cut row's side rules down to the
page's foot (and from the next page's head) but no rule across: the cells of that row have
no bottom (or top) edge and are lost. detect/grid.py's closing_edges mends this on text-layer
pages; on a scan the rules found by morphology are looser, so the end is closed only where it
is borne out several times over:

- the vertical rules ending there belong to the table's grid: each meets one of the table's
  horizontal rules and spans at least its shortest row (a large title's strokes pass the rule
  detector as short vertical rules, but meet none of the table's rules);
- the end lies farther from the table's own rules than a rule's ends overshoot it (the
  morphology and the rule's thickness carry a vertical rule's ends a little past the rule
  that stops it);
- nothing follows it in the table's columns for a row's height (the page's ink ends there);
- text stands inside the open band (a row was cut there, not an empty frame).
"""

from __future__ import annotations

from collections.abc import Sequence

from formaudit.detect.grid import cluster_positions
from formaudit.models import BBox
from formaudit.settings import DEFAULT, ScanGridSettings

SCAN_GRID = DEFAULT.scan_grid


def table_frame(boxes: Sequence[BBox]) -> BBox:
    """The box around a table's cells."""
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def table_rules(edges: Sequence[dict], boxes: Sequence[BBox], tolerance: float) -> list[dict]:
    """The horizontal rules that bound the table's cells: at one of its row heights, across its frame.

    A rule may reach past the frame: a column whose cells are all open (cut at the page's head
    and foot) holds no cell, yet the rules of the rows beside it run across it.
    """
    heights = cluster_positions([b[1] for b in boxes] + [b[3] for b in boxes], tolerance)
    x0, _, x1, _ = table_frame(boxes)
    return [e for e in edges if e["orientation"] == "h" and e["x1"] > x0 + tolerance and e["x0"] < x1 - tolerance
            and any(abs(e["top"] - y) <= tolerance for y in heights)]


def shortest_row(boxes: Sequence[BBox], tolerance: float) -> float:
    """The table's smallest distance between neighbouring row heights (points)."""
    heights = cluster_positions([b[1] for b in boxes] + [b[3] for b in boxes], tolerance)
    return min((b - a for a, b in zip(heights, heights[1:])), default=0.0)


def meets(vertical: dict, rule: dict, tolerance: float) -> bool:
    """A vertical rule touches or crosses a horizontal one."""
    return (rule["x0"] - tolerance <= vertical["x0"] <= rule["x1"] + tolerance
            and vertical["top"] - tolerance <= rule["top"] <= vertical["bottom"] + tolerance)


def grid_verticals(edges: Sequence[dict], rules: Sequence[dict], span: float, tolerance: float) -> list[dict]:
    """The vertical rules of the table's grid: they meet one of its rules and span at least its shortest row."""
    return [e for e in edges if e["orientation"] == "v" and e["bottom"] - e["top"] >= span
            and any(meets(e, r, tolerance) for r in rules)]


def open_end(verticals: Sequence[dict], side: str, tolerance: float) -> tuple[float, list[float]]:
    """The height where the grid's verticals reach farthest down ("bottom") or up ("top"), and the
    column boundaries of those that end there."""
    ends = [e[side] for e in verticals]
    y = max(ends) if side == "bottom" else min(ends)
    return y, cluster_positions([e["x0"] for e in verticals if abs(e[side] - y) <= tolerance], tolerance)


def closed(y: float, x0: float, x1: float, rules: Sequence[dict], reach: float, tolerance: float) -> bool:
    """One of the table's rules runs across [x0, x1] within `reach` of height y."""
    return any(abs(r["top"] - y) <= reach and r["x0"] <= x0 + tolerance and r["x1"] >= x1 - tolerance for r in rules)


def band_holds_text(y: float, side: str, x0: float, x1: float, rules: Sequence[dict], lines: Sequence[BBox],
                    tolerance: float) -> bool:
    """Text stands between the open end at y and the nearest rule of the table across [x0, x1] before it."""
    across = [r["top"] for r in rules if r["x0"] <= x0 + tolerance and r["x1"] >= x1 - tolerance]
    if side == "bottom":
        start = max((t for t in across if t < y), default=float("-inf"))
        low, high = start, y
    else:
        start = min((t for t in across if t > y), default=float("inf"))
        low, high = y, start
    return any(x0 < (ln[0] + ln[2]) / 2 < x1 and low < (ln[1] + ln[3]) / 2 < high for ln in lines)


def past(y: float, v: float, side: str) -> float:
    """How far height v lies beyond the end at y, outward (down from a "bottom" end, up from a "top" one)."""
    return v - y if side == "bottom" else y - v


def followed(y: float, side: str, frame: BBox, lines: Sequence[BBox], rules: Sequence[dict], reach: float,
             overshoot: float) -> bool:
    """Text or a rule of the table's columns lies beyond the end within `reach`: the table does not run to the page's edge."""
    near = [ln[1] if side == "bottom" else ln[3] for ln in lines if frame[0] < (ln[0] + ln[2]) / 2 < frame[2]]
    near += [r["top"] for r in rules]
    return any(overshoot < past(y, v, side) <= reach for v in near)


def line_edge(x0: float, x1: float, y: float) -> dict:
    """A horizontal edge in pdfplumber's shape."""
    return {"x0": x0, "x1": x1, "top": y, "bottom": y, "width": x1 - x0, "height": 0, "orientation": "h",
            "object_type": "line"}


def end_closing(side: str, verticals: Sequence[dict], rules: Sequence[dict], frame: BBox, lines: Sequence[BBox],
                row: float, overshoot: float, tolerance: float) -> list[dict]:
    """The edges closing the table's open end on one side, or none where the end is not borne out."""
    y, xs = open_end(verticals, side, tolerance)
    pairs = [(a, b) for a, b in zip(xs, xs[1:]) if not closed(y, a, b, rules, overshoot, tolerance)]
    if not pairs or followed(y, side, frame, lines, rules, row, overshoot):
        return []
    if not any(band_holds_text(y, side, a, b, rules, lines, tolerance) for a, b in pairs):
        return []
    return [line_edge(a, b, y) for a, b in pairs]


def break_edges(edges: Sequence[dict], boxes: Sequence[BBox], lines: Sequence[BBox], scale: float,
                settings: ScanGridSettings = SCAN_GRID) -> list[dict]:
    """Horizontal edges closing one table's rows left open at the page's foot or head.

    edges: the page's rules; boxes: the table's cells as found without them; lines: OCR text
    lines (all in points); scale: the page image's pixels per point.
    """
    tolerance = settings.merge_tolerance
    overshoot = settings.px(settings.open_end_overshoot_px, scale * 72) / scale
    rules = table_rules(edges, boxes, tolerance)
    row = shortest_row(boxes, tolerance)
    verticals = grid_verticals(edges, rules, row, tolerance)
    if not verticals or row <= 0:
        return []
    frame = table_frame(boxes)
    return [e for side in ("top", "bottom")
            for e in end_closing(side, verticals, rules, frame, lines, row, overshoot, tolerance)]


def close_page_breaks(edges: Sequence[dict], tables: Sequence[Sequence[BBox]], lines: Sequence[BBox], scale: float,
                      settings: ScanGridSettings = SCAN_GRID) -> list[dict]:
    """Every table's closing edges on a page (see break_edges)."""
    return [e for boxes in tables for e in break_edges(edges, boxes, lines, scale, settings)]
