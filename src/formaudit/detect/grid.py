"""Ruled tables -> grids of cells with spans, and the text lines outside them.

pdfplumber's table functions find the cells (edges -> intersections -> cells) from the ruling
lines either reader gives (ingest/pdfium_reader.py, or pdfminer through pdfplumber); this module puts them on
a grid of column/row boundaries, so a merged cell becomes one cell with a row/column
span, and assigns each character to the cell that holds its centre.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import contains, itemgetter

from pdfplumber.utils import cluster_objects, extract_text, obj_to_edges

from formaudit.detect.cells import cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges
from formaudit.detect.spill import spilled_text
from formaudit.ingest.chars import UNREADABLE as _CID
from formaudit.ingest.pdfium_reader import TextLayerPage
from formaudit.models import BBox, Grid, GridCell, PageContent, TextLine
from formaudit.settings import DEFAULT, RuledTableSettings

RULED = DEFAULT.ruled
_TOP, _X0, _TEXT = itemgetter("top"), itemgetter("x0"), itemgetter("text")


def table_settings(settings: RuledTableSettings = RULED) -> dict:
    """pdfplumber's TableSettings for the same chain, for its own table finder (tests, debugging)."""
    return {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": settings.snap_tolerance,
            "join_tolerance": settings.join_tolerance, "intersection_tolerance": settings.intersection_tolerance,
            "edge_min_length": settings.edge_min_length}


def cluster_positions(values: Iterable[float], tolerance: float = RULED.boundary_tolerance) -> list[float]:
    """Merge positions closer than tolerance (rules drawn twice, rounding) into one boundary each."""
    ordered = sorted(values)
    groups: list[list[float]] = []
    for v in ordered:
        if groups and v - groups[-1][-1] <= tolerance:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


def _count_positions(values: Iterable[float], tolerance: float = RULED.boundary_tolerance) -> int:
    """len(cluster_positions(values, tolerance)), without the means."""
    ordered = sorted(values)
    return sum(b - a > tolerance for a, b in zip(ordered, ordered[1:])) + 1 if ordered else 0


def _index(boundaries: Sequence[float], value: float) -> int:
    """The boundary nearest to value (boundaries sorted)."""
    i = bisect_right(boundaries, value)
    if i == 0:
        return 0
    if i == len(boundaries) or value - boundaries[i - 1] <= boundaries[i] - value:
        return i - 1
    return i


def _cells_on_grid(page: int, boxes: Sequence[BBox], xs: list[float], ys: list[float]) -> tuple[list[GridCell], list[list[int | None]]]:
    """The cells, top to bottom, on the grid's columns xs and rows ys, and which cell covers each
    slot: slots[bisect_right(ys, y)][bisect_right(xs, x)] is the index of the cell at (x, y), the
    first cell listed where two overlap (the rows and columns past the grid's sides hold none)."""
    # the cells share their sides: each distinct side is looked up once
    sides_x, sides_y = {v for b in boxes for v in (b[0], b[2])}, {v for b in boxes for v in (b[1], b[3])}
    column, row = {x: _index(xs, x) for x in sides_x}, {y: _index(ys, y) for y in sides_y}
    rounded = {v: round(v, 2) for v in sides_x | sides_y}  # round(v, 2) costs half a microsecond
    cells: list[GridCell] = []
    slots: list[list[int | None]] = [[None] * (len(xs) + 1) for _ in range(len(ys) + 1)]
    for x0, top, x1, bottom in sorted(boxes, key=lambda b: (round(b[1]), round(b[0]))):
        c0, c1, r0, r1 = column[x0], column[x1], row[top], row[bottom]
        if c1 <= c0 or r1 <= r0:
            continue
        for slot_row in slots[r0 + 1:r1 + 1]:
            for c in range(c0 + 1, c1 + 1):
                if slot_row[c] is None:
                    slot_row[c] = len(cells)
        bbox = (rounded[x0], rounded[top], rounded[x1], rounded[bottom])
        cells.append(GridCell(page, r0, c0, r1 - r0, c1 - c0, bbox, ""))
    return cells, slots


Centres = tuple[list[float], list[float]]  # the characters' centres: their x, their y


def _centres(chars: Sequence[dict]) -> Centres:
    """Each character's centre, as _inside computes it."""
    return [(ch["x0"] + ch["x1"]) / 2 for ch in chars], [(ch["top"] + ch["bottom"]) / 2 for ch in chars]


def _cell_at_centres(centres: Centres, xs: list[float], ys: list[float],
                     slots: list[list[int | None]]) -> list[int | None]:
    """The index of the cell under each character's centre (None outside the cells)."""
    return [slots[bisect_right(ys, cy)][bisect_right(xs, cx)] for cx, cy in zip(*centres)]


