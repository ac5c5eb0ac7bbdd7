"""Ruling lines of a page through PDFium: every straight horizontal and vertical segment drawn.

Paths are read segment by segment as pdfminer splits them: each subpath that is an axis-aligned
rectangle gives its four sides, any other subpath one edge per straight horizontal or vertical
segment (a path of many lines is many rules; diagonals and curves are not rules). Segments are
transformed by the object's matrix (and an enclosing form's) and clipped to the bounding box of the
object's clip path, as drawn. Edges have pdfplumber's shape, in points from the page's top left.

PDFium keeps coordinates and matrices in float32 (about 3e-5 pt of noise on a page): they are rounded
back to the decimals a producer writes, then computed in float64 as pdfminer does, so that both
readers put a rule at the same place.
"""

from __future__ import annotations

import ctypes

import pypdfium2
import pypdfium2.raw as pdfium_c

from formaudit.ingest import pdfium_calls as calls

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
AXIS_EPSILON = 1e-3  # pt: a segment whose ends differ by less across its run is horizontal/vertical (float32 noise)
# PDFium keeps coordinates and matrices in float32 (about 3e-5 pt of noise on a page): rounded back to the
# decimals a producer writes, then computed in float64 as pdfminer does, both readers put a rule at the same place.
COORD_DIGITS = 4
SCALE_DIGITS = 6  # a matrix's a, b, c, d (0.75, 0.05…)


def written(v: float) -> float:
    return round(v, COORD_DIGITS)


class Written(dict):
    """written(v) of each value asked, computed once: round() costs 0.4 µs, and a page repeats its coordinates
    (baselines, columns, rules). Zero is never kept, so that 0.0 and -0.0 (equal keys) keep their own sign."""

    def __missing__(self, value: float) -> float:
        result = round(value, COORD_DIGITS)
        if value:
            self[value] = result
        return result


def written_matrix(m) -> Matrix:
    return (round(m.a, SCALE_DIGITS), round(m.b, SCALE_DIGITS), round(m.c, SCALE_DIGITS), round(m.d, SCALE_DIGITS),
            written(m.e), written(m.f))


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF row-vector convention: p' = p·m·n)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2, e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def page_matrix(page: pypdfium2.PdfPage) -> tuple[Matrix, float, float]:
    """PDF user space -> points from the page's top left (as pdfminer turns and shifts a page), width, height."""
    x0, y0, x1, y1 = (written(v) for v in page.get_mediabox())
    rotation = page.get_rotation() % 360
    to_origin = {90: (0.0, -1.0, 1.0, 0.0, -y0, x1), 180: (-1.0, 0.0, 0.0, -1.0, x1, y1),
                 270: (0.0, 1.0, -1.0, 0.0, y1, -x0)}.get(rotation, (1.0, 0.0, 0.0, 1.0, -x0, -y0))
    width, height = (y1 - y0, x1 - x0) if rotation in (90, 270) else (x1 - x0, y1 - y0)
    flip: Matrix = (1.0, 0.0, 0.0, -1.0, 0.0, height)  # y up -> top down
    return multiply(to_origin, flip), width, height


def read_edges(page: pypdfium2.PdfPage, to_page: Matrix) -> tuple[list[dict], int, set[int]]:
    """Every straight horizontal and vertical segment drawn on the page as an edge; the number of images; and
    the text objects in a font the file does not embed whose bounds are empty (by address): PDFium's text page
    leaves those out (see pdfium_reader.TextLayerPage.unread_text)."""
    edges: list[dict] = []
    blank_texts: set[int] = set()
    images = _walk(calls.address(page.raw), calls.page_count_objects, calls.page_object, IDENTITY, to_page, edges,
                   blank_texts)
    seen: set[tuple] = set()
    unique = []
    for e in edges:  # "m l h" is drawn there and back: one rule
        key = (e["orientation"], e["x0"], e["x1"], e["top"], e["bottom"])
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return unique, images, blank_texts


def _font_missing(text_object: int) -> bool:
    """The object's font is not in the file, so PDFium drew it with a font of the machine's.

    Only then are empty bounds a sign of lost text (a CJK font the machine lacks draws nothing); in an
    embedded font they are a glyph that draws nothing, as browsers print spaces, and the page is whole.
    """
    return not calls.font_is_embedded(calls.text_object_font(text_object))


class _Out:
    """ctypes values PDFium writes into, with their addresses (taken once: a page passes them thousands of times)."""

    def __init__(self):
        self.matrix = pdfium_c.FS_MATRIX()
        self.bounds = [ctypes.c_float() for _ in range(4)]  # left, bottom, right, top
        self.x, self.y = ctypes.c_float(), ctypes.c_float()
        self.matrix_at = ctypes.addressof(self.matrix)
        self.bounds_at = [ctypes.addressof(v) for v in self.bounds]
        self.x_at, self.y_at = ctypes.addressof(self.x), ctypes.addressof(self.y)
        self.font_missing: dict[int, bool] = {}  # by font address: not embedded in the file (see _font_missing)
        self.written = Written()  # the page's coordinates, each rounded once
        self.clip_boxes: dict[tuple, tuple[float, float, float, float]] = {}  # a clip path's box on the page, by its points


