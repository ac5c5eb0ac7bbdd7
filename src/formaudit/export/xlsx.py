"""The batch's tables as an Excel workbook, for finance offices: one sheet per table, findings highlighted.

Text from a PDF is untrusted: a cell starting with = + - @ (or a tab or carriage return)
would be a formula in Excel, so it is written with a leading apostrophe (shown as text).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from formaudit.export.tables import SCHEMAS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FILLS = {"error": PatternFill("solid", fgColor="FDECEA"), "warning": PatternFill("solid", fgColor="FFF4E0")}


def neutral(value):
    """A value safe to put in a cell: strings that Excel would evaluate become plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def rows_of(records: list[dict]) -> dict[str, list[dict]]:
    from formaudit.export.tables import record_rows
    from formaudit.record import Record

    out: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
    for data in records:
        rows = record_rows(Record.model_validate(data), 0, 0.0)
        for name, items in rows.items():
            out[name].extend(items)
    return out


def write_workbook(records: list[dict], target: Path) -> Path:
    tables = rows_of(records)
    wb = Workbook()
    wb.remove(wb.active)
    order = ["findings", "forms", "funding", "indicators", "documents", "files"]
    for name in order:
        columns = [c for c in SCHEMAS[name].names if c not in ("record_json", "errors_json")]
        ws = wb.create_sheet(name)
        ws.append(columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in tables[name]:
            ws.append([neutral(row.get(c)) for c in columns])
            if name == "findings":
                fill = FILLS.get(row.get("severity"))
                for cell in ws[ws.max_row]:
                    cell.fill = fill
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        for i, col in enumerate(columns, start=1):
            width = max([len(str(col))] + [len(str(r.get(col) or "")) for r in tables[name][:200]])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width * 1.3))
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target

