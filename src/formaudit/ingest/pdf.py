"""Open a PDF, tell unusable files apart by a clear code, and scan page text cheaply.

The cheap scan uses PDFium's text extraction (C, ~1 ms a page) so that characters and
rules are read only on pages that may hold a form, from the same open document.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pypdfium2

from formaudit.ingest.chars import fold_text

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


def scan_document(doc: pypdfium2.PdfDocument) -> list[PageScan]:
    """Page count and each page's text, via PDFium."""
    return scan_keeping(doc, None)[0]


def scan_keeping(doc: pypdfium2.PdfDocument, keep: Callable[[PageScan], bool] | None) -> tuple[list[PageScan], dict[int, OpenPage]]:
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
            invisible = invisible_share(textpage) if text.strip() else 0.0
            # images matter only where there is no visible text (a scan, a searchable scan); counting them
            # costs a walk of all objects
            images = 0 if text.strip() and invisible < INVISIBLE_SHARE else sum(
                1 for obj in page.get_objects(max_depth=1) if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE)
            squeezed = fold_text(re.sub(r"\s+", "", text))
            garbled = len(_GARBLED.findall(squeezed)) / len(squeezed) if squeezed else 0.0
            scan = PageScan(i + 1, squeezed, len(squeezed), images, round(garbled, 3), invisible)
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


INVISIBLE_SHARE = 0.8  # a page whose text is this much invisible is a searchable scan: its picture is the page
_INVISIBLE_SAMPLE = 64  # characters looked at: an OCR layer is invisible throughout


def invisible_share(textpage: pypdfium2.PdfTextPage) -> float:
    """The share of characters drawn with render mode 3 (neither filled nor stroked), from an even sample.
    Copiers and archive software lay their OCR text over the page image so: often wrong for Chinese."""
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
        hidden += raw.FPDFTextObj_GetTextRenderMode(text_object) == raw.FPDF_TEXTRENDERMODE_INVISIBLE
    return round(hidden / seen, 3) if seen else 0.0


def scan_pages(path: Path) -> list[PageScan]:
    """Page count and each page's text of a PDF not yet open."""
    doc = open_document(path)
    try:
        return scan_document(doc)
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
    """A picture of the page under an invisible OCR layer: the picture is what the page shows."""
    return scan.invisible >= INVISIBLE_SHARE and scan.images > 0


def needs_ocr(scan: PageScan) -> bool:
    """An image-only page, a searchable scan, or a text layer that cannot be read: the picture must be read."""
    return (scan.chars == 0 and scan.images > 0) or searchable_scan(scan) or unusable_text_layer(scan)
