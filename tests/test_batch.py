"""Batch conversion of archives: DuckDB, Parquet, JSON; resumable, parallel, isolated."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from archive import BROKEN_KINDS, build_archive, mutate
from conftest import fixture_pdfs, run_cli
from formaudit.limits import RETRIED_CODES

TABLES = ("documents", "files", "forms", "funding", "indicators", "findings")

# archive-sized batches, kill and resume, fuzzing: the whole module is out of the fast tier
pytestmark = pytest.mark.slow
ORDER = {"documents": "sha256", "files": "path", "forms": "form_id", "funding": "form_id, row_index",
         "indicators": "form_id, row_index", "findings": "form_id, finding_index"}
VOLATILE = {"seconds", "peak_mb"}  # timing and memory differ between runs


def snapshot(db: Path, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for t in TABLES:
            cols = [c[0] for c in con.execute(f"DESCRIBE {t}").fetchall()
                    if c[0] not in VOLATILE and not (t != "files" and c[0] in skip)]
            out[t] = con.execute(f"SELECT {', '.join(cols)} FROM {t} ORDER BY {ORDER[t]}").fetchall()
        return out
    finally:
        con.close()


def duckdb_count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def batch_cmd(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("formaudit")
    return [str(exe), "batch", *args]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    made = build_archive(root)
    db = root.parent / "reference.duckdb"
    result = subprocess.run(batch_cmd(str(root), "--db", str(db), "--max-mb", "1", "--json", str(root.parent / "json"),
                                      "--parquet", str(root.parent / "parquet")), capture_output=True, text=True, timeout=900)
    return root, made, db, result


def test_archive_every_good_pdf_yields_its_forms_and_every_broken_one_its_error(archive):
    root, made, db, result = archive
    assert result.returncode == 2, result.stderr  # some files failed, and the exit status says so
    assert len(made["good"]) >= 200 and all(len(made[k]) >= 10 for k in BROKEN_KINDS)
    con = duckdb.connect(str(db), read_only=True)
    status = dict(con.execute("SELECT f.path, d.status || ':' || coalesce(d.error_code, '') FROM files f JOIN documents d USING (sha256)").fetchall())
    forms = dict(con.execute("SELECT f.path, count(m.form_id) FROM files f LEFT JOIN forms m USING (sha256) GROUP BY f.path").fetchall())
    con.close()
    from conftest import truth_of

    for pdf in made["good"]:
        source = pdf.name.rsplit("-", 1)[0]
        want = len(truth_of(next(p for p in fixture_pdfs("text") if p.stem == source))["forms"])
        assert status[str(pdf)] in ("ok:",), (pdf, status[str(pdf)])
        assert forms[str(pdf)] == want
    expect = {"NOT_A_PDF": "failed:NOT_A_PDF", "ZERO_BYTE": "failed:NOT_A_PDF", "TRUNCATED_PDF": "failed:TRUNCATED_PDF",
              "ENCRYPTED_PDF": "failed:ENCRYPTED_PDF", "TOO_LARGE": "failed:TOO_LARGE", "NO_FORM_FOUND": "no_form:NO_FORM_FOUND"}
    for kind, want in expect.items():
        for pdf in made[kind]:
            assert status[str(pdf)] == want, pdf
    for pdf in made["CORRUPTED"]:  # damage anywhere: a form or a clear error, never nothing
        assert status[str(pdf)].split(":")[0] in ("ok", "no_form", "failed")
    assert len(status) == sum(len(v) for v in made.values())


def test_tables_join_and_answer_which_units_have_errors(archive):
    _, _, db, _ = archive
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("""SELECT unit_name, count(*) FROM findings WHERE severity = 'error' GROUP BY unit_name""").fetchall()
    joined = con.execute("""SELECT count(*) FROM findings x JOIN forms f USING (form_id) JOIN documents d ON d.sha256 = f.sha256""").fetchone()[0]
    total = con.execute("SELECT count(*) FROM findings").fetchone()[0]
    con.close()
    assert {"中国人民政治协商会议湖南省长沙市望城区委员会办公室", "某市人力资源和社会保障局"} <= {r[0] for r in rows}
    assert joined == total > 0


def test_json_and_parquet_outputs_match_the_database(archive):
    root, made, db, _ = archive
    pdf = made["good"][0]
    record = json.loads((root.parent / "json" / pdf.relative_to(root).with_suffix(".json")).read_text())
    assert record["source"]["path"] == str(pdf) and record["forms"]
    con = duckdb.connect()
    for t in TABLES:
        n_parquet = con.execute(f"SELECT count(*) FROM read_parquet('{root.parent}/parquet/{t}/*.parquet')").fetchone()[0]
        assert n_parquet == len(snapshot(db)[t])
    con.close()


def test_killed_batch_resumes_to_the_same_tables(archive, tmp_path):
    root, _, reference, _ = archive
    want = snapshot(reference)
    total = len(want["documents"])
    for attempt, fraction in enumerate((0.35, 0.2, 0.55)):
        db = tmp_path / f"killed{attempt}.duckdb"
        proc = subprocess.Popen(batch_cmd(str(root), "--db", str(db), "--max-mb", "1", "--workers", "2"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(2.0 + 25 * fraction)
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its children, mid-work
        proc.wait()
        done = len(snapshot(db)["documents"]) if db.exists() else 0
        if 0 < done < total:
            codes = ", ".join(f"'{c}'" for c in sorted(RETRIED_CODES))
            failed_before = duckdb_count(db, "SELECT count(*) FROM documents WHERE status = 'failed' "
                                             f"AND error_code IN ({codes})")
            break
    else:
        pytest.fail("could not stop the batch part-way")
    resumed = subprocess.run(batch_cmd(str(root), "--db", str(db), "--max-mb", "1", "--workers", "2"),
                             capture_output=True, text=True, timeout=900)
    # only what was missing, and what failed before for a cause of the run's: a rerun tries those again
    assert f": {total - done + failed_before} processed" in resumed.stderr, resumed.stderr
    if failed_before:
        assert f"({failed_before} failed before, tried again)" in resumed.stderr, resumed.stderr
    got = snapshot(db)
    differing = {t: (sorted(set(got[t]) - set(want[t]))[:2], sorted(set(want[t]) - set(got[t]))[:2])
                 for t in want if got[t] != want[t]}
    assert not differing, differing  # (rows only in the resumed run, rows only in the reference)


def test_rerun_processes_nothing_and_a_changed_file_again(tmp_path):
    src = fixture_pdfs("text")[:3]
    folder = tmp_path / "in"
    folder.mkdir()
    for p in src:
        (folder / p.name).write_bytes(p.read_bytes())
    db = tmp_path / "r.duckdb"
    first = run_cli("batch", str(folder), "--db", str(db))
    assert first.returncode == 0 and "3 processed" in first.stderr
    again = run_cli("batch", str(folder), "--db", str(db))
    assert "0 processed, 3 already done" in again.stderr
    before = snapshot(db)
    (folder / src[0].name).write_bytes(src[1].read_bytes())  # the file changes (becomes a copy of another)
    changed = run_cli("batch", str(folder), "--db", str(db))
    assert "0 processed" in changed.stderr and "3 already done" in changed.stderr
    after = snapshot(db)
    snapshot_after = snapshot(db, frozenset({"path", "file_path"}))
    assert len(after["documents"]) == 2 and len(before["documents"]) == 3  # the old content is gone, no row twice
    forced = run_cli("batch", str(folder), "--db", str(db), "--force")
    assert "2 processed" in forced.stderr and "1 duplicate" in forced.stderr
    # which of two identical files a document is processed under may change; nothing else does
    by_path = frozenset({"path", "file_path"})
    assert snapshot(db, by_path) == snapshot_after


def memory_hungry_pdf(path: Path) -> None:
    """A form-like page with 156,000 characters: pdfminer needs hundreds of MB for its objects."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), invariant=1)
    c.setFont("STSong-Light", 4)
    c.drawString(50, 820, "项目支出绩效自评表 一级指标 三级指标 执行率 分值")
    for k in range(1300):
        c.drawString(20, 800 - (k % 190) * 4, "一" * 120)
    c.save()


