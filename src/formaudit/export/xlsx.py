"""The audit as an Excel workbook, in the habits of a finance office.

Every sheet opens with what a person reads first (单位、年度、类型、项目 …) and ends with the
identifiers (form_id, sha256), which are left out of the print area. Numbers are stored as
numbers, each with the number format of the cell the form printed (`0.00%`, `#,##0.00`), so
Excel can sum, sort and filter them and shows them as the form did. A 概览 sheet counts the
findings by code, unit and year; each finding links to its form's row.

Text from a PDF is untrusted: a cell starting with = + - @ (or a tab or carriage return)
would be a formula in Excel, so it is written with a leading apostrophe (shown as text).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties

from formaudit.export.labels import DEFAULT_LANGUAGE, Labels, expected_words
from formaudit.export.tables import document_status
from formaudit.files import replacing
from formaudit.record import Form, Record
from formaudit.validate.precision import printed
from formaudit.validate.rules import messages_in

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FILLS = {"error": PatternFill("solid", fgColor="FDECEA"), "warning": PatternFill("solid", fgColor="FFF4E0")}
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
LINK_FONT = Font(color="1F5FA8", underline="single")
AMOUNTS = ("initial_budget", "budget", "executed", "transfer")
POINTS = ("weight", "score", "level1_label")  # a level-1 label's finding compares points
MAX_WIDTH = 36  # characters (a CJK character counts two); longer text wraps


def neutral(value):
    """A value safe to put in a cell: strings that Excel would evaluate become plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass
class Cell:
    value: object = None
    number_format: str | None = None
    link: str | None = None  # a place in the workbook: 'sheet'!A2
    severity: str | None = None  # a cell a finding points at is highlighted


@dataclass
class Column:
    key: str  # the labels.toml column key
    ident: bool = False  # an identifier: last, and not printed
    wrap: bool = False  # long text: wrapped at `widest`
    widest: int = MAX_WIDTH


@dataclass
class Sheet:
    key: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    row_severity: list[str | None] = field(default_factory=list)


