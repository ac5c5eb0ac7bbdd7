"""pdfplumber's table chain from ruling edges to cells (merge the edges, find their crossings, the
cells between the crossings), with what it recomputes computed once.

Each function here returns what its pdfplumber namesake returns, exactly (the same floats, in the
same order: tests/test_cells.py compares them on every fixture page); only the work is less.
pdfplumber copies every edge dict through its generic move/resize helpers, tests every vertical edge
against every horizontal one, and builds a set of edge boxes for both points on every comparison of
two crossings: on a Chromium-printed form (hundreds of rule segments) that was a third of the time of
a page.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from operator import itemgetter

from pdfplumber import table as plumber_table
from pdfplumber.utils.geometry import bbox_getter

Point = tuple[float, float]
CellBox = tuple[float, float, float, float]
Crossings = dict[Point, dict[str, list[dict]]]


def _snap_shifts(values: list[float], tolerance: float) -> list[float]:
    """pdfplumber's snap_objects(edges, key, tolerance) on the edges' values of key, without moving
    them: how far each moves to the mean of its cluster. Its clusters (cluster_objects) chain the
    distinct values sorted, each within tolerance of the last; a mean sums its values in their given
    order, as pdfplumber's sum does."""
    cluster_of: dict[float, int] = {}
    number, last = 0, None
    for value in sorted(set(values)):
        # pdfplumber gives every distinct value its own cluster when the tolerance is 0
        if last is not None and not (tolerance != 0 and value <= last + tolerance):
            number += 1
        cluster_of[value] = number
        last = value
    members: list[list[float]] = [[] for _ in range(number + 1 if values else 0)]
    for value in values:
        members[cluster_of[value]].append(value)
    means = [sum(m) / len(m) for m in members]
    return [means[cluster_of[value]] - value for value in values]


def _same_after_zero_shift(*values: float) -> bool:
    """v + 0.0 and v - 0.0 are v itself for a float other than 0.0 and -0.0 (not for an int)."""
    return all(type(v) is float and v for v in values)


def _moved_sideways(edge: dict, shift: float | None) -> dict:
    """The fields of a vertical edge that pdfplumber's move_object(edge, "h", shift) changes, where they change."""
    if shift is None or (shift == 0 and _same_after_zero_shift(edge["x0"], edge["x1"])):
        return {}
    return {"x0": edge["x0"] + shift, "x1": edge["x1"] + shift}


def _moved_up_down(edge: dict, shift: float | None) -> dict:
    """The fields of a horizontal edge that pdfplumber's move_object(edge, "v", shift) changes, where they change."""
    if shift is None or (shift == 0 and _same_after_zero_shift(edge["top"], edge["bottom"], edge.get("doctop", 1.0))
                         and _same_after_zero_shift(edge.get("y0", 1.0), edge.get("y1", 1.0))):
        return {}
    moved = {"top": edge["top"] + shift, "bottom": edge["bottom"] + shift}
    if "doctop" in edge:
        moved["doctop"] = edge["doctop"] + shift
    if "y0" in edge:
        moved["y0"], moved["y1"] = edge["y0"] - shift, edge["y1"] - shift
    return moved


def _joined_horizontal(edge: dict, shift: float | None, ends: list[float]) -> dict:
    """The first horizontal edge of a run, snapped, and joined up to the last x1 of the run
    (pdfplumber's resize_object sets x1 and width)."""
    changed = _moved_up_down(edge, shift)
    if len(ends) > 1:
        changed.update(x1=ends[-1], width=ends[-1] - edge["x0"])
    return {**edge, **changed} if changed else edge


