"""cell_text sorts a cell's characters by top alone and grid_from_cells sorts them once for all cells:
the same text as sorting each cell's characters by (top, x0), as cell_text did, on real fixture pages."""

from __future__ import annotations

import random

import pypdfium2
import pytest

from conftest import fixture_pdfs
from formaudit.detect.grid import cell_text
from formaudit.ingest.pdfium_reader import PdfiumReader
from formaudit.settings import DEFAULT

RULED = DEFAULT.ruled


def _reference(chars: list[dict]) -> str:
    """cell_text as it was: sorted by (top, x0), lines by the first character's top."""
    lines: list[list[dict]] = []
    for ch in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        if lines and ch["top"] - lines[-1][0]["top"] <= RULED.line_tolerance:
            lines[-1].append(ch)
        else:
            lines.append([ch])
    out = []
    for line in lines:
        line.sort(key=lambda c: c["x0"])
        parts = [line[0]["text"]]
        for prev, ch in zip(line, line[1:]):
            gap = max(RULED.space_gap, 0.5 * ch["size"]) if "confidence" in ch else RULED.space_gap
            if ch["x0"] - prev["x1"] > gap and not ch["text"].isspace() and not prev["text"].isspace():
                parts.append(" ")
            parts.append(ch["text"])
        out.append("".join(parts))
    return "\n".join(out).strip()


def _pages_chars(pdf) -> list[list[dict]]:
    document = pypdfium2.PdfDocument(str(pdf))
    reader = PdfiumReader(document)
    try:
        return [reader.page(number).chars for number in range(1, len(document) + 1)]
    finally:
        reader.close()
        document.close()


@pytest.mark.parametrize("pdf", fixture_pdfs("text")[::3], ids=lambda p: p.stem)
def test_cell_text_reads_as_the_top_then_x0_sort_did(pdf):
    shuffle = random.Random(7)
    for chars in _pages_chars(pdf):
        # neighbouring characters (one or two lines of a cell), in stream order and shuffled
        for start in range(0, len(chars), 9):
            piece = chars[start:start + 30]
            assert cell_text(piece) == _reference(piece)
            shuffled = shuffle.sample(piece, len(piece))
            assert cell_text(shuffled) == _reference(shuffled)


def test_cell_text_ties_on_top_and_x0_keep_their_order():
    def ch(text, x0, top, **more):
        return {"text": text, "x0": x0, "x1": x0 + 5, "top": top, "bottom": top + 10, "size": 10, **more}

    chars = [ch("b", 10, 0.4), ch("a", 10, 0.0), ch("c", 10, 0.0), ch("d", 0, 0.4), ch("e", 30, 9), ch("f", 20, 9.5)]
    for order in ([0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [2, 0, 4, 1, 5, 3]):
        piece = [chars[i] for i in order]
        assert cell_text(piece) == _reference(piece)
    ocr = [ch("1", 0, 0, confidence=0.9), ch("2", 12, 0, confidence=0.8), ch("3", 30, 0, confidence=0.9)]
    assert cell_text(ocr) == _reference(ocr)
