"""Printed text -> record text: markup removed, whitespace next to CJK dropped."""

from __future__ import annotations

import re
from functools import lru_cache

from formaudit.ingest.chars import UNREADABLE

# CJK ideographs and the punctuation that sits with them (，。、：；（）“”《》…).
CJK_CHARS = r"\u2018-\u201f\u2026\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK = f"[{CJK_CHARS}]"
# Literal HTML printed on the page by web systems: <p>, </p>, <ol style="…">, <br/>.
# OCR may drop the space after a tag name (<olstyle="…">) or turn its quotes curly: known tags
# are matched without needing that space.
# A line break inside a tag may leave a space in it (</ p>). OCR may also misread the tag's name (<o1style="…">,
# the l read as 1): a short name run into a style or class attribute is a tag whatever it reads as.
_MARKUP = re.compile(r"<(?:/\s*)?(?:p|ol|ul|li|br|span|div|font|strong|em|b|i|u|h[1-6]|table|tr|td)(?![a-z])[^<>]*/?>"
                     r"|</?(?:ol|ul|span|div|font|p)(?=style|class)[^<>]*>"
                     r"|</?[A-Za-z][A-Za-z0-9]{0,5}(?=style=|class=)[^<>]*>"
                     r"|</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<={_CJK})\s+|\s+(?={_CJK})")


_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=65536)  # a cell's text is cleaned more than once (its field, then a joined value)
def clean_text(text: str | None) -> str | None:
    """Collapse whitespace to one space, drop it beside CJK characters, strip literal markup."""
    if text is None:
        return None
    t = _MARKUP.sub(" ", text)
    t = _SPACE.sub(" ", t).strip()
    t = _SPACE_NEXT_TO_CJK.sub("", t)
    return t or None


def is_unreadable(text: str | None) -> bool:
    """Text a font without a ToUnicode map left behind: (cid:123) or U+FFFD."""
    return bool(text and UNREADABLE.search(text))