def grid_from_cells(page: int, boxes: Sequence[BBox], chars: Sequence[dict], source: str = "pdfplumber",
                    settings: RuledTableSettings = RULED, *, centres: Centres | None = None) -> Grid | None:
    """Cells (bounding boxes, merged ones included) -> a Grid with spans and text.

    centres are _centres(chars) where the caller has them (read_page: for all its grids and the text around)."""
    if len(boxes) < settings.min_cells:
        return None
    xs = cluster_positions([b[0] for b in boxes] + [b[2] for b in boxes], settings.boundary_tolerance)
    ys = cluster_positions([b[1] for b in boxes] + [b[3] for b in boxes], settings.boundary_tolerance)
    cells, slots = _cells_on_grid(page, boxes, xs, ys)
    # the cell under each character's centre, once: the spill detector asks it of every character too
    cell_at = _cell_at_centres(centres if centres is not None else _centres(chars), xs, ys, slots)
    # a paragraph a spreadsheet drew past its cell belongs to its cell (OCR reads only what is visible)
    if source != "ocr":
        for i, owner in spilled_text(chars, cells, cell_at).items():
            cell_at[i] = owner
    # each cell's characters sorted by top, as cell_text sorts them: one sort of all, not one a cell
    held: list[list[dict]] = [[] for _ in cells]
    for i in sorted(range(len(chars)), key=list(map(_TOP, chars)).__getitem__):
        if cell_at[i] is not None:
            held[cell_at[i]].append(chars[i])
    # a text layer's characters carry no confidence and need no repairs: not asked of each cell
    certain = not any(map(contains, chars, repeat("confidence"))) and not any(map(contains, chars, repeat("repaired_from")))
    for cell, own in zip(cells, held):
        cell.text = _text_of_ordered(own, settings)
        if certain:
            continue
        # OCR characters carry the engine's confidence: a cell is as sure as its least sure
        cell.confidence = min((ch.get("confidence", 1.0) for ch in own), default=1.0)
        cell.repairs = [f"{ch['repaired_from']} -> {ch['text']}" for ch in own if "repaired_from" in ch]
    bbox = (xs[0], ys[0], xs[-1], ys[-1])
    return Grid(page, bbox, xs, ys, cells, source)


def cell_text(chars: Sequence[dict], settings: RuledTableSettings = RULED) -> str:
    """A cell's characters as lines (top to bottom), joined by newlines.

    The same reading as pdfplumber's extract_text(x_tolerance=space_gap, y_tolerance=line_tolerance)
    for upright text, without its general layout machinery (this runs for every cell).
    """
    return _text_of_ordered(sorted(chars, key=_TOP), settings)


def _text_of_ordered(ordered: Sequence[dict], settings: RuledTableSettings = RULED) -> str:
    """cell_text of characters already sorted by their top (a stable sort: ties as given).

    cell_text sorted by top alone, not (top, x0), reads the same: a line holds the same characters
    (its members are decided by their tops), and its sort by x0 below leaves ties in the same order
    (by top, then as given). A sort on float keys alone is twice as fast."""
    line_tolerance, space_gap = settings.line_tolerance, settings.space_gap
    if len(ordered) < 2:
        return ordered[0]["text"].strip() if ordered else ""
    lines: list[list[dict]] = []
    line_top = 0.0
    for ch in ordered:
        if lines and ch["top"] - line_top <= line_tolerance:
            lines[-1].append(ch)
        else:
            lines.append([ch])
            line_top = ch["top"]
    out = []
    for line in lines:
        line.sort(key=_X0)
        parts = [line[0]["text"]]
        for prev, ch in zip(line, line[1:]):
            gap = ch["x0"] - prev["x1"]
            # OCR boxes leave gaps between characters of one word: there a space needs half a character's height
            if gap > space_gap and ("confidence" not in ch or gap > max(space_gap, 0.5 * ch["size"])) \
                    and not ch["text"].isspace() and not prev["text"].isspace():
                parts.append(" ")
            parts.append(ch["text"])
        out.append("".join(parts))
    return "\n".join(out).strip()


def text_lines(page: int, chars: Sequence[dict], settings: RuledTableSettings = RULED) -> list[TextLine]:
    """Characters outside tables -> lines of text, top to bottom."""
    lines = []
    for group in cluster_objects(list(chars), "top", settings.line_tolerance):
        group = sorted(group, key=lambda ch: ch["x0"])
        text = extract_text(group, x_tolerance=settings.space_gap).strip()
        if text:
            bbox = (min(c["x0"] for c in group), min(c["top"] for c in group),
                    max(c["x1"] for c in group), max(c["bottom"] for c in group))
            lines.append(TextLine(page, tuple(round(v, 2) for v in bbox), text))
    return sorted(lines, key=lambda ln: ln.bbox[1])


