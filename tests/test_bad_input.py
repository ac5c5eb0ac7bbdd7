"""Bad input gets a clear error code and a record; it never crashes or hangs."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import FIXTURES, load_schema, run_cli
from formaudit.export.json_record import record_dict
from formaudit.pipeline import extract

SEED = FIXTURES / "wangcheng-cppcc-2020-self-evaluation.pdf"


def codes(path) -> list[str]:
    record = record_dict(extract(path))
    jsonschema.validate(record, load_schema())
    assert record["forms"] == [] or all(f["form_type"] for f in record["forms"])
    return [e["code"] for e in record["errors"]]


def test_zero_byte_file(tmp_path):
    p = tmp_path / "empty.pdf"
    p.write_bytes(b"")
    assert codes(p) == ["NOT_A_PDF"]


def test_not_a_pdf(tmp_path):
    p = tmp_path / "page.pdf"
    p.write_text("<html><body>404 Not Found</body></html>")
    assert codes(p) == ["NOT_A_PDF"]


def test_truncated_pdf(tmp_path):
    p = tmp_path / "cut.pdf"
    p.write_bytes(SEED.read_bytes()[:5000])
    assert codes(p) == ["TRUNCATED_PDF"]


def test_encrypted_pdf(tmp_path):
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    p = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(p), encrypt=pdfencrypt.StandardEncryption("secret", canModify=0))
    c.drawString(100, 700, "locked")
    c.save()
    assert codes(p) == ["ENCRYPTED_PDF"]


def test_too_large(tmp_path):
    from formaudit.pipeline import Options

    record = record_dict(extract(SEED, options=Options(max_bytes=1000)))
    assert [e["code"] for e in record["errors"]] == ["TOO_LARGE"] and record["source"]["sha256"]


def test_pdf_without_a_form(tmp_path):
    from reportlab.pdfgen import canvas

    p = tmp_path / "letter.pdf"
    c = canvas.Canvas(str(p))
    c.drawString(100, 700, "Annual report, no tables here.")
    c.save()
    assert codes(p) == ["NO_FORM_FOUND"]


@pytest.mark.slow
def test_cid_font_text_never_reaches_a_record():
    pdf = FIXTURES / "cid-no-tounicode-training.pdf"
    record = record_dict(extract(pdf))
    text = json.dumps(record, ensure_ascii=False)
    assert "(cid:" not in text and "\ufffd" not in text
    assert "UNREADABLE_TEXT_LAYER" in [e["code"] for e in record["errors"]]


@pytest.mark.slow
def test_unreadable_files_do_not_stop_extract(tmp_path):
    (tmp_path / "a.pdf").write_bytes(SEED.read_bytes())
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4\n%broken")
    (tmp_path / "c.pdf").write_bytes(b"")
    result = run_cli("extract", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert len(list((tmp_path / "out").glob("*.json"))) == 3
    assert json.loads((tmp_path / "out" / "a.json").read_text())["forms"]


# ---------------------------------------------------------------- hostile PDFs (tests/hostile.py)

def test_form_xobjects_that_draw_themselves_are_detected_not_followed(tmp_path):
    import hostile

    assert codes(hostile.self_drawing_xobject(tmp_path / "self.pdf")) == ["RECURSIVE_CONTENT"]
    assert codes(hostile.self_drawing_xobject(tmp_path / "escaped.pdf", b"/F#6fr#6D")) == ["RECURSIVE_CONTENT"]
    assert codes(hostile.mutually_drawing_xobjects(tmp_path / "mutual.pdf")) == ["RECURSIVE_CONTENT"]
    assert codes(hostile.exponential_forms(tmp_path / "expo.pdf")) == ["RECURSIVE_CONTENT"]  # 2^30, no cycle


def test_a_form_listed_in_its_own_resources_but_not_drawn_is_harmless(tmp_path):
    import hostile

    assert codes(hostile.shared_resources_form(tmp_path / "shared.pdf")) == ["NO_FORM_FOUND"]


def test_pages_and_images_above_the_pixel_cap_are_not_rendered(tmp_path):
    import hostile

    assert codes(hostile.giant_image_page(tmp_path / "giant.pdf")) == ["PAGE_TOO_LARGE"]
    assert codes(hostile.compression_bomb(tmp_path / "bomb.pdf", side=13000)) == ["IMAGE_TOO_LARGE"]


def test_page_count_cap(tmp_path):
    import hostile
    from formaudit.pipeline import Options

    pdf = hostile.many_pages(tmp_path / "many.pdf", 30)
    record = record_dict(extract(pdf, options=Options(max_pages=20)))
    assert [e["code"] for e in record["errors"]] == ["TOO_MANY_PAGES"]
    assert [e["code"] for e in record_dict(extract(pdf, options=Options(max_pages=30)))["errors"]] == ["NO_FORM_FOUND"]


def peak_of_cli(*args: str) -> tuple[float, object]:
    """The CLI in a fresh process whose only children are the CLI's: their peak resident memory (MB)."""
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("formaudit")
    probe = ("import json, resource, subprocess, sys\n"
             "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "print(json.dumps([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.returncode, r.stdout, "
             "r.stderr]))")
    out = subprocess.run([sys.executable, "-c", probe, str(exe), *args], capture_output=True, text=True, timeout=300)
    peak, returncode, stdout, stderr = json.loads(out.stdout)
    return peak, subprocess.CompletedProcess(args, returncode, stdout, stderr)


@pytest.mark.slow
def test_audit_on_hostile_pdfs_stays_under_the_memory_cap_with_a_code_that_says_why(tmp_path):
    import hostile

    cap = 600
    for pdf, code in ((hostile.self_drawing_xobject(tmp_path / "self.pdf"), "RECURSIVE_CONTENT"),
                      (hostile.compression_bomb(tmp_path / "bomb.pdf", side=13000), "IMAGE_TOO_LARGE"),
                      (hostile.giant_image_page(tmp_path / "giant.pdf"), "PAGE_TOO_LARGE"),
                      (hostile.content_bomb(tmp_path / "content.pdf", megabytes=400), "MEMORY_LIMIT")):
        peak, result = peak_of_cli("audit", str(pdf), "--format", "json", "--memory-mb", str(cap))
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert [r["code"] for r in json.loads(result.stdout)] == [code], result.stdout
        assert peak < cap + 150, (pdf.name, peak)  # the child's own cap, plus what it shares with the parent


@pytest.mark.slow
def test_extract_and_debug_read_under_the_same_caps(tmp_path):
    import hostile

    pdf = hostile.self_drawing_xobject(tmp_path / "self.pdf")
    result = run_cli("extract", str(pdf), "--out", str(tmp_path / "out"), timeout=60)
    assert result.returncode == 2 and "RECURSIVE_CONTENT" in result.stderr
    record = json.loads((tmp_path / "out" / "self.json").read_text())
    assert [e["code"] for e in record["errors"]] == ["RECURSIVE_CONTENT"]
    debug = run_cli("debug", str(pdf), "--out", str(tmp_path / "dbg"), timeout=60)
    assert debug.returncode == 2 and "RECURSIVE_CONTENT" in debug.stderr and str(pdf) in debug.stderr
    slow = run_cli("audit", str(SEED), "--timeout", "0.001", "--format", "json")
    assert slow.returncode == 2 and [r["code"] for r in json.loads(slow.stdout)] == ["TIMEOUT"]


# ---------------------------------------------------------------- batch: caps and retries

def _statuses(db) -> dict[str, str]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT f.path, coalesce(d.error_code, d.status) FROM files f JOIN documents d USING (sha256)")
                    .fetchall())
    finally:
        con.close()


@pytest.mark.slow
def test_batch_memory_blow_up_is_memory_limit_not_a_crash(tmp_path):
    """A content stream that inflates to 400 MB makes PDFium abort (SIGABRT) under the cap: MEMORY_LIMIT."""
    import hostile

    folder = tmp_path / "in"
    folder.mkdir()
    hostile.content_bomb(folder / "content.pdf", megabytes=400)
    hostile.self_drawing_xobject(folder / "self.pdf")
    (folder / "seed.pdf").write_bytes(SEED.read_bytes())
    db = tmp_path / "b.duckdb"
    result = run_cli("batch", str(folder), "--db", str(db), "--memory-mb", "300", "--workers", "2")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert _statuses(db) == {str(folder / "content.pdf"): "MEMORY_LIMIT", str(folder / "self.pdf"): "RECURSIVE_CONTENT",
                             str(folder / "seed.pdf"): "ok"}


@pytest.mark.slow
def test_rerun_retries_failed_documents_unless_told_not_to(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n%broken")
    db = tmp_path / "r.duckdb"
    assert run_cli("batch", str(folder), "--db", str(db)).returncode == 2  # TRUNCATED_PDF: the file's own fault
    (folder / "seed.pdf").write_bytes(SEED.read_bytes())
    first = run_cli("batch", str(folder), "--db", str(db), "--timeout", "0.001")
    assert first.returncode == 2 and _statuses(db)[str(folder / "seed.pdf")] == "TIMEOUT"
    kept = run_cli("batch", str(folder), "--db", str(db), "--no-retry")
    assert kept.returncode == 0 and "2 already done" in kept.stderr
    assert _statuses(db)[str(folder / "seed.pdf")] == "TIMEOUT"
    again = run_cli("batch", str(folder), "--db", str(db))
    assert "1 processed (1 failed before, tried again), 1 already done" in again.stderr, again.stderr
    assert _statuses(db) == {str(folder / "seed.pdf"): "ok", str(folder / "broken.pdf"): "TRUNCATED_PDF"}
    assert again.returncode == 0  # the truncated file is what it was: not read again
    last = run_cli("batch", str(folder), "--db", str(db))
    assert "0 processed, 2 already done" in last.stderr, last.stderr


@pytest.mark.slow
def test_dask_rerun_retries_failed_documents(tmp_path):
    import duckdb
    from dask.distributed import Client, LocalCluster

    from formaudit.batch import run_batch
    from formaudit.limits import Limits

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "seed.pdf").write_bytes(SEED.read_bytes())
    dataset = tmp_path / "dataset"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        first = run_batch([str(folder)], parquet_parts=dataset, dask=client, limits=Limits(timeout_s=0.001))
        kept = run_batch([str(folder)], parquet_parts=dataset, dask=client, retry_failed=False)
        again = run_batch([str(folder)], parquet_parts=dataset, dask=client)
    assert (first.failed, kept.processed, kept.skipped) == (1, 0, 1)
    assert (again.processed, again.retried, again.failed) == (1, 1, 0)
    status = duckdb.sql(f"SELECT status FROM read_parquet('{dataset}/documents/*.parquet')").fetchall()
    assert status == [("ok",)]
