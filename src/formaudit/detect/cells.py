"""Intersections -> cells: pdfplumber's `intersections_to_cells`, with what it recomputes computed once.

pdfplumber compares the edges through two crossing points by building a set of edge boxes for both
points on every comparison, and finds the points below and right of each point by scanning every
later point: on a Chromium-printed form (hundreds of rule segments) that was a tenth of the time of a
page. The search and its order are the same here, so the cells are the same list
(tests/test_steps.py compares them on every fixture page); only the sets are made once per point and
the points are looked up by their column and row.
"""

from __future__ import annotations

from collections import defaultdict

from pdfplumber.utils import obj_to_bbox

Point = tuple[float, float]
CellBox = tuple[float, float, float, float]


def intersections_to_cells(intersections: dict[Point, dict[str, list[dict]]]) -> list[CellBox]:
    """Every smallest rectangle whose four corners are crossings joined by shared edges, as pdfplumber finds them."""
    vertical = {p: {obj_to_bbox(e) for e in found["v"]} for p, found in intersections.items()}
    horizontal = {p: {obj_to_bbox(e) for e in found["h"]} for p, found in intersections.items()}

    def connects(p1: Point, p2: Point) -> bool:
        return (p1[0] == p2[0] and not vertical[p1].isdisjoint(vertical[p2])) or \
               (p1[1] == p2[1] and not horizontal[p1].isdisjoint(horizontal[p2]))

    points = sorted(intersections)
    # sorted by (x, y): the points after a point with its x are below it, top down; with its y, right of it
    below_of: dict[float, list[Point]] = defaultdict(list)
    right_of: dict[float, list[Point]] = defaultdict(list)
    for p in points:
        below_of[p[0]].append(p)
        right_of[p[1]].append(p)

    def smallest_cell(pt: Point) -> CellBox | None:
        column, row = below_of[pt[0]], right_of[pt[1]]
        right = row[row.index(pt) + 1:]
        for below_pt in column[column.index(pt) + 1:]:
            if not connects(pt, below_pt):
                continue
            for right_pt in right:
                if not connects(pt, right_pt):
                    continue
                corner = (right_pt[0], below_pt[1])
                if corner in intersections and connects(corner, right_pt) and connects(corner, below_pt):
                    return (pt[0], pt[1], corner[0], corner[1])
        return None

    return [cell for pt in points if (cell := smallest_cell(pt))]