def _crossed(x: float, chars: Sequence[dict], settings: RuledTableSettings = RULED) -> bool:
    """A line of text runs across x: a character straddles it, or two neighbours close up around it."""
    slack = settings.crossing_slack
    for ch in chars:
        if ch["x0"] < x - slack and ch["x1"] > x + slack:
            return True
    ordered = sorted(chars, key=lambda c: (round(c["top"]), c["x0"]))
    for a, b in zip(ordered, ordered[1:]):
        same_line = abs(a["top"] - b["top"]) <= settings.line_tolerance
        # closer than a letter's usual spacing (a third of its size): one word across the boundary
        if same_line and a["x1"] <= x + slack and b["x0"] >= x - slack and b["x0"] - a["x1"] < max(1.0, 0.3 * a["size"]):
            return True
    return False


def vertical_edges_from_rules(horizontal_edges: Sequence[dict], chars: Sequence[dict],
                              settings: RuledTableSettings = RULED) -> list[dict]:
    """Vertical edges implied where a table draws horizontal rules only.

    Such tables are usually drawn one border segment per cell (Word, Excel, WPS), so the
    ends of the segments are the column boundaries. Within each band between two rules, a
    boundary stands wherever no line of text runs across it: a cell spanning columns
    (a heading, a paragraph) keeps its text whole, and the rules alone give the rows.
    """
    if not horizontal_edges:
        return []
    tolerance = settings.boundary_tolerance
    ys = cluster_positions([e["top"] for e in horizontal_edges], tolerance)
    xs = cluster_positions([v for e in horizontal_edges for v in (e["x0"], e["x1"])], tolerance)
    left, right = xs[0], xs[-1]
    edges = []
    for top, bottom in zip(ys, ys[1:]):
        band = [ch for ch in chars if top <= (ch["top"] + ch["bottom"]) / 2 <= bottom]
        for x in xs:
            if x in (left, right) or not _crossed(x, band, settings):
                edges.append({"x0": x, "x1": x, "top": top, "bottom": bottom, "width": 0, "height": bottom - top,
                              "orientation": "v", "object_type": "line"})
    return edges


def _long_enough(edges: Iterable[dict], min_length: float, orientation: str | None = None) -> list[dict]:
    """pdfplumber's filter_edges(edges, orientation, min_length=min_length): the edges of that
    orientation (any, if None) whose height (vertical) or width (other) is at least min_length."""
    if orientation is None:
        return [e for e in edges if e["height" if e["orientation"] == "v" else "width"] >= min_length]
    length = "height" if orientation == "v" else "width"
    return [e for e in edges if e["orientation"] == orientation and e[length] >= min_length]


def edges_to_merge(edges: Sequence[dict], vertical: Sequence[dict] | None = None,
                   extra_horizontal: Sequence[dict] = (), settings: RuledTableSettings = RULED) -> list[dict]:
    """The edges pdfplumber's TableFinder merges with table_settings() ("lines"), vertical ones first:
    the drawn ones long enough. `vertical` replaces the drawn vertical edges; `extra_horizontal` is
    added to the drawn horizontal ones (as explicit_horizontal_lines would be)."""
    prefilter = settings.edge_min_length_prefilter
    v = [e for d in vertical for e in obj_to_edges(d)] if vertical is not None else _long_enough(edges, prefilter, "v")
    h = _long_enough(edges, prefilter, "h") + [e for d in extra_horizontal for e in obj_to_edges(d)]
    return v + h


def crossings_of(edges: Sequence[dict], vertical: Sequence[dict] | None = None,
                 extra_horizontal: Sequence[dict] = (), settings: RuledTableSettings = RULED) -> dict:
    """pdfplumber's chain on plain edges up to the crossings, as its TableFinder runs it with
    table_settings() ("lines"): merge, drop the short, intersect (cells.py does each step as pdfplumber does)."""
    snap, join = settings.snap_tolerance, settings.join_tolerance
    merged = merge_edges(edges_to_merge(edges, vertical, extra_horizontal, settings), snap, snap, join, join)
    merged = _long_enough(merged, settings.edge_min_length)
    return edges_to_intersections(merged, settings.intersection_tolerance, settings.intersection_tolerance)


def tables_from_edges(edges: Sequence[dict], vertical: Sequence[dict] | None = None,
                      extra_horizontal: Sequence[dict] = (), settings: RuledTableSettings = RULED) -> list[list[BBox]]:
    """The rest of pdfplumber's chain: the crossings' cells, grouped into tables."""
    cells = intersections_to_cells(crossings_of(edges, vertical, extra_horizontal, settings))
    return [t for t in cells_to_tables(cells) if len(t) >= settings.min_cells]


