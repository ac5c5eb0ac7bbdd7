"""Open a PDF, tell unusable files apart by a clear code, and scan page text cheaply.

The cheap scan uses PDFium's text extraction (C, ~1 ms a page) so that characters and
rules are read only on pages that may hold a form, from the same open document.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pypdfium2

from formaudit.ingest.chars import fold_text
from formaudit.ingest.pdfium_calls import address
from formaudit.settings import DEFAULT, PageScanSettings

PAGE_SCAN = DEFAULT.page_scan

# pdfminer prints "Could not get FontBBox from font descriptor" once per character on many
# Chinese PDFs: keep its real errors, drop the noise.
for _name in ("pdfminer", "pdfminer.pdffont", "pdfminer.pdfpage", "pdfminer.pdfinterp", "pdfminer.converter",
              "pdfminer.psparser", "pdfminer.pdfdocument", "pdfminer.cmapdb", "camelot"):
    logging.getLogger(_name).setLevel(logging.ERROR)


class UnusableDocument(Exception):
    """A whole document cannot be used; `code` is one of the documented error codes (it becomes a
    record's `errors` entry, a `record.DocumentError`)."""

    def __init__(self, code: str, message: str, page: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.page = page


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_file(path: Path, max_bytes: int | None = None) -> None:
    """Raise UnusableDocument for files that are not PDFs or too large, before any parser sees them."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnusableDocument("UNREADABLE_FILE", f"cannot read the file: {exc.strerror}") from exc
    if size == 0:
        raise UnusableDocument("NOT_A_PDF", "the file is empty (0 bytes)")
    if max_bytes is not None and size > max_bytes:
        raise UnusableDocument("TOO_LARGE", f"the file is {size / 1e6:.1f} MB, above the limit of {max_bytes / 1e6:.0f} MB")
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise UnusableDocument("NOT_A_PDF", "the file does not start like a PDF (no %PDF- header)")


@dataclass(frozen=True)
class PageScan:
    number: int  # 1-based
    text: str  # whitespace removed
    chars: int
    images: int
    garbled: float = 0.0  # share of characters with no Unicode meaning (a font without a ToUnicode map)
    invisible: float = 0.0  # share of characters drawn invisibly (render mode 3): an OCR layer over a picture
    # another page of the document has a text layer that cannot be read (the same fonts without a Unicode map)
    in_unreadable_document: bool = False
    # share of characters an opaque picture of the page, drawn after them, hides: a text layer under its picture
    covered: float = 0.0


# What PDFium returns for glyphs it cannot map: control characters, glyph ids shown as Latin-1
# (À, ß, ®…, which Chinese budget reports do not print), U+FFFD, private-use code points.
_GARBLED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff\ufffd\ue000-\uf8ff]")
GARBLED_SHARE = 0.3
MIN_CHARS_TO_JUDGE = 20  # fewer characters (a page number, a stray symbol) say too little about a text layer


def open_document(path: Path) -> pypdfium2.PdfDocument:
    """The PDF opened by PDFium, once for the page scan and the reading; classifies encrypted and broken files."""
    try:
        return pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pypdfium2.raw.FPDF_ERR_PASSWORD:
            raise UnusableDocument("ENCRYPTED_PDF", "the PDF is encrypted with a password") from exc
        if code == pypdfium2.raw.FPDF_ERR_SECURITY:
            raise UnusableDocument("ENCRYPTED_PDF", "the PDF uses an unsupported security handler") from exc
        raise UnusableDocument("TRUNCATED_PDF", f"the PDF is damaged or cut short: {exc}") from exc


OpenPage = tuple[pypdfium2.PdfPage, pypdfium2.PdfTextPage]


def scan_document(doc: pypdfium2.PdfDocument, settings: PageScanSettings = PAGE_SCAN) -> list[PageScan]:
    """Page count and each page's text, via PDFium."""
    return scan_keeping(doc, None, settings)[0]


def scan_keeping(doc: pypdfium2.PdfDocument, keep: Callable[[PageScan], bool] | None,
                 settings: PageScanSettings = PAGE_SCAN) -> tuple[list[PageScan], dict[int, OpenPage]]:
    """The page scan; the pages `keep` chooses stay open (page and text page), so that reading them parses
    their content once. The caller closes the kept pages (text page first)."""
    scans = []
    kept: dict[int, OpenPage] = {}
    for i in range(len(doc)):
        page = doc[i]
        textpage = None
        try:
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            has_text = bool(text.strip())
            invisible = invisible_share(textpage) if has_text else 0.0
            covered = covered_share(doc, page, textpage, settings) if has_text and invisible < INVISIBLE_SHARE else 0.0
            # images matter only where no text shows (a scan, a searchable scan); counting them costs a walk of
            # all objects
            shown = has_text and invisible < INVISIBLE_SHARE and covered < INVISIBLE_SHARE
            images = 0 if shown else sum(
                1 for obj in page.get_objects(max_depth=1) if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE)
            squeezed = fold_text(re.sub(r"\s+", "", text))
            garbled = len(_GARBLED.findall(squeezed)) / len(squeezed) if squeezed else 0.0
            scan = PageScan(i + 1, squeezed, len(squeezed), images, round(garbled, 3), invisible, covered=covered)
            scans.append(scan)
            if keep is not None and keep(scan):
                kept[scan.number], page, textpage = (page, textpage), None, None
        finally:
            if textpage is not None:
                textpage.close()
            if page is not None:
                page.close()
    return judged_by_document(scans), kept


def judged_by_document(scans: list[PageScan]) -> list[PageScan]:
    """Pages too short to judge their own text layer (a table's last rows on a page of their own) take the
    document's verdict: where another page's layer cannot be read, theirs is the same fonts' and cannot either."""
    if not any(unusable_text_layer(s) for s in scans):
        return scans
    return [replace(s, in_unreadable_document=True) for s in scans]


INVISIBLE_SHARE = 0.8  # a page whose text is this much invisible (or hidden under its picture) is a searchable scan
_INVISIBLE_SAMPLE = 64  # characters looked at: an OCR layer is invisible throughout


def invisible_share(textpage: pypdfium2.PdfTextPage) -> float:
    """The share of characters drawn with render mode 3 (neither filled nor stroked), from an even sample.
    Copiers and archive software lay their OCR text over the page image so: often wrong for Chinese."""
    raw = pypdfium2.raw
    return sampled_share(textpage, lambda index, text_object:
                         raw.FPDFTextObj_GetTextRenderMode(text_object) == raw.FPDF_TEXTRENDERMODE_INVISIBLE)


def sampled_share(textpage: pypdfium2.PdfTextPage, counts: Callable[[int, int], bool]) -> float:
    """The share of a text page's characters, from an even sample of _INVISIBLE_SAMPLE, for which
    counts(index, text object) holds; spaces and line breaks PDFium inferred are not characters."""
    raw = pypdfium2.raw
    count = raw.FPDFText_CountChars(textpage.raw)
    if count <= 0:
        return 0.0
    step = max(1, count // _INVISIBLE_SAMPLE)
    seen = hidden = 0
    for index in range(0, count, step):
        text_object = raw.FPDFText_GetTextObject(textpage.raw, index)
        if not text_object:  # a space or line break PDFium inferred
            continue
        seen += 1
        hidden += bool(counts(index, text_object))
    return round(hidden / seen, 3) if seen else 0.0


# ---------------------------------------------------------------- a text layer under the page's picture
#
# Not every searchable scan hides its OCR text by render mode 3. Kofax's OCR writes "Text Under Image" by
# default: "the recognized text is saved under the entire page image" (Tungsten/Kofax Capture's PDF Image + Text
# output settings); ABBYY FineReader's searchable PDF option is "Text under the page image" (FineReader 14
# user guide, "Types of PDF documents"); a page whose content stream "looks like filled with normal text, and
# towards its very end an image display command appears" is PyMuPDF's maintainer's description of such files
# (pymupdf/PyMuPDF#453). The text may then be drawn in render mode 0, visible to every extractor, while the
# opaque picture drawn after it is what the page shows. A text layer clipped away or placed outside the page
# is what figures, charts and printers' slugs leave (pdfalto#254, pdf-inspector#539, PdfPig#622), not OCR
# producers: no such test is made here.


def covered_share(doc: pypdfium2.PdfDocument, page: pypdfium2.PdfPage, textpage: pypdfium2.PdfTextPage,
                  settings: PageScanSettings = PAGE_SCAN) -> float:
    """The share of characters, from an even sample, that an opaque picture of the page drawn after them hides.
    Cheap on a text page: only the last `page_image_tail` objects are looked at, and a picture is decoded (to see
    that it is opaque: a translucent watermark hides nothing) only where it would make the page a scan."""
    found = _picture_drawn_last(page, settings)
    if found is None:
        return 0.0
    image, bounds, drawn_after = found
    share = _share_under(textpage, bounds, drawn_after)
    if share >= INVISIBLE_SHARE and not _opaque(doc, page, image, settings):
        return 0.0
    return share


Box = tuple[float, float, float, float]  # left, bottom, right, top in PDF user space (PDFium's page space)


def _bounds(obj) -> Box:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    pypdfium2.raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
    return left.value, bottom.value, right.value, top.value


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _inside(box: Box, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


@dataclass(frozen=True)
class _DrawnAfter:
    """What a page draws after its picture: text objects (by address) and the boxes of form XObjects, whose
    own text PDFium's text page names by the inner object."""

    texts: frozenset[int]
    forms: tuple[Box, ...]


def _picture_drawn_last(page: pypdfium2.PdfPage, settings: PageScanSettings) -> tuple[object, Box, _DrawnAfter] | None:
    """An image covering `page_image_share` of the page among its last `page_image_tail` objects, with what is
    drawn after it; None where there is none (a text page, a logo, a picture drawn before the text). Two C calls
    an object on a text page: what is drawn after the picture is looked at only once there is one."""
    raw = pypdfium2.raw
    get_object, get_type, image = raw.FPDFPage_GetObject, raw.FPDFPageObj_GetType, raw.FPDF_PAGEOBJ_IMAGE
    count = raw.FPDFPage_CountObjects(page.raw)
    for index in range(count - 1, max(count - 1 - settings.page_image_tail, -1), -1):
        obj = get_object(page.raw, index)
        if get_type(obj) == image and _covers_page(page, bounds := _bounds(obj), settings):
            after = [(o, get_type(o)) for o in (get_object(page.raw, k) for k in range(index + 1, count))]
            return obj, bounds, _DrawnAfter(frozenset(address(o) for o, kind in after if kind == raw.FPDF_PAGEOBJ_TEXT),
                                            tuple(_bounds(o) for o, kind in after if kind == raw.FPDF_PAGEOBJ_FORM))
    return None


def _covers_page(page: pypdfium2.PdfPage, bounds: Box, settings: PageScanSettings) -> bool:
    rect = pypdfium2.raw.FS_RECTF()
    if not pypdfium2.raw.FPDF_GetPageBoundingBox(page.raw, rect):
        return False
    page_box = (rect.left, rect.bottom, rect.right, rect.top)
    area = _overlap(page_box, page_box)
    return area > 0 and _overlap(bounds, page_box) >= settings.page_image_share * area


def _share_under(textpage: pypdfium2.PdfTextPage, picture: Box, after: _DrawnAfter) -> float:
    """The share of characters, from an even sample, drawn before the picture and standing inside it."""
    raw = pypdfium2.raw
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))

    def under(index: int, text_object) -> bool:
        if address(text_object) in after.texts:
            return False
        raw.FPDFText_GetCharBox(textpage.raw, index, left, right, bottom, top)
        x, y = (left.value + right.value) / 2, (bottom.value + top.value) / 2
        return _inside(picture, x, y) and not any(_inside(form, x, y) for form in after.forms)

    return sampled_share(textpage, under)


def _opaque(doc: pypdfium2.PdfDocument, page: pypdfium2.PdfPage, image, settings: PageScanSettings) -> bool:
    """The picture hides what is under it: no transparency in its graphics state, and (decoded with its soft
    mask) `opaque_share` of its pixels fully opaque. A picture too large to decode here is taken to hide nothing."""
    raw = pypdfium2.raw
    width, height = ctypes.c_uint(), ctypes.c_uint()
    if not raw.FPDFImageObj_GetImagePixelSize(image, width, height) \
            or width.value * height.value > settings.opacity_check_pixels or raw.FPDFPageObj_HasTransparency(image):
        return False
    bitmap = raw.FPDFImageObj_GetRenderedBitmap(doc.raw, page.raw, image)
    if not bitmap:
        return False
    try:
        if raw.FPDFBitmap_GetFormat(bitmap) != raw.FPDFBitmap_BGRA:
            return True  # no alpha channel at all
        w, h, stride = raw.FPDFBitmap_GetWidth(bitmap), raw.FPDFBitmap_GetHeight(bitmap), raw.FPDFBitmap_GetStride(bitmap)
        if w <= 0 or h <= 0:
            return False
        buffer = ctypes.cast(raw.FPDFBitmap_GetBuffer(bitmap), ctypes.POINTER(ctypes.c_uint8))
        alpha = np.ctypeslib.as_array(buffer, shape=(h, stride))[:, 3:4 * w:4]
        return int(np.count_nonzero(alpha == 255)) >= settings.opaque_share * alpha.size
    finally:
        raw.FPDFBitmap_Destroy(bitmap)


def scan_pages(path: Path, settings: PageScanSettings = PAGE_SCAN) -> list[PageScan]:
    """Page count and each page's text of a PDF not yet open."""
    doc = open_document(path)
    try:
        return scan_document(doc, settings)
    finally:
        doc.close()


# Words that only a self-evaluation form page carries together.
_FORM_TITLE = re.compile(r"自评表|自评情况表")
_FORM_WORDS = ("一级指标", "二级指标", "三级指标", "绩效指标", "执行率", "总分", "分值", "得分", "年度指标值", "指标值")


def may_hold_form(scan: PageScan) -> bool:
    """Cheap test: a title like 自评表, or at least two words of the form's vocabulary."""
    if _FORM_TITLE.search(scan.text):
        return True
    return sum(word in scan.text for word in _FORM_WORDS) >= 2


_TABLE_HEADER_WORDS = ("一级指标", "三级指标", "执行率", "全年预算数", "年度指标值", "分值")


def may_hold_form_table(scan: PageScan) -> bool:
    """Header words of the form's table itself (a table of contents naming 自评表 has none)."""
    return sum(word in scan.text for word in _TABLE_HEADER_WORDS) >= 2


def unusable_text_layer(scan: PageScan) -> bool:
    """Text whose characters mostly have no Unicode meaning: (cid:NNN) in pdfplumber. A page needs enough of them
    to tell (MIN_CHARS_TO_JUDGE) unless another page of its document already told."""
    enough = scan.chars >= MIN_CHARS_TO_JUDGE or (scan.chars > 0 and scan.in_unreadable_document)
    return enough and scan.garbled >= GARBLED_SHARE


def searchable_scan(scan: PageScan) -> bool:
    """A picture of the page with an OCR layer drawn invisibly, or hidden under the picture: the picture is what
    the page shows."""
    return (scan.invisible >= INVISIBLE_SHARE or scan.covered >= INVISIBLE_SHARE) and scan.images > 0


def needs_ocr(scan: PageScan) -> bool:
    """An image-only page, a searchable scan, or a text layer that cannot be read: the picture must be read."""
    return (scan.chars == 0 and scan.images > 0) or searchable_scan(scan) or unusable_text_layer(scan)
