"""Printed numbers -> values: separators, percents, bare ratios, empty markers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from formaudit.vocabulary import vocabulary

_SPACE = re.compile(r"\s+")
_DASHES = re.compile(r"[-—–一_]+")  # a cell of dashes only is an empty marker
_NUMBER = re.compile(r"^[+-]?(\d+(?:\.\d*)?|\.\d+)$")
# Units and words that printed numbers carry in number columns: 10分, 1,763万元, 96%.
_TRAILING_UNITS = re.compile(r"(万元|元|分)$")


@dataclass(frozen=True)
class Number:
    """One printed number cell, read."""

    text: str
    value: float | int | None  # in the stored scale: a rate as a fraction
    decimals: int | None  # decimals as printed, in the printed scale
    percent: bool  # printed with % or under a (%) header
    empty: bool  # an empty marker (blank, -, --, —, /, 无 …)

    @property
    def readable(self) -> bool:
        return self.empty or self.value is not None


def as_plain(value: Decimal) -> float | int:
    """A Decimal as the JSON number a reader expects: 1763, not 1763.0."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def parse_number(text: str | None, *, percent_header: bool = False) -> Number:
    # the same texts are read again and again (by the builder, then by several checks of the audit): ~5,700 reads
    # on the 77 bench form pages, of far fewer texts. The empty markers are part of the key: they come from the
    # vocabulary, which a user's file may extend.
    return _parse_number(text, percent_header, vocabulary().empty)


@lru_cache(maxsize=65536, typed=True)
def _parse_number(text: str | None, percent_header: bool, empty: frozenset[str]) -> Number:
    raw = text or ""
    t = unicodedata.normalize("NFKC", raw)
    t = _SPACE.sub("", t)
    if t in empty or _DASHES.fullmatch(t or "-"):
        return Number(raw, None, None, percent_header, True)
    t = t.replace(",", "").replace("，", "")
    t = _TRAILING_UNITS.sub("", t)
    percent = t.endswith("%")
    if percent:
        t = t[:-1]
    if not _NUMBER.match(t):
        return Number(raw, None, None, percent or percent_header, False)
    try:
        value = Decimal(t)
    except InvalidOperation:
        return Number(raw, None, None, percent or percent_header, False)
    decimals = len(t.split(".")[1]) if "." in t else 0
    scaled = percent or percent_header
    if scaled:
        value = value / 100
    return Number(raw, as_plain(value), decimals, scaled, False)


# What OCR engines put for digits in a cell that can only hold a number. Each is unambiguous there:
# a number column has no letters, and a full stop between digits is a decimal point.
_OCR_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1", "|": "1", "。": ".", "．": "."})


_COMMA_FOR_POINT = re.compile(r"^(-?\d+)[,，](\d{1,2}%?)$")


def comma_for_point(text: str) -> bool:
    """An OCR'd number with a comma where its decimal point is (135,09): it parses, to the wrong value."""
    return bool(_COMMA_FOR_POINT.match(_SPACE.sub("", text)))


def repair_ocr_number(text: str) -> str | None:
    """A repaired reading of an OCR'd number cell, or None when there is nothing safe to repair."""
    squeezed = re.sub(r"(?<=\d)\s+(?=[\d.,%])|(?<=[\d.,])\s+(?=\d)", "", text.strip())
    repaired = squeezed.translate(_OCR_DIGIT_LOOKALIKES)
    # a comma before the last one or two digits is no thousands separator (those group three): it is the
    # decimal point, its dot read with a tail (135,09 is 135.09, not 13509)
    repaired = _COMMA_FOR_POINT.sub(r"\1.\2", repaired)
    if repaired == text.strip():
        return None
    parsed = parse_number(repaired)
    return repaired if parsed.value is not None else None