def _joined_vertical(edge: dict, shift: float | None, ends: list[float]) -> dict:
    """The first vertical edge of a run, snapped, and joined down to the last bottom of the run.
    pdfplumber's resize_object adds each extension to the height (and takes it from y0) in turn:
    the same sums are made here, in the same order."""
    changed = _moved_sideways(edge, shift)
    if len(ends) > 1:
        height, y0 = edge["height"], edge.get("y0")
        for previous, end in zip(ends, ends[1:]):
            height += end - previous
            if y0 is not None:
                y0 -= end - previous
        changed.update(bottom=ends[-1], height=height)
        if y0 is not None:
            changed["y0"] = y0
    return {**edge, **changed} if changed else edge


def _merged(edges: list[dict], keys: tuple[str, str, str], snap_tolerance: float | None, join_tolerance: float,
            joined: Callable[[dict, float | None, list[float]], dict]) -> list[dict]:
    """Edges of one orientation snapped to their line (unless snap_tolerance is None), and the
    segments of each line joined, as pdfplumber's merge_edges does: lines in order (of the snapped
    line key, compared exactly), a line's segments by their start, ties in the given order (within
    a cluster pdfplumber's snapped list keeps it).

    Snapping moves an edge across its line and joining works along it, so the runs are found from
    the edges' own ends, and only the first edge of each run is copied, once (a run is a whole
    rule on a Chromium-printed form, drawn as one segment per cell side: a tenth of the edges)."""
    line_key, start_key, end_key = keys
    values = [e[line_key] for e in edges]
    shifts = _snap_shifts(values, snap_tolerance) if snap_tolerance is not None else None
    lines = [v + s for v, s in zip(values, shifts)] if shifts is not None else values
    order = list(zip(lines, [e[start_key] for e in edges]))
    out: list[dict] = []
    first, ends = 0, []
    for i in sorted(range(len(edges)), key=order.__getitem__):
        e = edges[i]
        if ends and lines[i] == lines[first] and e[start_key] <= ends[-1] + join_tolerance:
            if e[end_key] > ends[-1]:
                ends.append(e[end_key])
            continue
        if ends:
            out.append(joined(edges[first], None if shifts is None else shifts[first], ends))
        first, ends = i, [e[end_key]]
    if ends:
        out.append(joined(edges[first], None if shifts is None else shifts[first], ends))
    return out


def merge_edges(edges: list[dict], snap_x_tolerance: float, snap_y_tolerance: float,
                join_x_tolerance: float, join_y_tolerance: float) -> list[dict]:
    """pdfplumber.table.merge_edges: the same edges (equal dicts, the same floats, in the same order).
    Rules drawn close together are snapped to one line, then the segments of a line are joined."""
    snapping = snap_x_tolerance > 0 or snap_y_tolerance > 0
    vertical = [e for e in edges if e["orientation"] == "v"]
    horizontal = [e for e in edges if e["orientation"] == "h"]
    # pdfplumber sorts by ("h", top) / ("v", x0): the horizontal lines come first
    return (_merged(horizontal, ("top", "x0", "x1"), snap_y_tolerance if snapping else None, join_x_tolerance,
                    _joined_horizontal)
            + _merged(vertical, ("x0", "top", "bottom"), snap_x_tolerance if snapping else None, join_y_tolerance,
                      _joined_vertical))


def edges_to_intersections(edges: list[dict], x_tolerance: float = 1, y_tolerance: float = 1) -> Crossings:
    """pdfplumber.table.edges_to_intersections: the same crossings, in the same order, with the same
    edge lists. It tests every vertical edge against every horizontal one (sorted by top); here each
    vertical edge is tested only against the run of horizontal edges within its height, found by
    bisection on the very sums pdfplumber compares (top + tolerance, top - tolerance)."""
    vertical = sorted((e for e in edges if e["orientation"] == "v"), key=itemgetter("x0", "top"))
    horizontal = sorted((e for e in edges if e["orientation"] == "h"), key=itemgetter("top", "x0"))
    # both sums grow with top, so the edges meeting each condition on height are one run
    reach_down = [h["top"] + y_tolerance for h in horizontal]
    reach_up = [h["top"] - y_tolerance for h in horizontal]
    crossings: Crossings = {}
    for v in vertical:
        x = v["x0"]
        for h in horizontal[bisect_left(reach_down, v["top"]):bisect_right(reach_up, v["bottom"])]:
            if h["x0"] - x_tolerance <= x <= h["x1"] + x_tolerance:
                vertex = (x, h["top"])
                found = crossings.get(vertex)
                if found is None:
                    found = crossings[vertex] = {"v": [], "h": []}
                found["v"].append(v)
                found["h"].append(h)
    return crossings