def _walk(parent: int, count_fn, get_fn, outer: Matrix, to_page: Matrix, edges: list[dict], blank_texts: set[int],
          out: _Out | None = None) -> int:
    out = out or _Out()
    images = 0
    fs_matrix, bounds = out.matrix, out.bounds
    text_kind = pdfium_c.FPDF_PAGEOBJ_TEXT
    get_type, get_matrix = calls.object_type, calls.object_matrix
    path_kind, form_kind, image_kind = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM, pdfium_c.FPDF_PAGEOBJ_IMAGE
    placed_by: dict[tuple, Matrix] = {}  # objects of a page share a few matrices
    for i in range(count_fn(parent)):
        obj = get_fn(parent, i)
        kind = get_type(obj)
        if kind == image_kind:
            images += 1
            continue
        if kind == text_kind:
            # a Chromium page draws each glyph as a text object: their fonts are asked once each, and only an
            # object in a font the file does not embed has its bounds read
            font = calls.text_object_font(obj)
            missing = out.font_missing.get(font)
            if missing is None:
                missing = out.font_missing[font] = _font_missing(obj)
            if missing:
                calls.object_bounds(obj, *out.bounds_at)
                left, bottom, right, top = (v.value for v in bounds)
                if right - left < 0.01 and top - bottom < 0.01:
                    blank_texts.add(obj)
            continue
        if kind != path_kind and kind != form_kind:
            continue
        get_matrix(obj, out.matrix_at)
        raw = (fs_matrix.a, fs_matrix.b, fs_matrix.c, fs_matrix.d, fs_matrix.e, fs_matrix.f)
        to_user = placed_by.get(raw)
        if to_user is None:
            to_user = placed_by[raw] = multiply(written_matrix(fs_matrix), outer)
        if kind == form_kind:
            images += _walk(obj, calls.form_count_objects, calls.form_object, to_user, to_page, edges, blank_texts, out)
            continue
        clip = _clip_box(obj, outer, to_page, out)
        for placed in _subpaths(obj, out, to_user, to_page):
            if clip is None:
                edges.extend(subpath_edges(placed))
            else:
                edges.extend(e for e in (_clipped(e, clip) for e in subpath_edges(placed)) if e is not None)
    return images


def _subpaths(path: int, out: _Out, to_user: Matrix, to_page: Matrix) -> list[list[tuple[float, float]]]:
    """The path's subpaths as the points pdfminer keeps, placed on the page (to_user, then to_page): each
    segment's end point (no Bézier control points); a close returns to the start."""
    # apply(to_page, *apply(to_user, x, y)) written out: the same operations in the same order (the same
    # floats as pdfminer's), without two calls and two tuples per point
    a1, b1, c1, d1, e1, f1 = to_user
    a2, b2, c2, d2, e2, f2 = to_page
    x, y, x_at, y_at, rounded = out.x, out.y, out.x_at, out.y_at, out.written
    get_segment, get_type, get_point, get_close = calls.path_segment, calls.segment_type, calls.segment_point, \
        calls.segment_close
    moveto, bezierto = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_BEZIERTO
    subpaths: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    bezier = 0
    for i in range(calls.path_count_segments(path)):
        segment = get_segment(path, i)
        kind = get_type(segment)
        if kind == bezierto:
            bezier += 1
            if bezier % 3:
                continue  # a control point: never kept, its coordinates need not be read
        get_point(segment, x_at, y_at)
        px, py = rounded[x.value], rounded[y.value]
        ux, uy = a1 * px + c1 * py + e1, b1 * px + d1 * py + f1
        point = (a2 * ux + c2 * uy + e2, b2 * ux + d2 * uy + f2)
        if kind == moveto:
            if current:
                subpaths.append(current)
            current, bezier = [point], 0
            continue
        if not current:
            current = [point]
            continue
        current.append(point)
        if get_close(segment) and point != current[0]:
            current.append(current[0])
    if current:
        subpaths.append(current)
    return subpaths


def _edge(x0: float, top: float, x1: float, bottom: float, orientation: str, object_type: str) -> dict:
    x0, x1, top, bottom = min(x0, x1), max(x0, x1), min(top, bottom), max(top, bottom)
    return {"object_type": object_type, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "width": x1 - x0, "height": bottom - top, "orientation": orientation}


