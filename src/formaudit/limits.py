"""The caps every PDF is read under, and which error codes mean a document could not be used.

One place for the defaults: the command line shows them in --help, batch, audit,
extract and debug apply them, the README quotes them.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MEMORY_MB = 2048
DEFAULT_MAX_MB = 512
DEFAULT_MAX_PAGES = 2000
DEFAULT_MAX_MEGAPIXELS = 150  # a page or image rendered: 150 Mpx is an A0 sheet at 300 dpi, 450 MB of RGB

# The reading choices: the values of --grid, --reader and --ocr, which pipeline.Options accepts.
GRIDS = ("pdfplumber", "camelot")  # which detector supplies the cell geometry
READERS = ("pdfium", "pdfminer")  # which parser reads a text-layer page
OCR_MODES = ("auto", "off")  # auto: pages with no usable text layer are read from their picture; off: skipped


@dataclass(frozen=True)
class Limits:
    timeout_s: float | None = DEFAULT_TIMEOUT_S  # wall-clock seconds for one PDF
    memory_mb: int | None = DEFAULT_MEMORY_MB  # address space the reading process may add
    max_mb: int | None = DEFAULT_MAX_MB  # larger files are TOO_LARGE without being opened
    max_pages: int | None = DEFAULT_MAX_PAGES
    max_megapixels: float | None = DEFAULT_MAX_MEGAPIXELS

    @property
    def max_pixels(self) -> int | None:
        return None if self.max_megapixels is None else int(self.max_megapixels * 1_000_000)

    @property
    def max_bytes(self) -> int | None:
        return None if self.max_mb is None else self.max_mb * 1024 * 1024


# A document with one of these codes gave no usable content: batch marks it failed, audit and extract exit 2.
FAILED_CODES = frozenset({
    "NOT_A_PDF", "ENCRYPTED_PDF", "TRUNCATED_PDF", "TOO_LARGE", "UNREADABLE_FILE", "EXTRACTION_FAILED",
    "TIMEOUT", "MEMORY_LIMIT", "WORKER_CRASHED", "TOO_MANY_PAGES", "PAGE_TOO_LARGE", "IMAGE_TOO_LARGE",
    "RECURSIVE_CONTENT",
})

# Failures that depend on the run (its caps, the machine's load, the file's permissions), not on the PDF's
# bytes alone: a rerun of batch tries these documents again. A truncated or encrypted PDF stays as it was.
RETRIED_CODES = frozenset({
    "TIMEOUT", "MEMORY_LIMIT", "WORKER_CRASHED", "EXTRACTION_FAILED", "UNREADABLE_FILE", "TOO_LARGE", "TOO_MANY_PAGES",
    "PAGE_TOO_LARGE", "IMAGE_TOO_LARGE",
})
