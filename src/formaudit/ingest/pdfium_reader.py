"""Read a text-layer page through PDFium: its characters and its ruling lines.

The output has pdfplumber's shapes (a character is a dict with text, x0, x1, top, bottom,
size, fontname, upright…; a ruling line is an edge dict with orientation h/v), in PDF points
with the origin at the page's top left, so the grid, the rule-less table and the sections
read either reader's page alike. PDFium parses the content stream in C: 10-20 times faster
than pdfminer on the Chromium- and LibreOffice-printed forms archives hold.

Boxes follow pdfminer's definition, not PDFium's loose box, so that both readers place a
character alike: x0 at the glyph origin, x1 one advance further, bottom at the font's descent
and top one font size above it. Paths are read segment by segment as pdfminer splits them:
each subpath that is an axis-aligned rectangle gives its four sides, any other subpath one
edge per straight horizontal or vertical segment (a path of many lines is many rules).
Segments are transformed by the object's matrix (and an enclosing form's) and clipped to the
object's clip path's bounding box, as drawn.

PDFium is not thread-safe: one document per process (the batch already forks per PDF). Text
pages and pages must be closed before their document; `read_text_layer_page` closes its own.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field

import pypdfium2
import pypdfium2.raw as pdfium_c

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
AXIS_EPSILON = 1e-3  # pt: a segment whose ends differ by less across its run is horizontal/vertical (float32 noise)
LOOSE_BOX_SLACK = 0.01  # pt: a loose box starting farther from the glyph origin is PDFium's ink box
# PDFium keeps coordinates and matrices in float32 (about 3e-5 pt of noise on a page): rounded back to the
# decimals a producer writes, then computed in float64 as pdfminer does, both readers put a rule at the same place.
COORD_DIGITS = 4
SCALE_DIGITS = 6  # a matrix's a, b, c, d (0.75, 0.05…)


def _written(v: float) -> float:
    return round(v, COORD_DIGITS)


def _written_matrix(m) -> Matrix:
    return (round(m.a, SCALE_DIGITS), round(m.b, SCALE_DIGITS), round(m.c, SCALE_DIGITS), round(m.d, SCALE_DIGITS),
            _written(m.e), _written(m.f))


@dataclass
class TextLayerPage:
    """One page as the detectors read it, whichever reader made it."""

    number: int  # 1-based
    width: float
    height: float
    chars: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    images: int = 0  # image objects drawn on the page (a searchable scan, a logo)

    @property
    def page_number(self) -> int:
        return self.number

    @property
    def horizontal_edges(self) -> list[dict]:
        return [e for e in self.edges if e["orientation"] == "h"]


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF row-vector convention: p' = p·m·n)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2, e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def page_matrix(page: pypdfium2.PdfPage) -> tuple[Matrix, float, float]:
    """PDF user space -> points from the page's top left (as pdfminer turns and shifts a page), width, height."""
    x0, y0, x1, y1 = (_written(v) for v in page.get_mediabox())
    rotation = page.get_rotation() % 360
    to_origin = {90: (0.0, -1.0, 1.0, 0.0, -y0, x1), 180: (-1.0, 0.0, 0.0, -1.0, x1, y1),
                 270: (0.0, 1.0, -1.0, 0.0, y1, -x0)}.get(rotation, (1.0, 0.0, 0.0, 1.0, -x0, -y0))
    width, height = (y1 - y0, x1 - x0) if rotation in (90, 270) else (x1 - x0, y1 - y0)
    flip: Matrix = (1.0, 0.0, 0.0, -1.0, 0.0, height)  # y up -> top down
    return multiply(to_origin, flip), width, height


# ---------------------------------------------------------------- characters


@dataclass(frozen=True)
class _Font:
    name: str
    descent: float  # per unit of font size (negative below the baseline)
    render_mode: int


def _font_metrics(font) -> tuple[str, float]:
    descent = ctypes.c_float(0.0)
    name = ""
    if font:
        pdfium_c.FPDFFont_GetDescent(font, ctypes.c_float(1.0), descent)
        size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
        if size > 0:
            buffer = ctypes.create_string_buffer(size)
            pdfium_c.FPDFFont_GetBaseFontName(font, buffer, size)
            name = buffer.value.decode("utf-8", "replace")
    return name, min(round(descent.value, SCALE_DIGITS), 0.0)


