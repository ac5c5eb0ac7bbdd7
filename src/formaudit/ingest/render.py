"""The one renderer of PDF pages: OCR, `formaudit debug` and the report's crops all see the page as PDFium
draws it, at a resolution in dots per inch."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
from PIL import Image


def render_page(document: pypdfium2.PdfDocument, number: int, dpi: float) -> Image.Image:
    """Page `number` (1-based) of an open document as an RGB image (its /Rotate applied)."""
    page = document[number - 1]
    try:
        return page.render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        page.close()


def render_file_page(path: Path | str, number: int, dpi: float) -> Image.Image:
    """The same, for a PDF not open yet (PDFium is not thread-safe: one document per process at a time)."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        return render_page(document, number, dpi)
    finally:
        document.close()
