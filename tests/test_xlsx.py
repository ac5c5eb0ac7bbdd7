"""The Excel workbook as a finance office opens it: human headers first, numbers as numbers, ready to print."""

from __future__ import annotations

import json
import re

import pytest
from openpyxl import load_workbook

from conftest import FIXTURES, extracted
from formaudit.export.labels import Labels
from formaudit.export.xlsx import write_workbook

# records of forms with findings of every kind of value: rates, amounts with separators, weights, scores
SOURCES = ("wangcheng-cppcc-2020-self-evaluation.pdf", "project-2021-equipment-yuan-percent.pdf",
           "national-project-2020-training-errors.pdf", "project-2022-roads-scoring.pdf")
NUMERIC_COLUMNS = {"initial_budget", "budget", "executed", "transfer", "rate", "weight", "score", "total_weight", "total_score"}
IDENTIFIER = re.compile(r"^[a-z_0-9]+$")  # a field name (form_id, sha256) rather than words


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [extracted(FIXTURES / name) for name in SOURCES]


@pytest.fixture(scope="module", params=["zh", "en"])
def workbook(request, records, tmp_path_factory):
    target = tmp_path_factory.mktemp(f"xlsx-{request.param}") / "report.xlsx"
    write_workbook(records, target, lang=request.param)
    return load_workbook(target), Labels(request.param)


def headers(ws) -> list[str]:
    return [c.value for c in ws[1]]


def column_keys(labels: Labels) -> dict[str, str]:
    """header → labels.toml key, to know what a column holds whatever the language."""
    from formaudit.export.labels import _table

    return {labels.column(key): key for key in _table()["columns"]}


def test_every_sheet_opens_with_words_a_person_reads(workbook):
    wb, labels = workbook
    assert wb.sheetnames[0] == labels.sheet("overview")
    for ws in wb.worksheets:
        first = headers(ws)[:4]
        assert len(first) == 4 and all(isinstance(h, str) and h.strip() for h in first), (ws.title, first)
        assert not any(IDENTIFIER.match(h) for h in first), (ws.title, first)
        if labels.lang == "zh":
            assert all(re.search(r"[\u4e00-\u9fff]", h) for h in first), (ws.title, first)
    findings = wb[labels.sheet("findings")]
    want = [labels.column(k) for k in ("unit_name", "year", "form_type", "project_name", "problem", "severity", "printed",
                                       "recomputed", "message")]
    assert headers(findings)[:9] == want
    assert headers(findings)[-2:] == [labels.column("form_id"), labels.column("sha256")]  # identifiers last


def test_amounts_rates_weights_and_scores_are_numbers_with_formats(workbook):
    wb, labels = workbook
    keys = column_keys(labels)
    seen = {"rate": 0, "amount": 0, "points": 0}
    for key in ("forms", "funding", "indicators"):
        ws = wb[labels.sheet(key)]
        for col, header in enumerate(headers(ws)):
            field = keys.get(header)
            if field not in NUMERIC_COLUMNS:
                continue
            for row in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                cell = row[0]
                if cell.value is None:
                    continue
                assert isinstance(cell.value, int | float), (ws.title, header, cell.coordinate, cell.value)
                assert cell.number_format != "General", (ws.title, header, cell.coordinate)
                if field == "rate":
                    assert cell.number_format.endswith("%"), (cell.coordinate, cell.number_format)
                    seen["rate"] += 1
                elif field in ("initial_budget", "budget", "executed", "transfer"):
                    assert cell.number_format.startswith("#,##0"), (cell.coordinate, cell.number_format)
                    seen["amount"] += 1
                else:
                    seen["points"] += 1
    assert all(seen.values()), seen


def test_findings_show_printed_and_recomputed_as_numbers_like_the_form(workbook, records):
    wb, labels = workbook
    ws = wb[labels.sheet("findings")]
    cols = {h: i for i, h in enumerate(headers(ws))}
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == sum(len(f["findings"]) for r in records for f in r["forms"])
    rates = [r for r in rows if r[cols[labels.column("path")]].value.endswith("/rate")
             and r[cols[labels.column("code")]].value == "RATE_MISMATCH"]
    assert rates
    for row in rates:
        printed, recomputed = row[cols[labels.column("printed")]], row[cols[labels.column("recomputed")]]
        assert isinstance(printed.value, float) and isinstance(recomputed.value, float)
        assert printed.number_format == recomputed.number_format and printed.number_format.endswith("%")
    seed = next(r for r in rates if r[cols[labels.column("recomputed")]].value == 0.9583)
    assert seed[cols[labels.column("printed")]].number_format == "0.00%"  # 96.00% printed: two decimals of a percent
    assert seed[cols[labels.column("problem")]].value == labels.problem("RATE_MISMATCH")
    assert seed[cols[labels.column("severity")]].value == labels.value("severity", "error")
    want = {"zh": "执行率印为 96.00%，但 (1689.4-0)/1763 = 95.83%", "en": "执行率 printed 96.00% but (1689.4-0)/1763 = 95.83%"}
    assert seed[cols[labels.column("message")]].value == want[labels.lang]


