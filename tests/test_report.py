"""The HTML report in a real headless Chromium, the Excel workbook, and the notebook."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]


def need_chromium():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium: .ci/run installs it")
        pytest.skip("Debian's chromium is not installed (make test installs it where it can)")


def open_in_browser(html: Path, screenshot: Path):
    """Load the page: (page facts, console messages, requests, dialogs)."""
    from playwright.sync_api import sync_playwright

    console, requests, dialogs = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda err: console.append(("pageerror", str(err))))
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            page.screenshot(path=str(screenshot), full_page=False)
            facts = page.evaluate("""() => ({
                lang: document.documentElement.lang,
                ui: Array.from(document.querySelectorAll(UI_SELECTOR)).map(el => el.textContent)
                      .concat(Array.from(document.querySelectorAll('input[placeholder]')).map(el => el.placeholder)),
                crops: Array.from(document.querySelectorAll('.finding img')).map(i => [i.naturalHeight, i.height, i.width]),
                findings: document.querySelectorAll('.finding').length,
                codes: Array.from(document.querySelectorAll('.finding')).map(f => f.dataset.code),
                images: Array.from(document.images).map(i => i.complete && i.naturalWidth > 0),
                forms: document.querySelectorAll('#forms tbody tr').length,
                text: document.body.innerText,
                scripts: document.scripts.length,
            })""".replace("UI_SELECTOR", repr(UI_TEXT)))
            page.fill("input.filter", "某县司法局")
            facts["visible_after_filter"] = page.evaluate(
                "document.querySelectorAll('#forms tbody tr:not(.hidden)').length")
        finally:
            browser.close()
    return facts, console, requests, dialogs


# what the report itself says (headings, buttons, labels, badges, rules), as opposed to what it quotes from forms
UI_TEXT = ("header h1, header p, .card span, .panel > h2, th.sortable, summary, .pv dt, .badge, .rule, .nocrop, .uncertain, "
           "section.form thead th, .charts svg text[text-anchor=end]")
# the report's own words may carry a form's terms (执行率, 总分) and a few symbols; in zh no English word may remain
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")
FORM_TERMS = ("执行率", "得分", "分值", "总分", "偏差原因", "产出指标", "指标", "≥266米", "50分")  # quoted from forms in en rules


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_in_chromium_speaks_one_language(fixtures_batch, tmp_path, lang):
    need_chromium()
    db = fixtures_batch[0]
    report = tmp_path / f"report-{lang}.html"
    result = run_cli("report", str(db), "--out", str(report), "--lang", lang)
    assert result.returncode == 0, result.stderr
    facts, console, _, _ = open_in_browser(report, tmp_path / f"{lang}.png")
    assert console == [] and facts["lang"] == ("zh-CN" if lang == "zh" else "en")
    ui = [t.strip() for t in facts["ui"] if t.strip()]
    assert len(ui) > 100
    if lang == "zh":
        english = [t for t in ui if ENGLISH_WORD.search(re.sub(r"OCR|PDF", "", t))]
        assert english == [], english[:10]
        assert "各类问题数量" in ui and "执行率与金额不符" in facts["text"]
    else:
        chinese = [t for t in ui if CJK.search(t) and not any(term in t for term in FORM_TERMS)]
        assert chinese == [], chinese[:10]
        assert "Findings by code" in ui and "Rate does not match the amounts" in facts["text"]
    # printed and recomputed values as the form prints them: the seed's rate is 96.00% against 95.83%
    assert "96.00%" in facts["text"] and "95.83%" in facts["text"] and "0.9583" not in facts["text"]


@pytest.mark.browser
def test_report_in_chromium_shows_every_finding_with_its_crop(fixtures_batch, tmp_path):
    need_chromium()
    db, report, _, _ = fixtures_batch
    con = duckdb.connect(str(db), read_only=True)
    want = sorted(r[0] for r in con.execute("SELECT code FROM findings").fetchall())
    forms = con.execute("SELECT count(*) FROM forms").fetchone()[0]
    con.close()
    shot = tmp_path / "report.png"
    facts, console, requests, dialogs = open_in_browser(report, shot)
    assert sorted(facts["codes"]) == want and facts["forms"] == forms
    assert facts["images"] and all(facts["images"]), "every crop image loads"
    assert len(facts["images"]) >= len(want) * 0.9  # a crop for (nearly) every finding: only cell-less findings have none
    assert console == [], console
    assert all(u.startswith(("file:", "data:")) for u in requests), [u for u in requests if not u.startswith(("file:", "data:"))]
    assert dialogs == []
    assert facts["visible_after_filter"] == 1
    assert shot.stat().st_size > 20_000
    # crops readable: at least a few rows tall, and shown at no less than a third of their rendering (2 px per point)
    assert all(natural >= 200 and shown >= natural / 3 for natural, shown, _ in facts["crops"]), facts["crops"]


def hostile_pdf(path: Path) -> None:
    sys.path[:0] = [str(ROOT / "fixtures" / "src"), str(ROOT / "fixtures")]
    from make_fixtures import national_funding, national_project

    from forms import ind
    from layout import render_pdf

    spec = national_project(
        name="hostile", year_text="（2022年度）", year=2022, project_name="<script>alert(1)</script>",
        dept="某局", implementing_unit='=HYPERLINK("http://x")',
        funding=national_funding(["100", "100", "90", "10", "90.00%", "9.00"], ["100", "100", "90", "—", "90.00%", "—"],
                                 ["0", "0", "0", "—", "—", "—"], ["0", "0", "0", "—", "—", "—"]),
        goals=("目标", "完成"),
        indicators=[ind("产出指标", "数量指标<script>alert(1)</script>", '=HYPERLINK("http://x")', "≥5个", "5个", "20",
                        "<img src=x onerror=alert(1)>"),
                    ind("满意度指标", "服务对象满意度指标", "@SUM(1+1)", "≥90%", "95%", "70", "70")],
        total=("100", "79.00"))
    render_pdf(path, spec.blocks(), "STSong-Light")


@pytest.mark.browser
def test_text_from_a_pdf_never_runs_in_the_browser_nor_becomes_a_formula(tmp_path):
    need_chromium()
    folder = tmp_path / "in"
    folder.mkdir()
    hostile_pdf(folder / "hostile.pdf")
    db, report, xlsx = tmp_path / "h.duckdb", tmp_path / "h.html", tmp_path / "h.xlsx"
    result = run_cli("batch", str(folder), "--db", str(db), "--report", str(report), "--xlsx", str(xlsx))
    assert result.returncode == 0, result.stderr
    record = json.loads(run_cli("query", str(db), "SELECT record_json FROM forms", "--format", "json").stdout)[0]
    form = json.loads(record["record_json"])
    # printed text reaches the record as printed (labels, cells) — markup in text fields is removed by the contract
    assert form["indicators"][0]["level2_label"] == "数量指标<script>alert(1)</script>"
    squeeze = lambda text: re.sub(r"\s+", "", text)  # noqa: E731 - the cell wraps the text over three lines
    assert squeeze(form["cells"]["/indicators/0/score"]["text"]) == "<imgsrc=xonerror=alert(1)>"
    assert any(f["code"] == "UNREADABLE_VALUE" and squeeze(f["found"]) == "<imgsrc=xonerror=alert(1)>" for f in form["findings"])
    facts, console, requests, dialogs = open_in_browser(report, tmp_path / "h.png")
    assert dialogs == [] and facts["scripts"] == 1  # nothing of it runs: only the report's own script
    assert "<imgsrc=xonerror=alert(1)>" in squeeze(facts["text"])  # shown as text
    assert not any(u.endswith("/x") or "//x" in u for u in requests) and console == []

    from openpyxl import load_workbook

    wb = load_workbook(xlsx)
    values = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    hostile = [c for c in values if "HYPERLINK" in c.value or "SUM(" in c.value]
    assert hostile and all(c.data_type == "s" and c.value.startswith("'") for c in hostile)
    assert not any(c.data_type == "f" for c in values)
    sheet = wb["问题清单"]  # the workbook is in Chinese unless --lang en
    severity_col = [c.value for c in sheet[1]].index("严重程度")
    rows = list(sheet.iter_rows(min_row=2))
    assert rows  # the findings are highlighted by severity
    for row in rows:
        want = {"错误": "FDECEA", "提示": "FFF4E0"}[row[severity_col].value]
        assert all(c.fill.fgColor.rgb.endswith(want) for c in row)


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_on_the_fixtures_batch(fixtures_batch):
    import nbclient
    import nbformat

    db = fixtures_batch[0]
    nb = nbformat.read(ROOT / "notebooks" / "explore_batch.ipynb", as_version=4)
    os.environ["FORMAUDIT_DB"] = str(db)
    try:
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    finally:
        del os.environ["FORMAUDIT_DB"]
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    worst = nb.cells[-1].outputs[0]["data"]["text/plain"]
    assert "某市人力资源和社会保障局" in worst  # the fixture with most errors tops the list


def test_report_command_from_json_records(tmp_path):
    pdf = ROOT / "fixtures" / "pdfs" / "wangcheng-cppcc-2020-self-evaluation.pdf"
    run_cli("extract", str(pdf), "--out", str(tmp_path / "json"))
    result = run_cli("report", str(tmp_path / "json"), "--out", str(tmp_path / "r.html"))
    assert result.returncode == 0
    html_text = (tmp_path / "r.html").read_text()
    assert html_text.count('class="finding"') == 3 and "data:image/png;base64," in html_text
    assert "Content-Security-Policy" in html_text