def test_timeout_and_memory_cap_become_error_rows(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for p in fixture_pdfs("text")[:2]:
        (folder / p.name).write_bytes(p.read_bytes())
    slow = run_cli("batch", str(folder), "--db", str(tmp_path / "t.duckdb"), "--timeout", "0.001")
    assert slow.returncode == 2 and "TIMEOUT" in slow.stderr
    memory_hungry_pdf(folder / "huge.pdf")
    # pdfminer's objects for 156,000 characters take hundreds of MB on any machine; PDFium's stay under the cap
    # where the font is not installed (on a machine that has it, PDFium maps the font file and goes over too)
    capped = run_cli("batch", str(folder), "--db", str(tmp_path / "m.duckdb"), "--memory-mb", "100", "--reader", "pdfminer")
    assert capped.returncode == 2
    con = duckdb.connect(str(tmp_path / "m.duckdb"), read_only=True)
    codes = dict(con.execute("SELECT path, coalesce(error_code, status) FROM documents").fetchall())
    con.close()
    assert codes[str(folder / "huge.pdf")] == "MEMORY_LIMIT"
    assert sorted(v for k, v in codes.items() if not k.endswith("huge.pdf")) == ["ok", "ok"]  # the others are unharmed


def test_fuzzed_pdfs_never_crash_or_hang_the_batch(tmp_path):
    rng = random.Random(20201231)
    sources = fixture_pdfs("text")
    folder = tmp_path / "fuzz"
    folder.mkdir()
    n = 240  # corrupted fonts look garbled and go the OCR path, ~2 s each: a few hundred is enough
    for i in range(n):
        src = sources[i % len(sources)]
        (folder / f"m{i:03d}.pdf").write_bytes(mutate(src.read_bytes(), rng) + f"\n%{i}".encode())
    db = tmp_path / "fuzz.duckdb"
    result = run_cli("batch", str(folder), "--db", str(db), "--timeout", "60", timeout=900)
    assert result.returncode in (0, 2), result.stderr
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT f.path, d.status FROM files f JOIN documents d USING (sha256)").fetchall()
    con.close()
    assert len(rows) == n and {s for _, s in rows} <= {"ok", "no_form", "failed"}


def test_make_run_query_works(fixtures_batch):
    from formaudit.batch import TRY_QUERY

    db, _, _, result = fixtures_batch
    assert f'formaudit query {db} "{TRY_QUERY}"' in result.stderr
    query = run_cli("query", str(db), TRY_QUERY, "--format", "json")
    rows = json.loads(query.stdout)
    assert query.returncode == 0 and any(r["code"] == "RATE_MISMATCH" for r in rows)
    stats = run_cli("stats", str(db))
    assert stats.returncode == 0 and "findings by code" in stats.stdout


@pytest.mark.dask
def test_dask_cluster_gives_the_local_tables(tmp_path):
    from dask.distributed import Client, LocalCluster

    from formaudit.batch import run_batch

    folder = tmp_path / "in"
    for i, p in enumerate(fixture_pdfs("text")):
        (folder / f"d{i % 2}").mkdir(parents=True, exist_ok=True)
        (folder / f"d{i % 2}" / p.name).write_bytes(p.read_bytes())
    (folder / "broken.pdf").write_text("nope")
    local = tmp_path / "local.duckdb"
    run_batch([str(folder)], local, quiet=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        summary = run_batch([str(folder)], parquet_parts=tmp_path / "dataset", dask=client)
        assert summary.processed == len(snapshot(local)["documents"])
        again = run_batch([str(folder)], parquet_parts=tmp_path / "dataset", dask=client)
        assert again.processed == 0 and again.skipped == summary.processed
        # the other sink behind the same executor: the cluster reads, this process keeps a DuckDB file
        run_batch([str(folder)], tmp_path / "dask.duckdb", dask=client)
    assert snapshot(tmp_path / "dask.duckdb") == snapshot(local)
    con = duckdb.connect()
    want = snapshot(local)
    for t in TABLES:
        cols = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{tmp_path}/dataset/{t}/*.parquet')").fetchall()
                if c[0] not in VOLATILE]
        got = con.execute(f"SELECT {', '.join(cols)} FROM read_parquet('{tmp_path}/dataset/{t}/*.parquet') ORDER BY {ORDER[t]}").fetchall()
        assert got == want[t], t
    con.close()


def test_the_ocr_models_are_kept_only_once_an_archive_shows_itself_to_be_scans():
    """A rare scan among text-layer PDFs loads its own models (the text readers stay small); two scans that are
    a quarter of what was read so far make the batch process keep them for every reader it forks after."""
    from formaudit.isolate import OcrKeeper, Outcome, task_for
    from formaudit.pipeline import Options

    task = task_for(Path("x.pdf"), Options())

    def outcome(ocr_pages: int) -> Outcome:
        return Outcome(task, {"source": {"ocr_pages": ocr_pages}}, None, None, 0.1, 50.0)

    mostly_text = OcrKeeper()
    for pages in [1] + [0] * 8 + [1]:
        mostly_text.count(outcome(pages))
    assert not mostly_text.archive_is_scans  # 2 of 10

    scans = OcrKeeper()
    scans.count(outcome(3))
    assert not scans.archive_is_scans  # one scan says little
    scans.count(outcome(1))
    assert scans.archive_is_scans
    failed = OcrKeeper()
    for _ in range(3):
        failed.count(Outcome(task, None, "TIMEOUT", "stopped", 300.0, 50.0))
    assert not failed.archive_is_scans