def _text_object_font(text_object, metrics: dict[int, tuple[str, float]]) -> _Font:
    """The font of a text object; a font's metrics are read once (Chromium writes one text object per glyph)."""
    font = pdfium_c.FPDFTextObj_GetFont(text_object)
    key = ctypes.cast(font, ctypes.c_void_p).value or 0
    if key not in metrics:
        metrics[key] = _font_metrics(font)
    name, descent = metrics[key]
    return _Font(name, descent, pdfium_c.FPDFTextObj_GetTextRenderMode(text_object))


def _unicode_text(textpage, index: int, code: int, count: int) -> tuple[str, int]:
    """The character at index, and how many text-page entries it took (a surrogate pair takes two)."""
    if 0xD800 <= code < 0xDC00 and index + 1 < count:
        low = pdfium_c.FPDFText_GetUnicode(textpage, index + 1)
        if 0xDC00 <= low < 0xE000:
            return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), 2
    if pdfium_c.FPDFText_HasUnicodeMapError(textpage, index) == 1:
        return "\ufffd", 1  # a glyph with no Unicode meaning: pdfminer's (cid:N), counted as unreadable alike
    return chr(code), 1


def read_chars(textpage: pypdfium2.PdfTextPage, to_page: Matrix) -> list[dict]:
    return _chars_of(textpage.raw, to_page)


_MAYBE_GENERATED = frozenset((0x20, 0x0A, 0x0D, 0x02))  # what PDFium inserts: spaces, line breaks, soft hyphens


def _chars_of(textpage, to_page: Matrix) -> list[dict]:
    get_unicode, get_object = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetTextObject
    get_origin, get_loose = pdfium_c.FPDFText_GetCharOrigin, pdfium_c.FPDFText_GetLooseCharBox
    count = pdfium_c.FPDFText_CountChars(textpage)
    runs: dict[int, tuple[_Font, float, tuple[float, float, float, float]]] = {}  # by text object
    metrics: dict[int, tuple[str, float]] = {}
    loose = pdfium_c.FS_RECTF()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    chars: list[dict] = []
    index = 0
    while index < count:
        code = get_unicode(textpage, index)
        if code in (0, 0xFFFE, 0xFFFF) or (code in _MAYBE_GENERATED and pdfium_c.FPDFText_IsGenerated(textpage, index) == 1):
            index += 1  # spaces and line breaks PDFium infers: pdfminer's layout annotations, not characters
            continue
        text, taken = _unicode_text(textpage, index, code, count)
        text_object = get_object(textpage, index)
        key = ctypes.cast(text_object, ctypes.c_void_p).value or 0
        run = runs.get(key)
        if run is None:  # what all characters of one text object share: font, size, matrix
            run = runs[key] = _run_of(textpage, index, text_object, metrics)
        get_origin(textpage, index, ox, oy)
        get_loose(textpage, index, loose)
        chars.append(_char_dict(text, run[0], run[1], run[2], (round(ox.value, COORD_DIGITS), round(oy.value, COORD_DIGITS)),
                                (loose.left, loose.right), to_page))
        index += taken
    return chars


def _run_of(textpage, index: int, text_object, metrics: dict) -> tuple[_Font, float, tuple[float, float, float, float]]:
    matrix = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFText_GetMatrix(textpage, index, matrix)
    font = _text_object_font(text_object, metrics) if text_object else _Font("", 0.0, 0)
    return font, _written(pdfium_c.FPDFText_GetFontSize(textpage, index)), _written_matrix(matrix)[:4]