def number_format(form: Form, path: str, value) -> str | None:
    """The Excel number format for a value printed (or recomputed) at `path`, at the printed decimals."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    field_name = path.rsplit("/", 1)[-1]
    p = printed(form, path, value)
    if field_name == "rate" or p.percent:
        decimals = max(0, p.decimals - 2)
        return "0" + ("." + "0" * decimals if decimals else "") + "%"
    zeros = "." + "0" * p.decimals if p.decimals else ""
    if field_name in AMOUNTS:
        return "#,##0" + zeros
    return "0" + zeros


def number_cell(form: Form, path: str, value, severity: str | None = None) -> Cell:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Cell(value, number_format(form, path, value), severity=severity)
    return Cell(value, severity=severity)


def text_cells(*values) -> list[Cell]:
    return [Cell(v) for v in values]


# ---------------------------------------------------------------- sheets


FINDINGS = [Column("unit_name", wrap=True), Column("year"), Column("form_type"), Column("project_name", wrap=True),
            Column("problem"), Column("severity"), Column("printed"), Column("recomputed"), Column("message", wrap=True, widest=56),
            Column("pages"), Column("uncertain"), Column("confidence"), Column("path", ident=True), Column("file", ident=True),
            Column("code", ident=True), Column("finding_index", ident=True), Column("form_id", ident=True),
            Column("sha256", ident=True)]
FORMS = [Column("unit_name", wrap=True), Column("year"), Column("form_type"), Column("project_name", wrap=True),
         Column("implementing_unit", wrap=True), Column("money_unit"), Column("budget"), Column("executed"), Column("rate"),
         Column("total_weight"), Column("total_score"), Column("indicators"), Column("error_findings"),
         Column("warning_findings"), Column("pages"), Column("title", ident=True), Column("file", ident=True),
         Column("form_index", ident=True), Column("form_id", ident=True), Column("sha256", ident=True)]
FUNDING = [Column("unit_name", wrap=True), Column("year"), Column("project_name", wrap=True), Column("label", wrap=True), Column("source"),
           Column("initial_budget"), Column("budget"), Column("executed"), Column("transfer"), Column("weight"),
           Column("rate"), Column("score"), Column("money_unit"), Column("row_index", ident=True), Column("form_id", ident=True)]
INDICATORS = [Column("unit_name", wrap=True), Column("year"), Column("project_name", wrap=True), Column("level1_label"),
              Column("level2_label"),
              Column("name", wrap=True), Column("content", wrap=True), Column("target"), Column("actual"), Column("weight"),
              Column("score"), Column("reason", wrap=True), Column("measures", wrap=True), Column("row_index", ident=True),
              Column("form_id", ident=True)]
DOCUMENTS = [Column("file", wrap=True, widest=60), Column("status"), Column("page_count"), Column("forms"), Column("error_findings"),
             Column("warning_findings"), Column("error_code"), Column("error_message", wrap=True, widest=56), Column("ocr_pages"),
             Column("sha256", ident=True)]


def form_name(form: dict) -> str:
    return form.get("project_name") or form.get("title") or ""


def build_sheets(records: list[dict], labels: Labels) -> dict[str, Sheet]:
    sheets = {key: Sheet(key, cols) for key, cols in
              (("findings", FINDINGS), ("forms", FORMS), ("funding", FUNDING), ("indicators", INDICATORS),
               ("documents", DOCUMENTS))}
    forms_title = labels.sheet("forms").replace("'", "''")
    for record in records:
        sha, path = record["source"]["sha256"], record["source"]["path"]
        severities = []
        for index, data in enumerate(record["forms"]):
            form = Form.model_validate(data)
            form_id = f"{sha}:{index}"
            form_row = len(sheets["forms"].rows) + 2  # the header is row 1
            who = [data.get("unit_name"), data.get("year"), labels.value("form_type", data["form_type"])]
            flagged: dict[str, str] = {}
            for f in data["findings"]:
                if flagged.get(f["path"]) != "error":
                    flagged[f["path"]] = f["severity"]
            severities += [f["severity"] for f in data["findings"]]
            add_form(sheets["forms"], form, data, who, form_id, sha, path, index, flagged)
            add_funding(sheets["funding"], labels, form, data, who, form_id, flagged)
            add_indicators(sheets["indicators"], form, data, who, form_id, flagged)
            link = f"'{forms_title}'!A{form_row}"
            said = messages_in(form, labels.lang) if labels.lang != "en" else {}
            for k, f in enumerate(data["findings"]):
                message = said.get((f["code"], f["path"], f["message"]), f["message"])
                add_finding(sheets["findings"], labels, form, data, f, who, link, k, form_id, sha, path, message)
        add_document(sheets["documents"], labels, record, severities)
    return sheets


def add_form(sheet: Sheet, form: Form, data: dict, who: list, form_id: str, sha: str, path: str, index: int,
             flagged: dict[str, str]) -> None:
    funding = data["funding"]
    k = next((i for i, r in enumerate(funding) if r["source"] == "total"), 0 if funding else None)
    total_row = funding[k] if k is not None else {}
    total = data.get("total") or {}
    errors = sum(1 for f in data["findings"] if f["severity"] == "error")
    sheet.rows.append(text_cells(*who, form_name(data), data.get("implementing_unit"), data.get("money_unit"))
                      + [number_cell(form, f"/funding/{k}/{c}", total_row.get(c), flagged.get(f"/funding/{k}/{c}"))
                         for c in ("budget", "executed", "rate")]
                      + [number_cell(form, f"/total/{c}", total.get(c), flagged.get(f"/total/{c}")) for c in ("weight", "score")]
                      + text_cells(len(data["indicators"]), errors, len(data["findings"]) - errors,
                                   ",".join(map(str, data["pages"])), data.get("title"), path, index, form_id, sha))
    sheet.row_severity.append(None)


def add_funding(sheet: Sheet, labels: Labels, form: Form, data: dict, who: list, form_id: str, flagged: dict[str, str]) -> None:
    for i, row in enumerate(data["funding"]):
        numbers = [number_cell(form, f"/funding/{i}/{c}", row.get(c), flagged.get(f"/funding/{i}/{c}"))
                   for c in ("initial_budget", "budget", "executed", "transfer", "weight", "rate", "score")]
        sheet.rows.append(text_cells(who[0], who[1], form_name(data), row.get("label"),
                                     labels.value("source", row.get("source")))
                          + numbers + text_cells(data.get("money_unit"), i, form_id))
        sheet.row_severity.append(None)


def add_indicators(sheet: Sheet, form: Form, data: dict, who: list, form_id: str, flagged: dict[str, str]) -> None:
    for i, row in enumerate(data["indicators"]):
        texts = [Cell(row.get(c), severity=flagged.get(f"/indicators/{i}/{c}"))
                 for c in ("level1_label", "level2_label", "name", "content", "target", "actual")]
        numbers = [number_cell(form, f"/indicators/{i}/{c}", row.get(c), flagged.get(f"/indicators/{i}/{c}"))
                   for c in ("weight", "score")]
        sheet.rows.append(text_cells(who[0], who[1], form_name(data)) + texts + numbers
                          + [Cell(row.get(c), severity=flagged.get(f"/indicators/{i}/{c}")) for c in ("reason", "measures")]
                          + text_cells(i, form_id))
        sheet.row_severity.append(None)


def add_finding(sheet: Sheet, labels: Labels, form: Form, data: dict, f: dict, who: list, link: str, k: int,
                form_id: str, sha: str, path: str, message: str) -> None:
    cell = data.get("cells", {}).get(f["path"]) or {}
    expected = f.get("expected")
    words = expected_words(labels, expected)
    sheet.rows.append(text_cells(*who) + [Cell(form_name(data), link=link)]
                      + text_cells(labels.problem(f["code"]), labels.value("severity", f["severity"]))
                      + [number_cell(form, f["path"], f.get("found")),
                         Cell(words) if words is not None else number_cell(form, f["path"], expected)]
                      + text_cells(message, cell.get("page"), labels.value("uncertain", bool(f.get("uncertain", False))),
                                   f.get("confidence"), f["path"], path, f["code"], k, form_id, sha))
    sheet.row_severity.append(f["severity"])


def add_document(sheet: Sheet, labels: Labels, record: dict, severities: list[str]) -> None:
    status, code, message = document_status(Record.model_validate(record))  # as the database's documents table
    sheet.rows.append(text_cells(record["source"]["path"], labels.value("status", status), record["source"].get("pages"),
                                 len(record["forms"]), severities.count("error"), severities.count("warning"),
                                 labels.problem(code) if code else None, message, record["source"].get("ocr_pages"),
                                 record["source"]["sha256"]))
    sheet.row_severity.append(None)


# ---------------------------------------------------------------- 概览


def overview(records: list[dict], labels: Labels) -> list[list[Cell | None]]:
    """Counts of findings by code, and of forms and findings by unit and by year, as blocks under each other."""
    findings = [(form, f) for r in records for form in r["forms"] for f in form["findings"]]
    by_code = Counter((f["code"], f["severity"]) for _, f in findings)
    rows: list[list[Cell | None]] = [text_cells(*(labels.column(c) for c in ("problem", "severity", "count", "code", "rule")))]
    for (code, severity), n in sorted(by_code.items(), key=lambda item: (item[0][1] != "error", -item[1], item[0][0])):
        rows.append(text_cells(labels.problem(code), labels.value("severity", severity), n, code, labels.rule(code)))
    for key, title in (("unit_name", "by_unit"), ("year", "by_year")):
        counts: dict[object, list[int]] = {}
        for r in records:
            for form in r["forms"]:
                c = counts.setdefault(form.get(key), [0, 0, 0])
                c[0] += 1
                c[1] += sum(1 for f in form["findings"] if f["severity"] == "error")
                c[2] += sum(1 for f in form["findings"] if f["severity"] == "warning")
        rows += [[], [Cell(labels.word("overview", title))],
                 text_cells(*(labels.column(c) for c in (key, "forms", "error_findings", "warning_findings")))]
        rows += [text_cells(name, *c) for name, c in sorted(counts.items(), key=lambda item: (-item[1][1], str(item[0])))]
    return rows


# ---------------------------------------------------------------- writing


def display_width(value) -> int:
    text = f"{value:,.2f}" if isinstance(value, float) else str(value if value is not None else "")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def print_setup(ws, printed_columns: int) -> None:
    """Landscape A4, fit to the page's width, the header repeated on every page, identifiers not printed."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.print_area = f"A1:{get_column_letter(printed_columns)}{max(ws.max_row, 1)}"
    ws.page_margins.left = ws.page_margins.right = 0.4


