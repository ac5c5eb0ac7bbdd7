"""pdfminer (through pdfplumber) as the second text-layer reader, behind `--reader pdfminer`.

It gives the same TextLayerPage as the PDFium reader: pdfplumber's characters and edges as
they are. It parses content streams in Python, 10-20 times slower than PDFium; it stays as a
second opinion on a page PDFium reads oddly, as camelot does for grids.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber

from formaudit.ingest.pdfium_reader import TextLayerPage


class PdfminerReader:
    """Pages of one PDF through pdfplumber, opened at the first page read."""

    def __init__(self, path: Path):
        self.path = path
        self._pdf = None

    def _document(self):
        if self._pdf is None:
            self._pdf = pdfplumber.open(self.path)
        return self._pdf

    def page(self, number: int) -> TextLayerPage:
        page = self._document().pages[number - 1]
        try:
            return TextLayerPage(number, float(page.width), float(page.height), list(page.chars), list(page.edges),
                                 len(page.images))
        finally:
            page.close()

    def size(self, number: int) -> tuple[float, float]:
        page = self._document().pages[number - 1]
        try:
            return float(page.width), float(page.height)
        finally:
            page.close()

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None