def test_each_finding_links_to_its_forms_row(workbook):
    wb, labels = workbook
    ws = wb[labels.sheet("findings")]
    forms = wb[labels.sheet("forms")]
    cols = {h: i for i, h in enumerate(headers(ws))}
    form_cols = {h: i for i, h in enumerate(headers(forms))}
    for row in ws.iter_rows(min_row=2):
        link = row[cols[labels.column("project_name")]].hyperlink
        assert link is not None and link.location, row[0].coordinate
        sheet, cell = link.location.rsplit("!", 1)
        assert sheet.strip("'") == forms.title
        target = forms[cell].row
        assert forms.cell(target, form_cols[labels.column("form_id")] + 1).value == row[cols[labels.column("form_id")]].value


def test_overview_counts_by_code_unit_and_year(workbook, records):
    wb, labels = workbook
    ws = wb[labels.sheet("overview")]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    codes = {}
    for r in records:
        for f in r["forms"]:
            for x in f["findings"]:
                codes[x["code"]] = codes.get(x["code"], 0) + 1
    by_code = {row[3]: row[2] for row in values[1:] if row[0] and row[3] in codes}
    assert by_code == codes
    titles = [row[0] for row in values if row[0] and row[1] is None]
    assert titles == [labels.word("overview", "by_unit"), labels.word("overview", "by_year")]
    units = {f["unit_name"] for r in records for f in r["forms"]}
    assert units <= {row[0] for row in values}


def test_widths_and_print_setup(workbook):
    wb, _ = workbook
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref, ws.title
        for col in range(1, len(headers(ws)) + 1):
            from openpyxl.utils import get_column_letter

            width = ws.column_dimensions[get_column_letter(col)].width
            assert width and 6 <= width <= 82, (ws.title, col, width)
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == "$1:$1" or ws.print_title_rows == "1:1", ws.print_title_rows


def test_identifiers_are_not_printed(workbook):
    wb, labels = workbook
    ws = wb[labels.sheet("findings")]
    area = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
    last = re.search(r":\$?([A-Z]+)\$?\d+", area).group(1)
    from openpyxl.utils import column_index_from_string

    printed = headers(ws)[: column_index_from_string(last)]
    assert labels.column("sha256") not in printed and labels.column("form_id") not in printed
    assert labels.column("message") in printed


def test_text_that_looks_like_a_formula_stays_text(tmp_path, records):
    record = json.loads(json.dumps(records[0]))
    record["forms"][0]["unit_name"] = '=HYPERLINK("http://x")'
    target = write_workbook([record], tmp_path / "w.xlsx")
    wb = load_workbook(target)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and c.value.startswith("'") for c in cells)


def test_files_that_hold_no_form_are_listed_with_their_problem_in_words(tmp_path, records):
    from conftest import run_cli

    bad = tmp_path / "cut.pdf"
    bad.write_bytes((FIXTURES / SOURCES[0]).read_bytes()[:3000])
    run_cli("extract", str(bad), "--out", str(tmp_path / "json"))
    broken = json.loads((tmp_path / "json" / "cut.json").read_text())
    for lang in ("zh", "en"):
        labels = Labels(lang)
        wb = load_workbook(write_workbook([records[0], broken], tmp_path / f"{lang}.xlsx", lang=lang))
        ws = wb[labels.sheet("documents")]
        cols = {h: i for i, h in enumerate(headers(ws))}
        row = next(r for r in ws.iter_rows(min_row=2) if r[0].value.endswith("cut.pdf"))
        assert row[cols[labels.column("status")]].value == labels.value("status", "failed")
        assert row[cols[labels.column("error_code")]].value == labels.problem("TRUNCATED_PDF") != "TRUNCATED_PDF"