def style_header(row) -> None:
    for cell in row:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)


def write_sheet(ws, sheet: Sheet, labels: Labels) -> None:
    ws.append([labels.column(c.key) for c in sheet.columns])
    style_header(ws[1])
    widths = [display_width(labels.column(c.key)) for c in sheet.columns]
    for r, (row, severity) in enumerate(zip(sheet.rows, sheet.row_severity), start=2):
        for c, (item, column) in enumerate(zip(row, sheet.columns), start=1):
            cell = ws.cell(row=r, column=c, value=neutral(item.value))
            if item.number_format:
                cell.number_format = item.number_format
            if item.link:
                cell.hyperlink = Hyperlink(ref=cell.coordinate, location=item.link)  # a place in this workbook
                cell.font = LINK_FONT
            fill = FILLS.get(item.severity or severity)
            if fill is not None:
                cell.fill = fill
            cell.alignment = Alignment(wrap_text=column.wrap, vertical="top")
            if r < 1000:
                widths[c - 1] = max(widths[c - 1], display_width(item.value) + (2 if item.number_format else 0))
    widths = [min(column.widest, max(6, w + 2)) for w, column in zip(widths, sheet.columns)]
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    set_row_heights(ws, sheet, widths)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{max(ws.max_row, 2)}"
    print_setup(ws, sum(1 for c in sheet.columns if not c.ident))