def intersections_to_cells(intersections: Crossings) -> list[CellBox]:
    """pdfplumber.table.intersections_to_cells: every smallest rectangle whose four corners are
    crossings joined by shared edges, the same list. pdfplumber builds the sets of edge boxes of both
    points on every comparison and scans every later point for the points below and right of each;
    here the sets are made once per point and the points are looked up by their column and row.

    Two points in one column (one x) are joined when they share a vertical edge, two in one row
    when they share a horizontal one (pdfplumber's edge_connects, which asks both of any two points)."""
    vertical = {p: set(map(bbox_getter, found["v"])) for p, found in intersections.items()}
    horizontal = {p: set(map(bbox_getter, found["h"])) for p, found in intersections.items()}
    points = sorted(intersections)
    # sorted by (x, y): the points after a point in its column are below it, top down; in its row, right of it
    columns: dict[float, list[Point]] = defaultdict(list)
    rows: dict[float, list[Point]] = defaultdict(list)
    place: dict[Point, tuple[int, int]] = {}
    for p in points:
        place[p] = (len(columns[p[0]]), len(rows[p[1]]))
        columns[p[0]].append(p)
        rows[p[1]].append(p)

    def smallest_cell(pt: Point) -> CellBox | None:
        in_column, in_row = place[pt]
        down, across = vertical[pt], horizontal[pt]
        right = rows[pt[1]][in_row + 1:]
        for below_pt in columns[pt[0]][in_column + 1:]:
            if down.isdisjoint(vertical[below_pt]):
                continue
            for right_pt in right:
                if across.isdisjoint(horizontal[right_pt]):
                    continue
                corner = (right_pt[0], below_pt[1])
                if corner in intersections and not vertical[corner].isdisjoint(vertical[right_pt]) \
                        and not horizontal[corner].isdisjoint(horizontal[below_pt]):
                    return (pt[0], pt[1], corner[0], corner[1])
        return None

    return [cell for pt in points if (cell := smallest_cell(pt))]


def cells_to_tables(cells: list[CellBox]) -> list[list[CellBox]]:
    """pdfplumber.table.cells_to_tables: the cells grouped into tables of cells touching at a corner,
    the same tables, each with its cells in the same order. pdfplumber passes over the cells left
    until a pass adds none to the table it is growing, as here, but removes each cell it takes from
    the list by value (list.remove) and counts every corner it shares; here the cells not taken
    make the next pass's list. With a cell listed twice list.remove may take the other copy:
    such a list is left to pdfplumber (intersections_to_cells lists each cell once, by its top-left)."""
    if len(set(cells)) != len(cells):
        return plumber_table.cells_to_tables(cells)
    tables: list[list[CellBox]] = []
    table: list[CellBox] = []
    corners: set[Point] = set()
    remaining = list(cells)
    while remaining:
        grown = len(table)
        left = []
        for cell in remaining:
            x0, top, x1, bottom = cell
            its_corners = ((x0, top), (x0, bottom), (x1, top), (x1, bottom))
            if not table or not corners.isdisjoint(its_corners):
                corners.update(its_corners)
                table.append(cell)
            else:
                left.append(cell)
        remaining = left
        if len(table) == grown:
            tables.append(table)
            table, corners = [], set()
    if table:
        tables.append(table)
    tables.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return [t for t in tables if len(t) > 1]
