"""One PDF -> one record: pages -> cells -> sections -> records -> findings.

Never raises for a bad document: what went wrong becomes an entry in `errors`
(a status per document, as docling does), so a batch goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from formaudit.detect.forms import find_forms, form_left_open
from formaudit.detect.grid import read_page
from formaudit.detect.sections import split_sections
from formaudit.detect.text_grid import Carried, text_table_steps
from formaudit.ingest.caps import check_rendered, check_structure
from formaudit.ingest.chars import fold_chars
from formaudit.ingest.pdf import (
    PageScan,
    UnusableDocument,
    check_file,
    may_hold_form,
    may_hold_form_table,
    needs_ocr,
    open_document,
    scan_keeping,
    searchable_scan,
    sha256_of,
    unusable_text_layer,
)
from formaudit.ingest.pdfium_reader import PdfiumReader, TextLayerPage
from formaudit.ingest.pdfminer_reader import PdfminerReader
from formaudit.limits import DEFAULT_MAX_MB, DEFAULT_MAX_MEGAPIXELS, DEFAULT_MAX_PAGES, GRIDS, OCR_MODES, READERS
from formaudit.models import PageContent
from formaudit.normalize.build import build_form
from formaudit.record import DocumentError, Record, Source
from formaudit.settings import DEFAULT, PageScanSettings, Settings
from formaudit.validate.rules import audit

log = logging.getLogger("formaudit")



@dataclass(frozen=True)
class Options:
    grid: str = "pdfplumber"  # pdfplumber | camelot: which detector supplies the cell geometry
    reader: str = "pdfium"  # pdfium | pdfminer: which parser reads a text-layer page's characters and rules
    max_bytes: int | None = DEFAULT_MAX_MB * 1024 * 1024
    max_pages: int | None = DEFAULT_MAX_PAGES
    max_pixels: int | None = DEFAULT_MAX_MEGAPIXELS * 1_000_000  # a page or image a stage renders
    ocr: str = "auto"  # auto | off: off skips the pages only OCR could read (a fast pass over text-layer archives)
    settings: Settings = DEFAULT  # every stage's thresholds (settings.py)

    def __post_init__(self) -> None:
        # checked where the options are made, so a typo never reaches a page as a silent default
        if self.grid not in GRIDS:
            raise ValueError(f"grid must be one of {', '.join(GRIDS)}, not {self.grid!r}")
        if self.reader not in READERS:
            raise ValueError(f"reader must be one of {', '.join(READERS)}, not {self.reader!r}")
        if self.ocr not in OCR_MODES:
            raise ValueError(f"ocr must be one of {', '.join(OCR_MODES)}, not {self.ocr!r}")
        if not isinstance(self.settings, Settings):
            raise ValueError(f"settings must be a formaudit.settings.Settings, not {type(self.settings).__name__}")
        for name in ("max_bytes", "max_pages", "max_pixels"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                raise ValueError(f"{name} must be a positive whole number or None, not {value!r}")

    @property
    def page_scan(self) -> PageScanSettings:
        """The page scan's settings; it decodes no picture past max_pixels to see whether it is opaque."""
        settings = self.settings.page_scan
        if self.max_pixels is not None and self.max_pixels < settings.opacity_check_pixels:
            return replace(settings, opacity_check_pixels=self.max_pixels)
        return settings


def pages_to_read(scans: list[PageScan]) -> Callable[[int, bool], bool]:
    """A page is read when it may hold a form, or when the page before it left a form's table open."""
    candidates = {s.number for s in scans if may_hold_form(s)}

    def wanted(number: int, form_open: bool) -> bool:
        return number in candidates or form_open

    return wanted


def read_pages(path: Path, scans: list[PageScan], options: Options, errors: list[DocumentError],
               document=None, opened: dict | None = None) -> list[PageContent]:
    """The pages that may hold a form, read from `document` (the PDFium document the scan used, with the pages
    it kept loaded: `opened`; opened here when not given)."""
    own = document is None
    if own:
        document = open_document(path)
    reader = PdfminerReader(path) if options.reader == "pdfminer" else \
        PdfiumReader(document, opened, fallback=PdfminerReader(path))
    try:
        return _read_wanted(path, scans, options, errors, reader)
    finally:
        reader.close()
        if options.reader == "pdfminer":
            PdfiumReader(document, opened).close()
        if own:
            document.close()