def _covered(y: float, x0: float, x1: float, rules: Sequence[dict], tolerance: float) -> bool:
    """A horizontal rule at y runs across [x0, x1]."""
    return any(abs(e["top"] - y) <= tolerance and e["x0"] <= x0 + tolerance
               and e["x1"] >= x1 - tolerance for e in rules)


def closing_edges(edges: Sequence[dict], settings: RuledTableSettings = RULED) -> list[dict]:
    """Horizontal edges where a table's vertical rules stop with no rule across them.

    A browser printing a table cut by a page break draws the cut row's side rules down to the
    foot of the page (and from the head of the next) but no rule across: that row's cells would
    be lost. Where two or more vertical rules end at one height and no horizontal rule joins
    them there, the page edge of the cut row is closed between each pair of neighbours.
    """
    shortest, tolerance = settings.open_end_min_rule, settings.boundary_tolerance
    verticals = [e for e in edges if e["orientation"] == "v" and e["bottom"] - e["top"] > shortest]
    rules = [e for e in edges if e["orientation"] == "h" and e["x1"] - e["x0"] >= shortest]
    out: list[dict] = []
    if not verticals:
        return out
    top, bottom = min(map(_TOP, verticals)), max(map(itemgetter("bottom"), verticals))
    if _count_positions([e["top"] for e in rules if top <= e["top"] <= bottom], tolerance) < settings.min_ruled_rows:
        return out  # a table drawn with vertical rules only (or a frame) is read from its text, not closed here
    # only the lowest and the highest ends: where a page break cuts the last or the first table
    for end, y in (("top", top), ("bottom", bottom)):
        xs = cluster_positions([e["x0"] for e in verticals if abs(e[end] - y) <= tolerance], tolerance)
        rules_there = [e for e in rules if abs(e["top"] - y) <= tolerance]  # (a form has hundreds of rule segments)
        for x0, x1 in zip(xs, xs[1:]):
            if not _covered(y, x0, x1, rules_there, tolerance):
                out.append({"x0": x0, "x1": x1, "top": y, "bottom": y, "width": x1 - x0, "height": 0,
                            "orientation": "h", "object_type": "line"})
    return out


def find_cell_boxes(page: TextLayerPage, settings: RuledTableSettings = RULED) -> list[Sequence[BBox]]:
    """Cells of each ruled table: drawn rules first; with horizontal rules only, rules implied by their ends."""
    tables = tables_from_edges(page.edges, extra_horizontal=closing_edges(page.edges, settings), settings=settings)
    if tables:
        return tables
    horizontal = page.horizontal_edges
    if len(horizontal) < settings.min_rules_for_columns:
        return tables
    return tables_from_edges(page.edges, vertical=vertical_edges_from_rules(horizontal, page.chars, settings),
                             settings=settings)


def _inside(ch: dict, bbox: BBox, pad: float = RULED.inside_pad) -> bool:
    cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
    return bbox[0] - pad <= cx <= bbox[2] + pad and bbox[1] - pad <= cy <= bbox[3] + pad


def _outside(chars: Sequence[dict], centres: Centres, bboxes: Sequence[BBox], pad: float = RULED.inside_pad) -> list[dict]:
    """The characters not _inside any of the boxes."""
    if not bboxes:
        return list(chars)
    padded = [(b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad) for b in bboxes]
    out = []
    for ch, cx, cy in zip(chars, *centres):
        for left, top, right, bottom in padded:
            if left <= cx <= right and top <= cy <= bottom:
                break
        else:
            out.append(ch)
    return out


def read_page(page: TextLayerPage, *, cell_boxes: list[Sequence[BBox]] | None = None, source: str = "pdfplumber",
              settings: RuledTableSettings = RULED) -> PageContent:
    """One text-layer page -> its grids and the text around them.

    cell_boxes lets another detector (camelot) supply the cell geometry; the text is
    always assigned here, from the reader's characters.
    """
    chars = [ch for ch in page.chars if ch.get("text", "").strip()]
    if cell_boxes is None:
        cell_boxes = find_cell_boxes(page, settings)
    centres = _centres(chars)
    grids = [g for boxes in cell_boxes
             if (g := grid_from_cells(page.page_number, boxes, chars, source, settings, centres=centres))]
    grids.sort(key=lambda g: (g.bbox[1], g.bbox[0]))
    outside = _outside(chars, centres, [g.bbox for g in grids], settings.inside_pad)
    unreadable = len(_CID.findall("".join(map(_TEXT, chars))))
    return PageContent(page.page_number, float(page.width), float(page.height), grids,
                       text_lines(page.page_number, outside, settings),
                       unreadable_chars=unreadable)