def _char_dict(text: str, font: _Font, font_size: float, scale: tuple[float, float, float, float],
               origin: tuple[float, float], loose_x: tuple[float, float], to_page: Matrix) -> dict:
    """pdfminer's box of one glyph: from the origin one advance along, from the descent one font size up."""
    a, b, c, d = scale
    em = font_size * (c * c + d * d) ** 0.5  # the font size on the page (text matrix and CTM applied)
    ex = font_size * (a * a + b * b) ** 0.5
    x, y = origin
    upright = a * d > 0 and b * c <= 0
    # PDFium's loose box runs from the origin one advance along. Where PDFium replaced the font's code point
    # (a Kangxi radical by its ideograph) it gives the glyph's ink box instead: such characters are CJK
    # ideographs, one em wide.
    advance = _written(loose_x[1] - loose_x[0]) if abs(loose_x[0] - x) <= LOOSE_BOX_SLACK else ex
    bottom_y = y + font.descent * em
    if to_page[1] == 0.0 and to_page[2] == 0.0 and to_page[3] < 0:  # an unrotated page: no need for the general case
        x0, x1 = sorted((to_page[0] * x + to_page[4], to_page[0] * (x + advance) + to_page[4]))
        top, bottom = to_page[3] * (bottom_y + em) + to_page[5], to_page[3] * bottom_y + to_page[5]
    else:
        corners = [apply(to_page, px, py) for px, py in ((x, bottom_y), (x + advance, bottom_y + em))]
        x0, x1 = sorted((corners[0][0], corners[1][0]))
        top, bottom = sorted((corners[0][1], corners[1][1]))
    return {
        "object_type": "char", "text": text, "fontname": font.name,
        "size": em if upright else max(ex, em), "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
        "width": x1 - x0, "height": bottom - top,
        "upright": upright, "render_mode": font.render_mode,
    }


# ---------------------------------------------------------------- ruling lines


def read_edges(page: pypdfium2.PdfPage, to_page: Matrix) -> tuple[list[dict], int]:
    """Every straight horizontal and vertical segment drawn on the page as an edge; and the number of images."""
    edges: list[dict] = []
    images = _walk(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, IDENTITY, to_page, edges)
    seen: set[tuple] = set()
    unique = []
    for e in edges:  # "m l h" is drawn there and back: one rule
        key = (e["orientation"], e["x0"], e["x1"], e["top"], e["bottom"])
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return unique, images


def _walk(parent, count_fn, get_fn, outer: Matrix, to_page: Matrix, edges: list[dict]) -> int:
    images = 0
    fs_matrix = pdfium_c.FS_MATRIX()
    get_type, get_matrix = pdfium_c.FPDFPageObj_GetType, pdfium_c.FPDFPageObj_GetMatrix
    path_kind, form_kind, image_kind = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM, pdfium_c.FPDF_PAGEOBJ_IMAGE
    placed_by: dict[tuple, Matrix] = {}  # objects of a page share a few matrices
    for i in range(count_fn(parent)):
        obj = get_fn(parent, i)
        kind = get_type(obj)
        if kind == image_kind:
            images += 1
            continue
        if kind != path_kind and kind != form_kind:
            continue
        get_matrix(obj, fs_matrix)
        raw = (fs_matrix.a, fs_matrix.b, fs_matrix.c, fs_matrix.d, fs_matrix.e, fs_matrix.f)
        to_user = placed_by.get(raw)
        if to_user is None:
            to_user = placed_by[raw] = multiply(_written_matrix(fs_matrix), outer)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            images += _walk(obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, to_user, to_page, edges)
            continue
        clip = _clip_box(obj, outer, to_page)
        for points in _subpaths(obj):
            placed = [apply(to_page, *apply(to_user, x, y)) for x, y in points]
            edges.extend(e for e in (_clipped(e, clip) for e in subpath_edges(placed)) if e is not None)
    return images


def _subpaths(path) -> list[list[tuple[float, float]]]:
    """The path's subpaths as the points pdfminer keeps: each segment's end point (no Bézier control points);
    a close returns to the start."""
    x, y = ctypes.c_float(), ctypes.c_float()
    get_segment, get_type, get_point = pdfium_c.FPDFPath_GetPathSegment, pdfium_c.FPDFPathSegment_GetType, \
        pdfium_c.FPDFPathSegment_GetPoint
    moveto = pdfium_c.FPDF_SEGMENT_MOVETO
    out: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    bezier = 0
    for i in range(pdfium_c.FPDFPath_CountSegments(path)):
        segment = get_segment(path, i)
        kind = get_type(segment)
        get_point(segment, x, y)
        point = (round(x.value, COORD_DIGITS), round(y.value, COORD_DIGITS))
        if kind == moveto:
            if current:
                out.append(current)
            current, bezier = [point], 0
            continue
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            bezier += 1
            if bezier % 3:
                continue  # a control point
        if not current:
            current = [point]
            continue
        current.append(point)
        if pdfium_c.FPDFPathSegment_GetClose(segment) and point != current[0]:
            current.append(current[0])
    if current:
        out.append(current)
    return out


