"""Printed precision and rounding, as FORM-RECORD.md defines them.

A printed value carries the precision of its CELL text (`96.00%`: two decimals of a
percent, so four of the stored fraction); without a CELL, that of the stored number.
A recomputed value matches when, rounded half-up to that precision, it equals the
printed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from formaudit.normalize.numbers import parse_number
from formaudit.record import CellRef, Form


def dec(value: float | int) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def round_half_up(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Printed:
    value: Decimal  # in the stored scale (a rate as a fraction)
    decimals: int  # decimals in the stored scale
    percent: bool  # printed as a percent
    text: str  # as printed (or as it would be printed)
    confidence: float

    @property
    def half_unit(self) -> Decimal:
        return Decimal(5).scaleb(-(self.decimals + 1))

    def matches(self, recomputed: Decimal) -> bool:
        return round_half_up(recomputed, self.decimals) == round_half_up(self.value, self.decimals)


def read_as_percent(cell: CellRef) -> bool:
    """The cell's number was read under a (%) header: the builder's `percent` field, an extra field of the cell
    (read from model_extra: getattr on an absent extra field costs a raised AttributeError)."""
    return bool((cell.model_extra or {}).get("percent", False))


def printed(form: Form, path: str, value: float | int) -> Printed:
    cell = form.cells.get(path)
    stored = dec(value)
    if cell is not None:
        parsed = parse_number(cell.text, percent_header=read_as_percent(cell))
        if parsed.decimals is not None:
            decimals = parsed.decimals + (2 if parsed.percent else 0)
            return Printed(stored, decimals, parsed.percent, cell.text.strip(), cell.confidence)
    exponent = stored.normalize().as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    return Printed(stored, decimals, False, format_number(stored), 1.0)


def format_number(value: Decimal | float | int, decimals: int | None = None) -> str:
    d = value if isinstance(value, Decimal) else dec(value)
    if decimals is not None:
        return f"{round_half_up(d, decimals):f}"
    text = f"{d.normalize():f}"
    return text


def format_percent(fraction: Decimal, decimals: int = 2) -> str:
    return f"{round_half_up(fraction * 100, decimals):f}%"


def as_printed(form: Form, path: str, value) -> str:
    """A value for the cell at `path` (printed or recomputed) as the form prints that cell: 0.9583 → 95.83%.

    Decimals, percent sign and thousands separators follow the cell's text; a rate with no cell
    is shown as a percent.
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    p = printed(form, path, value)
    cell = form.cells.get(path)
    as_percent = p.percent or (cell is None and path.endswith("/rate"))
    if as_percent:
        return format_percent(dec(value), max(0, p.decimals - 2))
    text = format_number(dec(value), p.decimals)
    if cell is not None and "," in cell.text:
        whole, _, fraction = text.partition(".")
        text = f"{int(whole):,}" + (f".{fraction}" if fraction else "") if whole.lstrip("-").isdigit() else text
    return text