def set_row_heights(ws, sheet: Sheet, widths: list[float]) -> None:
    """Rows as tall as their wrapped text (LibreOffice and some Excel versions do not grow them on opening)."""
    wrapped = [i for i, c in enumerate(sheet.columns) if c.wrap]
    for r, row in enumerate(sheet.rows, start=2):
        lines = max([-(-display_width(row[i].value) // int(widths[i] - 1)) for i in wrapped] or [1])
        if lines > 1:
            ws.row_dimensions[r].height = 15 * min(lines, 12)


def write_overview(ws, rows: list[list[Cell | None]]) -> None:
    widths: Counter = Counter()
    for r, row in enumerate(rows, start=1):
        for c, item in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=neutral(item.value))
            widths[c] = max(widths[c], min(display_width(item.value), 80 if c == 5 else MAX_WIDTH))
            if c == 5:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        if len(row) == 1:  # a block's title
            ws.cell(row=r, column=1).font = Font(bold=True, size=12)
        elif r == 1 or len(rows[r - 2]) == 1:  # a block's header
            style_header(ws[r][: len(row)])
    for c, width in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = max(8, width + 2)
    ws.freeze_panes = "A2"
    first_block = next((i for i, row in enumerate(rows) if not row), len(rows))
    ws.auto_filter.ref = f"A1:E{max(first_block, 2)}"
    print_setup(ws, 5)


def write_workbook(records: list[dict], target: Path, lang: str = DEFAULT_LANGUAGE) -> Path:
    labels = Labels(lang)
    wb = Workbook()
    wb.remove(wb.active)
    write_overview(wb.create_sheet(labels.sheet("overview")), overview(records, labels))
    for key, sheet in build_sheets(records, labels).items():
        write_sheet(wb.create_sheet(labels.sheet(key)), sheet, labels)
    with replacing(target) as tmp:
        wb.save(tmp)
    return target
