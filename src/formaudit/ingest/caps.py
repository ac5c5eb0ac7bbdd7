"""Checks that run before a page is parsed or rendered, so that a small hostile file cannot
take the reader's memory or time: too many pages, a page or image with more pixels than the
cap (a 200-inch page, a compression bomb), form XObjects that draw themselves.

The memory cap of the reading process (isolate.py) stays the backstop; these checks turn the
known ways of reaching it into an error code that says what is wrong with the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2

from formaudit.ingest.pdf import PageScan, UnusableDocument, may_hold_form, needs_ocr

RENDER_DPI = 300  # the highest resolution a stage renders at: camelot's lattice 300, OCR (ingest/scan.py) 200
MAX_FORM_DRAWS = 10_000  # form XObjects executed for one page; a real form page draws a handful


def check_page_pixels(width_pt: float, height_pt: float, dpi: float, max_pixels: int | None, number: int) -> None:
    """Raise PAGE_TOO_LARGE when rendering the page at `dpi` would pass the pixel cap."""
    if max_pixels is None:
        return
    w, h = width_pt * dpi / 72, height_pt * dpi / 72
    if w * h > max_pixels:
        raise UnusableDocument("PAGE_TOO_LARGE", f"page {number} is {width_pt / 72:.0f} × {height_pt / 72:.0f} inches: "
                                              f"{w * h / 1e6:.0f} Mpx at {dpi:.0f} dpi, above the limit of "
                                              f"{max_pixels / 1e6:.0f} Mpx (--max-megapixels)", page=number)


def check_rendered(doc: pypdfium2.PdfDocument, scans: list[PageScan], max_pixels: int | None) -> None:
    """After the page scan, the pages a stage may render (scans read by OCR; form pages, which camelot
    renders): their size at the highest resolution any stage renders at and, on a scan, every image
    it draws (decoded in full to render it: a small stream can inflate to gigabytes)."""
    if max_pixels is None:
        return
    rendered = [s for s in scans if needs_ocr(s) or may_hold_form(s)]
    if not rendered:
        return
    for scan in rendered:  # on the document the page scan opened: nothing is parsed twice
        check_page_pixels(*doc.get_page_size(scan.number - 1), RENDER_DPI, max_pixels, scan.number)
        if needs_ocr(scan):  # a text page's images are not decoded, and walking its objects costs
            _check_images(doc, scan.number, max_pixels)


def _check_images(doc, number: int, max_pixels: int) -> None:
    page = doc[number - 1]
    try:
        for obj in page.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]):
            w, h = obj.get_px_size()
            if w * h > max_pixels:
                raise UnusableDocument("IMAGE_TOO_LARGE", f"page {number} draws an image of {w} × {h} pixels "
                                                       f"({w * h / 1e6:.0f} Mpx), above the limit of "
                                                       f"{max_pixels / 1e6:.0f} Mpx (--max-megapixels)", page=number)
    finally:
        page.close()


# `/Name Do` in a content stream. A string that happens to contain these words could add an edge that
# is not drawn; that costs at most a needless count, never a missed cycle.
_DO = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s*Do\b")


class _TooManyDraws(Exception):
    pass


class _CycleFound(Exception):
    pass


def check_structure(path: Path, max_pages: int | None, document: pypdfium2.PdfDocument | None = None) -> None:
    """Before any page is read: the page count, and form XObjects that draw themselves (PDFium's text
    extraction and pdfminer both follow such drawings for minutes, to gigabytes). `document`: the file already
    open in PDFium (opening it parses only its trailer and cross-reference table), else it is opened here."""
    if document is None:
        try:
            document = pypdfium2.PdfDocument(str(path))
        except pypdfium2.PdfiumError:
            return  # encrypted or broken: scan_pages says which
        try:
            pages = len(document)
        finally:
            document.close()
    else:
        pages = len(document)
    if max_pages is not None and pages > max_pages:
        raise UnusableDocument("TOO_MANY_PAGES", f"the PDF has {pages} pages, above the limit of {max_pages} (--max-pages)")
    check_form_xobjects(path)


# What a file must contain somewhere to hold a form XObject: the name /Form, as written or with any of its
# letters as a #xx escape, or an object stream that may hold the dictionary compressed.
_MAY_HOLD_FORMS = re.compile(rb"/(?:F|#46)(?:o|#6[Ff])(?:r|#72)(?:m|#6[Dd])|/ObjStm")


def _may_hold_forms(path: Path) -> bool:
    """A byte scan (about a millisecond a megabyte) that spares most files the walk of their pages."""
    with open(path, "rb") as fh:
        tail = b""
        for block in iter(lambda: fh.read(1 << 20), b""):
            if _MAY_HOLD_FORMS.search(tail + block):
                return True
            tail = block[-32:]
    return False


def check_form_xobjects(path: Path) -> None:
    """RECURSIVE_CONTENT when a page's form XObjects draw themselves (directly or through others), or would
    be drawn more than MAX_FORM_DRAWS times. Each form's count is kept, so shared forms are walked once."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    if not _may_hold_forms(path):
        return
    counted: dict[int, int] = {}
    with open(path, "rb") as fh:
        try:
            for number, page in enumerate(PDFPage.create_pages(PDFDocument(PDFParser(fh))), start=1):
                _check_page(page, number, counted)
        except (UnusableDocument, MemoryError):
            raise
        except Exception:  # noqa: BLE001 - a file pdfminer cannot walk is classified by the reading itself
            return