def _read_wanted(path: Path, scans: list[PageScan], options: Options, errors: list[DocumentError], reader) -> list[PageContent]:
    wanted = pages_to_read(scans)
    contents: list[PageContent] = []
    last_read = False  # the page before was read (and may have left a form's table open)
    carried: Carried | None = None  # the header of a rule-less table that may go on over the page break
    skipped: list[int] = []  # pages only OCR could read, with OCR off
    for scan in scans:
        ocr = needs_ocr(scan)  # image-only, or a text layer that cannot be read: read the picture
        previous_header, carried = carried, None
        if ocr and options.ocr == "off":
            skipped.append(scan.number)
            last_read = False
            continue
        # whether the pages read so far end inside a form's table is asked only of a page that is no candidate
        # itself: finding the forms again after every page is a cost on every form page
        if not ocr and not (wanted(scan.number, False)
                            or last_read and (previous_header is not None or form_left_open(contents))):
            last_read = False
            continue
        try:
            if ocr:
                layer = text_layer_chars(reader, scan.number) if searchable_scan(scan) else None
                form_open = last_read and (previous_header is not None or form_left_open(contents))
                content, carried = read_scan(path, scan, *reader.size(scan.number), options.settings,
                                             previous_header, form_open, layer)
            else:
                page = reader.page(scan.number)
                fold_chars(page.chars)  # radical code points -> ideographs, before anything reads the text
                content, carried = read_text_page(path, page, scan, options, previous_header)
        except (MemoryError, SystemError) as exc:
            # Out of memory, possibly seen through C code that lost the exception ("returned NULL
            # without setting an exception"): the caller's memory cap, not a broken page.
            raise MemoryError(f"page {scan.number}: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - a broken page must not lose the rest of the document
            errors.append(DocumentError(code="OCR_FAILED" if ocr else "PAGE_UNREADABLE", page=scan.number,
                                     message=f"{type(exc).__name__}: {exc}"))
            content = None
        if content is not None:
            contents.append(content)
        last_read = content is not None
    if skipped:
        errors.append(DocumentError(code="OCR_SKIPPED", page=skipped[0], message=(
            f"page(s) {_pages_text(skipped)} can only be read from their picture (a scan, or a text layer "
            "with no Unicode map); not read: OCR is off")))
    return contents


def read_text_page(path: Path, page: TextLayerPage, scan: PageScan, options: Options,
                   carried: Carried | None = None) -> tuple[PageContent, Carried | None]:
    """A text-layer page: ruled tables by pdfplumber (camelot where it finds none); with no rules
    at all, the table inferred from its text. Returns the header a rule-less table carries on."""
    boxes = camelot_cells(path, page) if options.grid == "camelot" else None
    ruled = options.settings.ruled
    content = read_page(page, cell_boxes=boxes, source=options.grid, settings=ruled)
    form_table = may_hold_form_table(scan)
    if not content.grids and options.grid == "pdfplumber" and form_table and (page.edges or page.images):
        # no ruled table found by pdfplumber on a page that reads like a form and draws something: ask
        # camelot (a page drawing nothing at all has no rules for it to find, and it costs ~200 MB)
        content = read_page(page, cell_boxes=camelot_cells(path, page), source="camelot", settings=ruled)
    if not content.grids and (form_table or carried):
        # no rules at all: infer the table from where its text stands
        steps, carried = text_table_steps(page.chars, carried, options.settings.text)
        content = read_page(page, cell_boxes=[steps.boxes], source="text", settings=ruled)
        content.text_steps = steps  # every step, for formaudit debug to draw
        return content, carried
    return content, None


def read_scan(path: Path, scan: PageScan, width: float, height: float, settings: Settings = DEFAULT,
              carried: Carried | None = None, form_open: bool = False,
              layer: list[dict] | None = None) -> tuple[PageContent | None, Carried | None]:
    """The page's picture read by OCR (None when it holds no ruled table and does not look like a form), and the
    header its rule-less table carries on. A page with no rules is read without being judged when a form is
    expected there: the page before left one open, or the page's searchable layer (a copier's OCR, wrong in
    places but not everywhere) names one."""
    from formaudit.detect.scan_page import read_scanned_page

    expect_form = form_open or may_hold_form(scan)
    return read_scanned_page(path, scan.number, width, height, settings, carried, expect_form, layer)


def text_layer_chars(reader, number: int) -> list[dict] | None:
    """A searchable scan's text layer as the text-layer path reads it: characters in page points; None where it
    cannot be read (the layer only confirms cells: the picture is read without it)."""
    try:
        page = reader.page(number)
    except (MemoryError, SystemError):
        raise  # the caller's memory cap (see _read_wanted)
    except Exception:  # noqa: BLE001 - a broken layer must not cost the page its OCR reading
        log.debug("page %d: the text layer of a searchable scan could not be read", number, exc_info=True)
        return None
    fold_chars(page.chars)
    return page.chars


def layer_checks(contents: list[PageContent]) -> list[dict]:
    """Per searchable-scan page read by OCR: how many cells its text layer confirmed, and where it disagreed."""
    return [{"page": c.number, "confirmed": c.layer_check.confirmed, "disagreeing": c.layer_check.disagreeing}
            for c in contents if c.layer_check is not None]



def camelot_cells(path: Path, page: TextLayerPage) -> list[list[tuple[float, float, float, float]]]:
    from formaudit.detect.camelot_grid import lattice_cells

    return lattice_cells(path, page.page_number, float(page.height))


def extract(path: Path | str, *, display_path: str | None = None, options: Options = Options()) -> Record:
    path = Path(path)
    record = Record(source=Source(path=display_path or str(path), sha256="", pages=None))
    errors = record.errors
    try:
        check_file(path, options.max_bytes)
        record.source.sha256 = sha256_of(path)
        document = open_document(path)  # one open document for the caps, the page scan and the reading
        opened: dict = {}
        try:
            check_structure(path, options.max_pages, document)  # before PDFium or pdfminer follow a drawing that never ends
            # the pages the reading will surely want stay loaded from the scan: their content is parsed once
            scans, opened = scan_keeping(document, lambda s: may_hold_form(s) and not needs_ocr(s), options.page_scan)
            record.source.pages = len(scans)
            check_rendered(document, scans, options.max_pixels)
            contents = _read_document(path, scans, options, errors, document, opened)
        finally:
            PdfiumReader(document, opened).close()  # what an error left open (each page is closed once)
            document.close()
        record.source.ocr_pages = sum(1 for c in contents if c.kind == "scan")  # pages read from their picture
        checks = layer_checks(contents)
        if checks:  # only where a searchable scan was read: every other record keeps its shape
            record.source.text_layer_check = checks
        for block in find_forms(contents):
            form, build_errors = build_form(block, split_sections(block))
            form.findings = audit(form)
            record.forms.append(form)
            errors.extend(build_errors)
        if not record.forms:
            errors.append(DocumentError(code="NO_FORM_FOUND", page=None,
                                     message=f"no self-evaluation form found in {len(scans)} page(s)"))
    except UnusableDocument as exc:
        if not record.source.sha256:
            try:
                record.source.sha256 = sha256_of(path)
            except OSError:
                pass
        errors.append(DocumentError(code=exc.code, message=exc.message, page=exc.page))
    except MemoryError:
        raise  # the isolating process turns this into MEMORY_LIMIT
    except Exception as exc:  # noqa: BLE001 - the contract: a bad file is recorded, never fatal
        log.debug("extraction failed for %s", path, exc_info=True)
        errors.append(DocumentError(code="EXTRACTION_FAILED", message=f"{type(exc).__name__}: {exc}", page=None))
    return record


def _read_document(path: Path, scans: list[PageScan], options: Options, errors: list[DocumentError],
                   document, opened: dict) -> list[PageContent]:
    garbled = [s.number for s in scans if unusable_text_layer(s)]
    if garbled:
        errors.append(DocumentError(code="UNREADABLE_TEXT_LAYER", page=garbled[0],
                                 message=f"the text layer of page(s) {_pages_text(garbled)} has no Unicode map "
                                         "(cid glyphs): " + ("read by OCR instead" if options.ocr == "auto" else "not read (OCR is off)")))
    return read_pages(path, scans, options, errors, document, opened)


def _pages_text(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (" …" if len(numbers) > 10 else "")
