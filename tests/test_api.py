"""The Python API: what the command line calls, checked against what the command line writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas.testing as pdt
import pytest

import formaudit
from conftest import FIXTURES, ROOT, fixture_pdfs, run_cli

SEED = FIXTURES / "wangcheng-cppcc-2020-self-evaluation.pdf"
TRAINING = FIXTURES / "national-project-2020-training-errors.pdf"


@pytest.mark.slow
def test_read_pdf_of_every_text_fixture_equals_what_extract_writes(tmp_path):
    pdfs = fixture_pdfs("text")
    assert len(pdfs) >= 15
    result = run_cli("extract", *[str(p) for p in pdfs], "--out", str(tmp_path), "-q", timeout=600)
    assert result.returncode in (0, 1), result.stderr
    for pdf in pdfs:
        record = formaudit.read_pdf(pdf)
        assert isinstance(record, formaudit.Record) and record.forms, pdf.name
        assert record.to_json() == (tmp_path / f"{pdf.stem}.json").read_text(encoding="utf-8"), pdf.name


@pytest.mark.slow
def test_to_frames_equals_the_tables_a_batch_writes_for_the_same_pdf(tmp_path):
    db = tmp_path / "results.duckdb"
    assert run_cli("batch", str(SEED), str(TRAINING), "--db", str(db), "-q").returncode == 0
    with formaudit.open_dataset(db) as ds:
        for pdf in (SEED, TRAINING):
            frames = formaudit.read_pdf(pdf).to_frames()
            assert set(frames) == {"forms", "funding", "indicators", "findings"}
            sha = frames["forms"]["sha256"][0]
            for name, got in frames.items():
                want = ds.sql(f"SELECT * FROM {name} WHERE form_id LIKE ? ORDER BY ALL", [f"{sha}:%"])
                assert len(want) > 0, name
                got = got.sort_values(list(got.columns[:2])).reset_index(drop=True)
                want = want.sort_values(list(want.columns[:2])).reset_index(drop=True)
                pdt.assert_frame_equal(got, want, obj=f"{pdf.name} {name}")
    funding = formaudit.read_pdf(SEED).to_frames()["funding"]
    assert funding["budget"].dtype == "float64" and funding["budget"][0] == 1763
    assert str(funding["row_index"].dtype) == "Int32"


def test_audit_of_a_record_edited_in_python_equals_validate_of_the_edited_json(tmp_path):
    record = formaudit.read_pdf(SEED)
    before = [f.code for f in record.forms[0].findings]
    assert before == [f.code for f in formaudit.audit(record)]  # unedited: the findings extract gave
    assert "WEIGHT_SUM_MISMATCH" in before
    record.forms[0].total.weight = sum(r.weight or 0 for r in record.forms[0].funding[:1]) + \
        sum(i.weight or 0 for i in record.forms[0].indicators)  # the weights as printed add up now
    found = formaudit.audit(record)
    assert found == record.forms[0].findings and "WEIGHT_SUM_MISMATCH" not in [f.code for f in found]
    edited = tmp_path / "edited.json"
    edited.write_text(record.to_json(), encoding="utf-8")
    validated = json.loads(run_cli("validate", str(edited), "--format", "json").stdout)
    assert [(r["code"], r["where"]) for r in validated] == [(f.code, f.path) for f in found]
    assert formaudit.audit(record.forms[0]) == found  # one form alone too


def test_options_are_checked_as_the_command_line_checks_them(tmp_path):
    from formaudit.api import GRIDS, OCR_MODES, READERS
    from formaudit.cli import build_parser

    extract = build_parser()._subparsers._group_actions[0].choices["extract"]._actions
    assert tuple(next(a for a in extract if a.dest == "grid").choices) == GRIDS
    assert tuple(next(a for a in extract if a.dest == "reader").choices) == READERS
    assert tuple(next(a for a in extract if a.dest == "ocr").choices) == OCR_MODES
    with pytest.raises(ValueError, match="ocr must be one of auto, off"):
        formaudit.read_pdf(SEED, ocr="tesseract")
    with pytest.raises(ValueError, match="reader must be one of pdfium, pdfminer"):
        formaudit.read_pdf(SEED, reader="pdfbox")
    with pytest.raises(ValueError, match="grid must be one of pdfplumber, camelot"):
        formaudit.read_pdf(SEED, grid="tabula")
    with pytest.raises(ValueError, match="max_mb"):
        formaudit.read_pdf(SEED, max_mb=0)
    with pytest.raises(FileNotFoundError):
        formaudit.read_pdf(tmp_path / "missing.pdf")
    broken = tmp_path / "broken.pdf"
    broken.write_text("not a pdf")
    assert [e.code for e in formaudit.read_pdf(broken).errors] == ["NOT_A_PDF"]  # a bad file is a record, as in the JSON
    assert [e.code for e in formaudit.read_pdf(SEED, max_mb=1).errors] in ([], ["TOO_LARGE"])


def test_help_reads_like_a_library_function_and_the_package_is_typed():
    text = subprocess.run([sys.executable, "-c", "import formaudit; help(formaudit.read_pdf)"], capture_output=True,
                          text=True, env=dict(os.environ, PAGER="cat", TERM="dumb"), timeout=60).stdout
    assert "read_pdf(path: str | os.PathLike[str], *, grid: str = 'pdfplumber', ocr: str = 'auto', reader: str = 'pdfium', max_mb: int = 512, settings: formaudit.settings.Settings | None = None) -> formaudit.api.Record" in text
    for word in ("Parameters", "grid : {\"pdfplumber\", \"camelot\"}", "Returns", "Raises", "Examples",
                 ">>> record = formaudit.read_pdf(\"form.pdf\")"):
        assert word in text, word
    for name in ("audit", "open_dataset", "Record", "Dataset"):
        doc = getattr(formaudit, name).__doc__
        assert doc and ">>>" in doc, name
    assert (ROOT / "src" / "formaudit" / "py.typed").exists()
    # `import formaudit` stays light: the command line's start-up does not load the PDF stack
    loaded = subprocess.run([sys.executable, "-c", "import sys, formaudit; print('pdfplumber' in sys.modules, 'pandas' in sys.modules)"],
                            capture_output=True, text=True, timeout=60).stdout
    assert loaded.split() == ["False", "False"]


def test_open_dataset_refuses_what_is_no_batch_with_a_one_line_reason(tmp_path):
    with pytest.raises(formaudit.NotADataset, match="neither a formaudit DuckDB database nor a Parquet dataset"):
        formaudit.open_dataset(SEED)
    with pytest.raises(ValueError, match="no table 'form'"):
        formaudit.open_dataset(_tiny_batch(tmp_path)).table("form")


def _tiny_batch(tmp_path):
    from formaudit.export.duckdb_store import Store

    db = tmp_path / "tiny.duckdb"
    Store(db).close()  # the tables, empty
    return db


def test_ocr_off_skips_the_pages_only_ocr_could_read_and_says_which(tmp_path):
    """A fast pass over an archive: text-layer pages read as always, scanned pages named in the record."""
    mixed = FIXTURES / "mixed-report-scanned-form-page.pdf"
    scanned_page = json.loads(mixed.with_name(mixed.stem + ".truth.json").read_text("utf-8"))["source"]["scanned_pages"]
    record = formaudit.read_pdf(mixed, ocr="off")
    skipped = [e for e in record.errors if e.code == "OCR_SKIPPED"]
    assert len(skipped) == 1 and skipped[0].page == scanned_page[0] and record.source.ocr_pages == 0
    assert all(scanned_page[0] not in form.pages for form in record.forms) and record.forms
    text_only = FIXTURES / "national-project-2021-water-clean.pdf"
    assert formaudit.read_pdf(text_only, ocr="off").to_json() == formaudit.read_pdf(text_only).to_json()
    done = run_cli("extract", str(mixed), "--out", str(tmp_path), "--ocr", "off")
    assert done.returncode in (0, 1) and "OCR_SKIPPED" in done.stderr  # 1: the forms read hold error findings
    assert json.loads((tmp_path / f"{mixed.stem}.json").read_text("utf-8"))["errors"][0]["code"] == "OCR_SKIPPED"