def _is_rectangle(points: list[tuple[float, float]]) -> bool:
    if len(points) != 5:
        return False
    (x0, y0), (x1, y1), (x2, y2), (x3, y3), (x4, y4) = points
    eps = AXIS_EPSILON  # _close written out: this runs for every path of the page
    if abs(x0 - x4) > eps or abs(y0 - y4) > eps:
        return False
    return (abs(x0 - x1) <= eps and abs(y1 - y2) <= eps and abs(x2 - x3) <= eps and abs(y3 - y0) <= eps) or \
           (abs(y0 - y1) <= eps and abs(x1 - x2) <= eps and abs(y2 - y3) <= eps and abs(x3 - x0) <= eps)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= AXIS_EPSILON


def _same(p: tuple[float, float], q: tuple[float, float]) -> bool:
    return _close(p[0], q[0]) and _close(p[1], q[1])


def subpath_edges(points: list[tuple[float, float]]) -> list[dict]:
    """A subpath (points on the page, top-left origin) -> edges: a rectangle's four sides, else each straight
    horizontal or vertical segment. Diagonals and curves are not rules."""
    if len(points) > 3 and _same(points[-2], points[0]) and _same(points[-1], points[0]):
        points = points[:-1]  # a closed path whose last segment already returned to the start
    if _is_rectangle(points):
        xs, ys = [p[0] for p in points[:4]], [p[1] for p in points[:4]]
        left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
        width, height = right - left, bottom - top
        # _edge's dicts, written out (a form page draws a hundred rectangles)
        return [{"object_type": "rect_edge", "x0": left, "x1": right, "top": top, "bottom": top, "doctop": top,
                 "width": width, "height": 0.0, "orientation": "h"},
                {"object_type": "rect_edge", "x0": left, "x1": right, "top": bottom, "bottom": bottom, "doctop": bottom,
                 "width": width, "height": 0.0, "orientation": "h"},
                {"object_type": "rect_edge", "x0": left, "x1": left, "top": top, "bottom": bottom, "doctop": top,
                 "width": 0.0, "height": height, "orientation": "v"},
                {"object_type": "rect_edge", "x0": right, "x1": right, "top": top, "bottom": bottom, "doctop": top,
                 "width": 0.0, "height": height, "orientation": "v"}]
    out = []
    object_type = "line" if len(points) == 2 else "curve_edge"
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        if _close(ya, yb) and not _close(xa, xb):
            y = (ya + yb) / 2
            out.append(_edge(xa, y, xb, y, "h", object_type))
        elif _close(xa, xb) and not _close(ya, yb):
            x = (xa + xb) / 2
            out.append(_edge(x, ya, x, yb, "v", object_type))
    return out


def _clip_box(obj: int, outer: Matrix, to_page: Matrix, out: _Out) -> tuple[float, float, float, float] | None:
    """The bounding box, on the page, of what the object's clip path lets through (None: not clipped)."""
    clip = calls.object_clip(obj)
    if not clip:
        return None
    box = None
    x, y, x_at, y_at = out.x, out.y, out.x_at, out.y_at
    for p in range(max(calls.clip_count_paths(clip), 0)):
        drawn = []
        for s in range(max(calls.clip_count_segments(clip, p), 0)):
            calls.segment_point(calls.clip_segment(clip, p, s), x_at, y_at)
            drawn.append((x.value, y.value))
        if not drawn:
            continue
        # the paths of a page share a few clips: each is placed once
        key = (outer, tuple(drawn))
        this = out.clip_boxes.get(key)
        if this is None:
            points = [apply(to_page, *apply(outer, written(px), written(py))) for px, py in drawn]
            xs, ys = [q[0] for q in points], [q[1] for q in points]
            this = out.clip_boxes[key] = (min(xs), min(ys), max(xs), max(ys))
        box = this if box is None else (max(box[0], this[0]), max(box[1], this[1]), min(box[2], this[2]), min(box[3], this[3]))
    return box


def _clipped(edge: dict, clip: tuple[float, float, float, float] | None) -> dict | None:
    if clip is None:
        return edge
    left, top, right, bottom = clip
    slack = 0.5  # pt: a rule drawn on the clip's border stays
    if edge["orientation"] == "h":
        if not top - slack <= edge["top"] <= bottom + slack:
            return None
        x0, x1 = max(edge["x0"], left), min(edge["x1"], right)
        return None if x1 <= x0 else (edge if (x0, x1) == (edge["x0"], edge["x1"]) else
                                      _edge(x0, edge["top"], x1, edge["top"], "h", edge["object_type"]))
    if not left - slack <= edge["x0"] <= right + slack:
        return None
    top2, bottom2 = max(edge["top"], top), min(edge["bottom"], bottom)
    return None if bottom2 <= top2 else (edge if (top2, bottom2) == (edge["top"], edge["bottom"]) else
                                         _edge(edge["x0"], top2, edge["x0"], bottom2, "v", edge["object_type"]))
