"""Scanned forms (image-only pages, cid fonts): the same record as the digital originals, with confidences."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, extracted, fixture_pdfs, truth_of
from truth import FUNDING_FIELDS, INDICATOR_FIELDS, field_diffs, finding_keys, norm

SCANS = fixture_pdfs("ocr")
pytestmark = pytest.mark.ocr
NUMERIC = {"initial_budget", "budget", "executed", "transfer", "weight", "rate", "score"}
TEXT_FORM = ("title", "unit_name", "project_name", "implementing_unit")


def tally() -> dict[str, list[int]]:
    """[right, total] per kind of field over every scanned fixture."""
    counts = {"numeric": [0, 0], "text": [0, 0], "identity": [0, 0], "recall": [0, 0], "forms": [0, 0]}

    def count(kind, got, want):
        counts[kind][1] += 1
        counts[kind][0] += norm(got) == norm(want)

    for pdf in SCANS:
        got_forms, want_forms = extracted(pdf)["forms"], truth_of(pdf)["forms"]
        count("forms", len(got_forms), len(want_forms))
        for got, want in zip(got_forms, want_forms):
            for f in ("form_type", "year", "unit_name"):
                count("identity", got.get(f), want.get(f))
            for f in TEXT_FORM:
                count("text", got.get(f), want.get(f))
            for f in ("planned", "achieved"):
                count("text", (got.get("goals") or {}).get(f), (want.get("goals") or {}).get(f))
            for key, fields in (("funding", FUNDING_FIELDS), ("indicators", INDICATOR_FIELDS)):
                for g, w in zip(got[key], want[key]):
                    for f in fields:
                        count("numeric" if f in NUMERIC else "text", g.get(f), w.get(f))
                if len(got[key]) != len(want[key]):  # missing or extra rows count as wrong fields
                    missing = abs(len(got[key]) - len(want[key]))
                    counts["numeric"][1] += missing * len(NUMERIC & set(fields))
                    counts["text"][1] += missing * len(set(fields) - NUMERIC)
            for f in ("weight", "score"):
                count("numeric", (got.get("total") or {}).get(f), (want.get("total") or {}).get(f))
            planted = finding_keys(want)
            counts["recall"][1] += len(planted)
            counts["recall"][0] += len(planted & finding_keys(got))
    return counts


def test_there_are_varied_scans():
    styles = [truth_of(p)["source"].get("scan_style", {}) for p in SCANS]
    assert len(SCANS) >= 8
    assert {150, 200, 300} <= {s.get("dpi") for s in styles}
    assert any(s.get("quarter_turn") for s in styles) and any(s.get("seal") for s in styles)
    assert any(abs(s.get("skew", 0)) >= 3 for s in styles) and any(s.get("jpeg") for s in styles)
    assert any(truth_of(p)["source"].get("scanned_pages") not in (None, "all") for p in SCANS)  # text and scan mixed


def test_scanned_fields_meet_the_accuracy_targets():
    counts = tally()
    rate = {k: right / total if total else 1.0 for k, (right, total) in counts.items()}
    print("\nscanned fixtures:", json.dumps({k: f"{r:.2%} ({counts[k][0]}/{counts[k][1]})" for k, r in rate.items()}))
    assert rate["forms"] == 1.0
    assert rate["identity"] == 1.0
    assert rate["numeric"] >= 0.99
    assert rate["text"] >= 0.97
    assert rate["recall"] >= 0.95


@pytest.mark.parametrize("pdf", SCANS, ids=[p.stem for p in SCANS])
def test_no_certain_error_on_a_clean_scan(pdf):
    for got, want in zip(extracted(pdf)["forms"], truth_of(pdf)["forms"]):
        planted = finding_keys(want)
        for f in got["findings"]:
            if f["severity"] == "error" and (f["code"], f["path"]) not in planted:
                assert f.get("uncertain") is True, f


def _forms_on_scanned_pages(pdf) -> bool:
    """A truth form stands on a page the copy scanned (a report's scanned prose pages hold none)."""
    scanned = truth_of(pdf)["source"].get("scanned_pages")
    return scanned in (None, "all") or any(set(f["pages"]) & set(scanned) for f in truth_of(pdf)["forms"])


SCANNED_FORMS = [p for p in SCANS if _forms_on_scanned_pages(p)]


@pytest.mark.parametrize("pdf", SCANNED_FORMS, ids=[p.stem for p in SCANNED_FORMS])
def test_ocr_cells_carry_confidence(pdf):
    record = extracted(pdf)
    ocr_pages = set(range(1, record["source"]["pages"] + 1))
    scanned = truth_of(pdf)["source"].get("scanned_pages")
    if isinstance(scanned, list):
        ocr_pages = set(scanned)
    cells = [c for f in record["forms"] for c in f["cells"].values() if c["page"] in ocr_pages]
    assert cells and all(0 <= c["confidence"] <= 1 for c in cells)
    assert any(c["confidence"] < 1 for c in cells)  # read by OCR, not a text layer


def test_scan_extraction_works_without_a_network(tmp_path):
    """The OCR models come from the installed package: no download, even with no network at all."""
    pdf = FIXTURES / "scan-water-150dpi-noisy.pdf"
    env = dict(os.environ, HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="",
               HOME=str(tmp_path))  # a fresh home: no cached models anywhere
    code = (
        "import socket\n"
        "real = socket.socket.connect\n"
        "def refuse(self, address):\n"
        "    if self.family != socket.AF_UNIX: raise OSError('network disabled for this test')\n"
        "    return real(self, address)\n"
        "socket.socket.connect = refuse\n"
        "from formaudit.pipeline import extract\n"
        f"r = extract({str(pdf)!r})\n"
        "print(len(r.forms), r.forms[0].project_name)\n"
    )
    cmd = [sys.executable, "-c", code]
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        cmd = ["unshare", "-n", *cmd]  # a process with no network interface but loopback
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["1", "农村饮水安全巩固提升工程"]


def test_a_searchable_scan_is_read_from_its_picture():
    """A copier's OCR layer (tesseract's, invisible, over the page image) is not the document's text: the page
    is read from its picture, and every field comes out as the digital original has it."""
    from formaudit.ingest.pdf import needs_ocr, scan_pages, searchable_scan

    pdf = FIXTURES / "scan-searchable-equipment-tesseract-layer.pdf"
    scans = scan_pages(pdf)
    assert scans and all(s.chars > 100 and searchable_scan(s) and needs_ocr(s) for s in scans)
    assert extracted(pdf)["source"]["ocr_pages"] == len(scans)
    got, want = extracted(pdf)["forms"], truth_of(pdf)["forms"]
    assert len(got) == len(want) and all(not field_diffs(g, w) for g, w in zip(got, want))
    # tesseract reads the digits right and the Chinese not at all (its layer has no Unicode for it here): the
    # layer confirms number cells only
    (check,) = extracted(pdf)["source"]["text_layer_check"]
    cells = got[0]["cells"]
    assert check["confirmed"] > 0 and cells["/funding/0/budget"].get("confirmed_by_text_layer") is True
    assert "confirmed_by_text_layer" not in cells["/project_name"]


def test_a_text_layer_drawn_visibly_under_its_page_image_is_a_searchable_scan():
    """The OCR text drawn in render mode 0, the page image drawn over it (Kofax's and ABBYY's "text under the page
    image"): the page shows its picture alone, so it is read from the picture, and the layer confirms the cells it
    reads alike."""
    from formaudit.ingest.pdf import INVISIBLE_SHARE, needs_ocr, scan_pages, searchable_scan

    pdf = FIXTURES / "scan-searchable-text-under-image.pdf"
    scans = scan_pages(pdf)
    assert len(scans) == 2 and all(s.chars > 100 and s.invisible == 0.0 and s.covered >= INVISIBLE_SHARE for s in scans)
    assert all(searchable_scan(s) and needs_ocr(s) for s in scans)
    record = extracted(pdf)
    assert record["source"]["ocr_pages"] == 2
    got, want = record["forms"][0], truth_of(pdf)["forms"][0]
    for key, fields in (("funding", FUNDING_FIELDS), ("indicators", INDICATOR_FIELDS)):
        assert len(got[key]) == len(want[key])
        for g, w in zip(got[key], want[key]):
            assert {f: g.get(f) for f in fields if f in NUMERIC} == {f: w.get(f) for f in fields if f in NUMERIC}
    assert got["total"] == want["total"] and finding_keys(got) == finding_keys(want)
    checks = record["source"]["text_layer_check"]
    assert [c["page"] for c in checks] == [1, 2] and all(c["confirmed"] > 5 * c["disagreeing"] for c in checks)
    assert got["cells"]["/funding/0/executed"].get("confirmed_by_text_layer") is True


def test_a_text_layer_confirms_the_cells_it_reads_right_and_is_not_used_where_it_is_wrong():
    """An invisible layer with five cells misread (48 as 43, 9.60 as 9.80, 99% as 90%, 设备 as 设各): those keep the
    OCR's reading, unconfirmed; the cells the layer reads alike are confirmed, and a finding resting on such a
    cell is not uncertain for the engine's low score. The record reads as the digital original."""
    from formaudit.validate.rules import OCR_CONFIDENCE_THRESHOLD

    pdf = FIXTURES / "scan-searchable-layer-partly-wrong.pdf"
    record = extracted(pdf)
    got, want = record["forms"][0], truth_of(pdf)["forms"][0]
    assert field_diffs(got, want) == [] and finding_keys(got) == finding_keys(want)
    misread = {"/funding/0/executed": "48", "/funding/1/executed": "48", "/funding/0/score": "9.60",
               "/indicators/1/actual": "99%", "/indicators/1/name": "设备完好率"}
    for path, printed in misread.items():
        assert norm(got["cells"][path]["text"]) == printed and "confirmed_by_text_layer" not in got["cells"][path], path
    confirmed = {p for p, c in got["cells"].items() if c.get("confirmed_by_text_layer")}
    assert {"/funding/0/budget", "/funding/0/rate", "/funding/1/rate", "/indicators/0/target", "/total/weight"} <= confirmed
    (check,) = record["source"]["text_layer_check"]
    assert check["page"] == 1 and check["disagreeing"] >= len(misread) and check["confirmed"] > 3 * check["disagreeing"]
    resting = [f for f in got["findings"]
               if any(got["cells"][p]["confidence"] < OCR_CONFIDENCE_THRESHOLD for p in f.get("involved", []) if p in got["cells"])]
    assert resting, "no finding rests on a low-confidence cell: the fixture no longer shows the confirmation at work"
    for f in resting:
        assert all(p in confirmed for p in f["involved"] if p in got["cells"]) and not f.get("uncertain"), f


def test_rules_faded_into_dashes_keep_their_rows_and_a_dropped_stroke_is_read_again():
    """Two rules the scan faded into pale dashes (between two indicator rows; under the goals' right-hand header) and
    the pale 一 of 一级指标: the rows stay apart, the header is a label, every indicator row is read."""
    pdf = FIXTURES / "scan-insurance-faded-rules.pdf"
    got, want = extracted(pdf)["forms"][0], truth_of(pdf)["forms"][0]
    assert got["goals"] == want["goals"]
    assert [i["name"] for i in got["indicators"][:3]] == [i["name"] for i in want["indicators"][:3]]
    assert len(got["indicators"]) == len(want["indicators"])
    for g, w in zip(got["indicators"], want["indicators"]):
        assert (g["weight"], g["score"], g["target"], g["actual"]) == (w["weight"], w["score"], w["target"], w["actual"])
    # the indicator header is found only once 一级指标 reads as a label: without it no indicator row is read
    assert [i["level1"] for i in got["indicators"]] == [i["level1"] for i in want["indicators"]]


BATCH_OF_SCANS = """
import json, sys
from pathlib import Path
from formaudit.export.json_record import record_dict
from formaudit.ingest.ocr import loaded, use_threads
from formaudit.isolate import reading_options, run_isolated, task_for
from formaudit.limits import Limits
from formaudit.pipeline import extract

def engine_state(task):
    before = loaded()  # was the OCR engine there before this child read its PDF?
    record = record_dict(extract(task.path, options=task.options))
    return {"source": record["source"], "loaded_before": before, "forms": len(record["forms"])}

use_threads(1)  # as a batch with a reader per core sets it
tasks = [task_for(Path(p), reading_options(Limits())) for p in sys.argv[1:]]
outcomes = list(run_isolated(tasks, 1, 600, None, engine_state))
print(json.dumps([o.record if o.error_code is None else o.error_message for o in outcomes]))
"""


@pytest.mark.ocr
def test_a_batch_loads_the_ocr_models_once_not_per_scanned_pdf():
    """Once an archive shows itself to be scans (two read by OCR), the batch process holds the models; the
    readers it forks next start with them (one thread each, so nothing is lost in the fork) and read as a
    fresh process does. In a process of its own: this one may have loaded the models for other tests."""
    scans = [FIXTURES / "scan-water-150dpi-noisy.pdf", FIXTURES / "scan-training-300dpi-jpeg.pdf",
             FIXTURES / "scan-roads-border-and-seal.pdf", FIXTURES / "national-project-2021-water-clean.pdf"]
    run = subprocess.run([sys.executable, "-c", BATCH_OF_SCANS, *map(str, scans)], capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    states = json.loads(run.stdout.strip().splitlines()[-1])
    assert all(isinstance(s, dict) for s in states), states
    assert [s["loaded_before"] for s in states] == [False, False, True, True]
    assert [s["forms"] for s in states] == [1, 1, 1, 1] and states[2]["source"]["ocr_pages"] == 1


def test_a_row_left_open_at_a_page_break_is_read_on_both_pages():
    """The table a browser cut at a page break: the cut indicator row's side rules run to the first page's foot and
    from the second page's head, with no rule across. The row is closed on both pages and read whole, once."""
    pdf = FIXTURES / "scan-open-rules-at-page-break.pdf"
    got, want = extracted(pdf)["forms"][0], truth_of(pdf)["forms"][0]
    assert got["pages"] == want["pages"] == [1, 2]
    assert len(got["indicators"]) == len(want["indicators"])
    for g, w in zip(got["indicators"], want["indicators"]):
        assert (g["name"], g["target"], g["actual"], g["weight"], g["score"]) == (
            w["name"], w["target"], w["actual"], w["weight"], w["score"])
    assert got["total"] == want["total"]
    assert finding_keys(got) == finding_keys(want)


def test_a_form_printed_small_on_its_sheet_reads_every_row_and_number():
    """A form printed at 60% on its sheet and scanned at 150 dpi: read from the whole page, the detector (which scales
    the page to 960 px) clipped the first characters of small print and lost a funding row's label (21 fields wrong,
    three false findings). OCR reads the inked region of the page instead."""
    pdf = FIXTURES / "scan-training-printed-small-150dpi.pdf"
    got, want = extracted(pdf)["forms"][0], truth_of(pdf)["forms"][0]
    assert [(r["label"], r["initial_budget"], r["budget"], r["executed"], r["rate"], r["score"]) for r in got["funding"]] \
        == [(r["label"], r["initial_budget"], r["budget"], r["executed"], r["rate"], r["score"]) for r in want["funding"]]
    assert len(got["indicators"]) == len(want["indicators"])
    for g, w in zip(got["indicators"], want["indicators"]):  # (≥ in a target may still come out as >: text)
        assert (g["level2"], g["weight"], g["score"]) == (w["level2"], w["weight"], w["score"])
    assert got["money_unit"] == want["money_unit"] and got["total"] == want["total"]
    assert finding_keys(got) == finding_keys(want)


def test_a_form_printed_without_rules_is_read_from_its_scan(tmp_path):
    """No rule on the page: the table is inferred from where the OCR'd text stands, as on a rule-less text layer,
    and every field comes out as the digital original has it. formaudit debug draws the steps that found it."""
    from formaudit.debug import draw_debug

    pdf = FIXTURES / "scan-training-no-rules-200dpi.pdf"
    record = extracted(pdf)
    got, want = record["forms"], truth_of(pdf)["forms"]
    assert record["source"]["ocr_pages"] == 1
    assert len(got) == len(want) == 1 and field_diffs(got[0], want[0]) == []
    assert finding_keys(got[0]) == finding_keys(want[0])
    dump = json.loads(next(p for p in draw_debug(pdf, tmp_path) if p.suffix == ".json").read_text(encoding="utf-8"))
    page = dump["pages"][0]
    assert page["kind"] == "scan" and page["grids"][0]["source"] == "ocr"
    steps = page["text_steps"]
    assert len(steps["rows"]) >= 15 and [b[0] for b in steps["bands"]] == ["meta", "funding", "goals", "indicators"]
    width, height = page["width"], page["height"]
    assert all(0 <= x0 < x1 <= width and 0 <= top < bottom <= height for x0, top, x1, bottom in steps["boxes"])


def test_a_rule_less_table_goes_on_over_a_page_break_between_scans():
    """The second page holds the indicator table's last rows and its total, under no header: they are read under
    the header the first page carried over. Read alone, the page's rows fall into other columns and its total is
    lost. (The goals' paragraphs are a thousand characters of 5 pt text: a quote or two misread there is OCR's,
    and counted by the scans' text rate.)"""
    pdf = FIXTURES / "scan-cppcc-no-rules-two-pages.pdf"
    got, want = extracted(pdf)["forms"], truth_of(pdf)["forms"]
    assert len(got) == len(want) == 1
    got, want = got[0], want[0]
    assert got["pages"] == want["pages"] == [1, 2]
    assert [d for d in field_diffs(got, want) if not d.startswith("/goals/")] == []
    assert got["indicators"] == want["indicators"] and got["total"] == want["total"]
    assert finding_keys(got) == finding_keys(want)


def test_scanned_prose_pages_are_judged_by_their_lines_and_not_read():
    """A report's chapters scanned without rules: the text detector's lines (a fraction of a page's OCR) show no
    rows of cells, so no page is read by OCR (an OCR'd page counts in ocr_pages, table or not); the forms on
    the report's text pages are read as ever."""
    from formaudit.detect.scan_text import looks_like_form
    from formaudit.ingest.ocr import detect_lines
    from formaudit.ingest.pdf import needs_ocr, scan_pages
    from formaudit.ingest.scan import binary, prepare, text_skew

    def lean(image):  # the page's lean from its text's ink, as read_without_rules measures it
        return text_skew(binary(image))

    pdf = FIXTURES / "scan-report-prose-pages.pdf"
    record, want = extracted(pdf), truth_of(pdf)
    scanned = want["source"]["scanned_pages"]
    assert [s.number for s in scan_pages(pdf) if needs_ocr(s)] == scanned
    assert record["source"]["ocr_pages"] == 0
    assert len(record["forms"]) == len(want["forms"]) == 3
    assert all(field_diffs(g, w) == [] for g, w in zip(record["forms"], want["forms"]))
    page = prepare(pdf, scanned[0], 595.28, 841.89)
    lines = detect_lines(page.image)
    assert len(lines) >= 20 and not looks_like_form(lines, lean(page.image))
    form = prepare(FIXTURES / "scan-training-no-rules-200dpi.pdf", 1, 595.28, 841.89)
    lines = detect_lines(form.image)
    assert looks_like_form(lines, lean(form.image))