def _edge(x0: float, top: float, x1: float, bottom: float, orientation: str, object_type: str) -> dict:
    x0, x1, top, bottom = min(x0, x1), max(x0, x1), min(top, bottom), max(top, bottom)
    return {"object_type": object_type, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "width": x1 - x0, "height": bottom - top, "orientation": orientation}


def _is_rectangle(points: list[tuple[float, float]]) -> bool:
    if len(points) != 5 or not _same(points[0], points[4]):
        return False
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[:4]
    close = _close
    return (close(x0, x1) and close(y1, y2) and close(x2, x3) and close(y3, y0)) or \
           (close(y0, y1) and close(x1, x2) and close(y2, y3) and close(x3, x0))


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
        return [_edge(left, top, right, top, "h", "rect_edge"), _edge(left, bottom, right, bottom, "h", "rect_edge"),
                _edge(left, top, left, bottom, "v", "rect_edge"), _edge(right, top, right, bottom, "v", "rect_edge")]
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


def _clip_box(obj, outer: Matrix, to_page: Matrix) -> tuple[float, float, float, float] | None:
    """The bounding box, on the page, of what the object's clip path lets through (None: not clipped)."""
    clip = pdfium_c.FPDFPageObj_GetClipPath(obj)
    if not clip:
        return None
    box = None
    x, y = ctypes.c_float(), ctypes.c_float()
    for p in range(max(pdfium_c.FPDFClipPath_CountPaths(clip), 0)):
        points = []
        for s in range(max(pdfium_c.FPDFClipPath_CountPathSegments(clip, p), 0)):
            segment = pdfium_c.FPDFClipPath_GetPathSegment(clip, p, s)
            pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
            points.append(apply(to_page, *apply(outer, _written(x.value), _written(y.value))))
        if not points:
            continue
        xs, ys = [q[0] for q in points], [q[1] for q in points]
        this = (min(xs), min(ys), max(xs), max(ys))
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


# ---------------------------------------------------------------- a page


def read_text_layer_page(document: pypdfium2.PdfDocument, number: int, opened=None) -> TextLayerPage:
    """Page `number` (1-based) of an open document: characters and ruling lines. `opened` is the page and its
    text page, already loaded by the page scan; they are closed here."""
    page, textpage = opened or (document[number - 1], None)
    try:
        if textpage is None:
            textpage = page.get_textpage()
        to_page, width, height = page_matrix(page)
        chars = read_chars(textpage, to_page)
        edges, images = read_edges(page, to_page)
    finally:
        if textpage is not None:
            textpage.close()
        page.close()
    return TextLayerPage(number, width, height, chars, edges, images)


def page_size(document: pypdfium2.PdfDocument, number: int) -> tuple[float, float]:
    """Width and height in points of page `number` as it is shown (turned by its /Rotate)."""
    page = document[number - 1]
    try:
        _, width, height = page_matrix(page)
    finally:
        page.close()
    return width, height


class PdfiumReader:
    """Pages of an open document (the one the page scan used): the caller owns and closes it. `opened`: pages
    the scan kept loaded, by number; each is read once, and closed by then or by close()."""

    def __init__(self, document: pypdfium2.PdfDocument, opened: dict | None = None):
        self.document = document
        self.opened = opened if opened is not None else {}  # shared: a page read is gone from the caller's too

    def page(self, number: int) -> TextLayerPage:
        return read_text_layer_page(self.document, number, self.opened.pop(number, None))

    def size(self, number: int) -> tuple[float, float]:
        return page_size(self.document, number)

    def close(self) -> None:
        """Pages kept open and never read are closed; the document stays open: it is the caller's."""
        for page, textpage in self.opened.values():
            textpage.close()
            page.close()
        self.opened.clear()
