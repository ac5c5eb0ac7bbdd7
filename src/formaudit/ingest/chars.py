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


@cache
def _radical_pattern() -> re.Pattern:
    """Any one radical code point of radical_table()."""
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(radical_table())) + "]")


def fold_chars(chars: list[dict]) -> list[dict]:
    """Fold the text of each character dict in place (readers cache their dicts); returns the list."""
    radical = _radical_pattern()
    texts = [ch.get("text") or "" for ch in chars]
    # one search over the whole page first: most pages print no radical at all, and asking each character
    # cost ~0.3 ms a form page (a join and one search: ~0.07)
    if not radical.search("".join(texts)):
        return chars
    table = radical_table()
    for ch, text in zip(chars, texts):
        if text and radical.search(text):
            ch["text"] = text.translate(table)
    return chars
