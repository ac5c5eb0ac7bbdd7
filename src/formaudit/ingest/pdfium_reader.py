"""Read a text-layer page through PDFium: its characters and its ruling lines.

The output has pdfplumber's shapes (a character is a dict with text, x0, x1, top, bottom,
size, fontname, upright…; a ruling line is an edge dict with orientation h/v), in PDF points
with the origin at the page's top left, so the grid, the rule-less table and the sections
read either reader's page alike. PDFium parses the content stream in C: 10-20 times faster
than pdfminer on the Chromium- and LibreOffice-printed forms archives hold.

Boxes follow pdfminer's definition, not PDFium's loose box, so that both readers place a
character alike: x0 at the glyph origin, x1 one advance further, bottom at the font's descent
and top one font size above it. Ruling lines: pdfium_paths.py.

PDFium is not thread-safe: one document per process (the batch already forks per PDF). Text
pages and pages must be closed before their document; `read_text_layer_page` closes its own.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field

import pypdfium2
import pypdfium2.raw as pdfium_c

from formaudit.ingest import pdfium_calls as calls
from formaudit.ingest.pdfium_paths import (
    SCALE_DIGITS,
    Matrix,
    Written,
    apply,
    page_matrix,
    read_edges,
    written,
    written_matrix,
)

LOOSE_BOX_SLACK = 0.01  # pt: a loose box starting farther from the glyph origin is PDFium's ink box


@dataclass
class TextLayerPage:
    """One page as the detectors read it, whichever reader made it."""

    number: int  # 1-based
    width: float
    height: float
    chars: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    images: int = 0  # image objects drawn on the page (a searchable scan, a logo)
    # Text objects PDFium's text page left out. It drops an object whose bounds are empty, and a font that is not
    # embedded and that the machine lacks (STSong-Light without CJK fonts installed) gives a one-character
    # object, a word wrapped alone onto its line, empty bounds. Such a page is read by the second reader.
    unread_text: int = 0

    @property
    def page_number(self) -> int:
        return self.number

    @property
    def horizontal_edges(self) -> list[dict]:
        return [e for e in self.edges if e["orientation"] == "h"]


# ---------------------------------------------------------------- characters


@dataclass(frozen=True)
class _Run:
    """What all characters of one text object share, computed once: font, size and scale on the page."""

    fontname: str
    render_mode: int
    em: float  # the font size on the page, vertically (text matrix and CTM applied)
    ex: float  # … and horizontally
    upright: bool
    descent: float  # per unit of font size (negative below the baseline)
    size: float = 0.0  # pdfminer's: em, or the larger of ex and em for a glyph not upright (set by _new_run)
    drop: float = 0.0  # descent * em: from the baseline down to the box's bottom (set by _new_run)


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


def _unicode_text(textpage: int, index: int, code: int, count: int) -> tuple[str, int]:
    """The character at index, and how many text-page entries it took (a surrogate pair takes two)."""
    if 0xD800 <= code < 0xDC00 and index + 1 < count:
        low = calls.text_unicode(textpage, index + 1)
        if 0xDC00 <= low < 0xE000:
            return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), 2
    if calls.text_map_error(textpage, index) == 1:
        return "\ufffd", 1  # a glyph with no Unicode meaning: pdfminer's (cid:N), counted as unreadable alike
    return chr(code), 1


_MAYBE_GENERATED = frozenset((0x20, 0x0A, 0x0D, 0x02))  # what PDFium inserts: spaces, line breaks, soft hyphens
_NOT_A_CHARACTER = frozenset((0, 0xFFFE, 0xFFFF))


def _is_layout(textpage: int, index: int, code: int) -> bool:
    """A text-page entry that is no drawn character: spaces and line breaks PDFium infers (pdfminer's layout
    annotations), or no code point at all."""
    return code in _NOT_A_CHARACTER or (code in _MAYBE_GENERATED and calls.text_is_generated(textpage, index) == 1)


def _chars_of(textpage, to_page: Matrix) -> list[dict]:
    """The characters of a text page, in its order, with pdfminer's boxes: from the glyph origin one advance
    along, from the descent one font size up."""
    tp = calls.address(textpage)
    get_unicode, map_error, object_at = calls.text_unicode, calls.text_map_error, calls.text_object
    get_origin, get_loose = calls.text_origin, calls.text_loose_box
    count = calls.text_count(tp)
    runs: dict[int, _Run] = {}  # by text object (Chromium writes one per glyph, LibreOffice one per line)
    shared: dict[tuple, _Run] = {}  # by what a run is made of: a page's objects share a few fonts and matrices
    metrics: dict[int, tuple[str, float]] = {}  # by font
    loose = pdfium_c.FS_RECTF()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    loose_at, ox_at, oy_at = ctypes.addressof(loose), ctypes.addressof(ox), ctypes.addressof(oy)
    matrix = pdfium_c.FS_MATRIX()  # a run's text matrix, written here by each _run_of
    matrix_at = ctypes.addressof(matrix)
    a, _, _, d, e, f = to_page
    rounded = Written()  # a page repeats its baselines, columns and advances
    unrotated = to_page[1] == 0.0 and to_page[2] == 0.0 and d < 0  # the common case, computed without corners
    chars: list[dict] = []
    index = 0
    while index < count:
        code = get_unicode(tp, index)
        if code in _NOT_A_CHARACTER or code in _MAYBE_GENERATED and calls.text_is_generated(tp, index) == 1:
            index += 1
            continue
        if 0xD800 <= code < 0xDC00 or map_error(tp, index) == 1:
            text, taken = _unicode_text(tp, index, code, count)
        else:
            text, taken = chr(code), 1
        key = object_at(tp, index) or 0
        run = runs.get(key)
        if run is None:
            run = runs[key] = _run_of(textpage, tp, index, key, metrics, shared, matrix, matrix_at)
        get_origin(tp, index, ox_at, oy_at)
        get_loose(tp, index, loose_at)
        x, y = rounded[ox.value], rounded[oy.value]
        em = run.em
        # PDFium's loose box runs from the origin one advance along. Where PDFium replaced the font's code point
        # (a Kangxi radical by its ideograph) it gives the glyph's ink box instead: such characters are CJK
        # ideographs, one em wide.
        left = loose.left
        advance = rounded[loose.right - left] if abs(left - x) <= LOOSE_BOX_SLACK else run.ex
        bottom_y = y + run.drop
        if unrotated:
            x0, x1 = a * x + e, a * (x + advance) + e
            if x1 < x0:
                x0, x1 = x1, x0
            top, bottom = d * (bottom_y + em) + f, d * bottom_y + f
        else:
            corners = [apply(to_page, px, py) for px, py in ((x, bottom_y), (x + advance, bottom_y + em))]
            x0, x1 = sorted((corners[0][0], corners[1][0]))
            top, bottom = sorted((corners[0][1], corners[1][1]))
        chars.append({
            "object_type": "char", "text": text, "fontname": run.fontname,
            "size": run.size, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "width": x1 - x0, "height": bottom - top,
            "upright": run.upright, "render_mode": run.render_mode,
        })
        index += taken
    return chars


def text_objects_read(textpage) -> set[int]:
    """The text objects (by address) that characters of the text page come from."""
    tp = calls.address(textpage)
    count = calls.text_count(tp)
    get_unicode = calls.text_unicode
    return {calls.text_object(tp, i) or 0 for i in range(count) if not _is_layout(tp, i, get_unicode(tp, i))}


def _run_of(textpage, tp: int, index: int, text_object: int, metrics: dict, shared: dict,
            matrix: pdfium_c.FS_MATRIX, matrix_at: int) -> _Run:
    """What the characters of one text object share (`textpage` and its address `tp`). `matrix` (at address
    matrix_at) is where PDFium writes the text matrix: one for the page, a Chromium page has a run per glyph."""
    calls.text_matrix(tp, index, matrix_at)
    font_size = calls.text_font_size(tp, index)
    if text_object:
        font, render_mode = calls.text_object_font(text_object) or 0, calls.text_render_mode(text_object)
        if font not in metrics:
            metrics[font] = _font_metrics(pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(textpage, index)))
    else:
        font, render_mode = None, 0
    made_of = (font, render_mode, font_size, matrix.a, matrix.b, matrix.c, matrix.d)
    run = shared.get(made_of)
    if run is None:
        name, descent = metrics[font] if font is not None else ("", 0.0)
        run = shared[made_of] = _new_run(name, descent, render_mode, written(font_size), written_matrix(matrix)[:4])
    return run


def _new_run(fontname: str, descent: float, render_mode: int, font_size: float,
             scale: tuple[float, float, float, float]) -> _Run:
    a, b, c, d = scale
    em = font_size * (c * c + d * d) ** 0.5
    ex = font_size * (a * a + b * b) ** 0.5
    upright = a * d > 0 and b * c <= 0
    return _Run(fontname, render_mode, em, ex, upright, descent, em if upright else max(ex, em), descent * em)


# ---------------------------------------------------------------- a page


def read_text_layer_page(document: pypdfium2.PdfDocument, number: int, opened=None, *,
                         keep_unread: bool = True) -> TextLayerPage:
    """Page `number` (1-based) of an open document: characters and ruling lines. `opened` is the page and its
    text page, already loaded by the page scan; they are closed here. keep_unread=False: a page with text
    PDFium left out (TextLayerPage.unread_text) comes without characters, for a second reader to read."""
    page, textpage = opened or (document[number - 1], None)
    try:
        if textpage is None:
            textpage = page.get_textpage()
        to_page, width, height = page_matrix(page)
        edges, images, blank_texts = read_edges(page, to_page)
        # only a page drawing a text object with empty bounds can have text PDFium's text page left out
        unread = len(blank_texts - text_objects_read(textpage.raw)) if blank_texts else 0
        # such a page goes to the second reader, where there is one: its characters would not be used
        chars = [] if unread and not keep_unread else _chars_of(textpage.raw, to_page)
    finally:
        if textpage is not None:
            textpage.close()
        page.close()
    return TextLayerPage(number, width, height, chars, edges, images, unread_text=unread)


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

    def __init__(self, document: pypdfium2.PdfDocument, opened: dict | None = None, fallback=None):
        self.document = document
        self.opened = opened if opened is not None else {}  # shared: a page read is gone from the caller's too
        self.fallback = fallback  # a reader for pages PDFium cannot read whole (TextLayerPage.unread_text)

    def page(self, number: int) -> TextLayerPage:
        page = read_text_layer_page(self.document, number, self.opened.pop(number, None),
                                    keep_unread=self.fallback is None)
        if page.unread_text and self.fallback is not None:
            second = self.fallback.page(number)
            second.unread_text = page.unread_text  # kept: debug shows which pages took the second reader
            return second
        return page

    def size(self, number: int) -> tuple[float, float]:
        return page_size(self.document, number)

    def close(self) -> None:
        """Pages kept open and never read are closed; the document stays open: it is the caller's."""
        for page, textpage in self.opened.values():
            textpage.close()
            page.close()
        self.opened.clear()
        if self.fallback is not None:
            self.fallback.close()