def _check_page(page, number: int, counted: dict[int, int]) -> None:
    from pdfminer.pdftypes import resolve1

    resources = resolve1(page.resources) or {}
    xobjects = resolve1(resources.get("XObject")) if isinstance(resources, dict) else None
    if not isinstance(xobjects, dict) or not xobjects:
        return
    try:
        # every form the page's resources name, as if drawn once: no need to decode the page's content
        draws = sum(_draws(name.encode("latin-1"), resources, (), counted) for name in xobjects)
    except RecursionError as exc:
        raise UnusableDocument("RECURSIVE_CONTENT", f"page {number}: form XObjects nest too deeply to be drawn",
                            page=number) from exc
    except _CycleFound as exc:
        raise UnusableDocument("RECURSIVE_CONTENT", f"page {number}: form XObject {exc.args[0]} draws itself "
                                                 "(directly or through others): it can never be drawn", page=number) from exc
    except _TooManyDraws:
        draws = MAX_FORM_DRAWS + 1
    if draws > MAX_FORM_DRAWS:
        raise UnusableDocument("RECURSIVE_CONTENT", f"page {number}: its form XObjects would be drawn more than "
                                                 f"{MAX_FORM_DRAWS:,} times", page=number)


def _draws(name: bytes, resources: dict, stack: tuple, counted: dict[int, int]) -> int:
    """How many forms drawing `/name` executes: the form itself and, recursively, what it draws."""
    from pdfminer.pdftypes import PDFObjRef, PDFStream, resolve1
    from pdfminer.psparser import PSLiteral

    xobjects = resolve1(resources.get("XObject")) if isinstance(resources, dict) else None
    ref = xobjects.get(name.decode("latin-1")) if isinstance(xobjects, dict) else None
    form = resolve1(ref)
    if not isinstance(form, PDFStream):
        return 0
    subtype = resolve1(form.attrs.get("Subtype"))
    if not (isinstance(subtype, PSLiteral) and subtype.name == "Form"):
        return 0
    key = ref.objid if isinstance(ref, PDFObjRef) else id(form)
    if key in stack:
        raise _CycleFound(key)
    own = resolve1(form.attrs.get("Resources"))
    if own and key in counted:
        return counted[key]
    # a form without resources of its own uses those of what draws it (pdfminer does the same), so its
    # count depends on the caller and is not kept
    inner = own or resources
    total = 1
    for child in _DO.findall(form.get_data()):
        total += _draws(child, inner, stack + (key,), counted)
        if total > MAX_FORM_DRAWS:
            raise _TooManyDraws()
    if own:
        counted[key] = total
    return total
