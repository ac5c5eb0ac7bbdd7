"""Characters as read from the page -> characters as the rest of formaudit reads them.

Applied once, right after a reader hands over a page's characters and before anything reads
their text, so titles, labels and values all see 部门, never 部⻔. Reader-agnostic: any list of
character dicts with a "text" key (pdfplumber's, PDFium's, OCR's).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

# what a reader gives for a glyph it cannot map to Unicode: pdfminer's (cid:N), PDFium's U+FFFD
UNREADABLE = re.compile(r"\(cid:\d+\)|\ufffd")


@cache
def radical_table() -> dict[int, str]:
    """Kangxi and CJK Radicals Supplement code points -> the ideograph they stand for (radicals.json)."""
    data = json.loads(resources.files("formaudit.ingest").joinpath("radicals.json").read_text("utf-8"))
    return {ord(k): v for k, v in data.items()}


def fold_text(text: str) -> str:
    """A string with every radical code point replaced by its ideograph."""
    return text.translate(radical_table())


def fold_chars(chars: list[dict]) -> list[dict]:
    """Fold the text of each character dict in place (readers cache their dicts); returns the list."""
    table = radical_table()
    for ch in chars:
        text = ch.get("text")
        if text and any(ord(c) in table for c in text):
            ch["text"] = text.translate(table)
    return chars
