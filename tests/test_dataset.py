"""A batch reads the same whether it is a DuckDB file or a Parquet dataset folder."""

from __future__ import annotations

import json

import duckdb
import pandas.testing as pdt
import pytest

from conftest import FIXTURES, run_cli
from formaudit.batch import TRY_QUERY

TABLES = ("documents", "files", "forms", "funding", "indicators", "findings")
SMALL = ("wangcheng-cppcc-2020-self-evaluation.pdf", "national-project-2020-training-errors.pdf",
         "project-2021-equipment-yuan-percent.pdf")


def small_archive(folder):
    """A few fixtures with findings, a copy under another name and a broken file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in SMALL:
        (folder / name).write_bytes((FIXTURES / name).read_bytes())
    (folder / "copy-of-seed.pdf").write_bytes((FIXTURES / SMALL[0]).read_bytes())
    (folder / "broken.pdf").write_text("not a pdf")
    return folder


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """(DuckDB file, its Parquet export) of one local batch over the small archive."""
    out = tmp_path_factory.mktemp("dataset")
    archive = small_archive(out / "in")
    db, parquet = out / "results.duckdb", out / "parquet"
    result = run_cli("batch", str(archive), "--db", str(db), "--parquet", str(parquet), "--workers", "2", "-q")
    assert result.returncode == 2, result.stderr  # the broken file fails, the rest goes on
    return db, parquet


def test_duckdb_file_and_parquet_folder_give_equal_frames(batch):
    import formaudit

    db, parquet = batch
    with formaudit.open_dataset(db) as a, formaudit.open_dataset(parquet) as b:
        for name in TABLES:
            frame = a.table(name)
            pdt.assert_frame_equal(frame, b.table(name), obj=name)
            assert len(frame) > 0, name
        assert list(a.forms.columns) == [c[0] for c in duckdb.connect(str(db), read_only=True).execute(
            "DESCRIBE forms").fetchall()]
        forms = a.forms
        assert str(forms["year"].dtype) == "Int32" and forms["budget"].dtype == "float64"
        assert set(a.documents["status"]) == {"ok", "failed"}
        assert len(a.files) == len(SMALL) + 2 and len(a.documents) == len(SMALL) + 1
        for title, figures in a.stats().items():
            pdt.assert_frame_equal(figures, b.stats()[title], obj=title)
        assert [r.to_json() for r in a.records()] == [r.to_json() for r in b.records()]
        assert a.sql("SELECT count(*) AS n FROM findings WHERE severity = ?", ["error"])["n"][0] > 0


def test_query_stats_validate_and_report_answer_alike_on_both(batch, tmp_path):
    db, parquet = batch
    for args in (["query", "{}", TRY_QUERY, "--format", "json"], ["query", "{}", "SELECT * FROM forms ORDER BY form_id",
                 "--format", "csv"], ["stats", "{}"], ["validate", "{}", "--format", "json"]):
        on_db = run_cli(*[a.format(db) for a in args])
        on_parquet = run_cli(*[a.format(parquet) for a in args])
        assert on_db.returncode == on_parquet.returncode and on_db.returncode in (0, 1, 2), on_db.stderr
        assert on_db.stdout == on_parquet.stdout and on_db.stdout.strip(), args
    findings = json.loads(run_cli("validate", str(parquet), "--format", "json").stdout)
    assert {"RATE_MISMATCH", "WEIGHT_SUM_MISMATCH", "NOT_A_PDF"} <= {f["code"] for f in findings}
    for source, name in ((db, "db"), (parquet, "parquet")):
        result = run_cli("report", str(source), "--out", str(tmp_path / f"{name}.html"), "--xlsx", str(tmp_path / f"{name}.xlsx"))
        assert result.returncode == 0 and f"({len(SMALL) + 2} file(s))" in result.stderr, result.stderr
    assert (tmp_path / "db.html").read_bytes() == (tmp_path / "parquet.html").read_bytes()


def test_import_copies_a_parquet_dataset_into_one_duckdb_file_without_duplicates(batch, tmp_path):
    import formaudit

    db, parquet = batch
    target = tmp_path / "one.duckdb"
    for _ in range(2):  # importing again replaces the same documents
        result = run_cli("import", str(parquet), "--db", str(target))
        assert result.returncode == 0 and "imported" in result.stderr, result.stderr
    with formaudit.open_dataset(db) as a, formaudit.open_dataset(target) as b:
        for name in TABLES:
            pdt.assert_frame_equal(a.table(name), b.table(name), obj=name)


def test_a_parquet_dataset_still_being_written_reads_with_its_missing_tables_empty(batch, tmp_path):
    import formaudit

    _, parquet = batch
    partial = tmp_path / "partial"
    (partial / "documents").mkdir(parents=True)
    (partial / "documents" / "all.parquet").write_bytes((parquet / "documents" / "all.parquet").read_bytes())
    with formaudit.open_dataset(partial) as ds:
        assert len(ds.documents) == len(SMALL) + 1 and ds.files.empty and ds.findings.empty
        assert list(ds.findings.columns)[:4] == ["form_id", "finding_index", "sha256", "code"]
    assert run_cli("stats", str(partial)).returncode == 0


@pytest.mark.parametrize("kind", ["missing", "empty folder", "folder of other files", "pdf", "text", "duckdb without tables"])
def test_what_is_no_batch_gets_one_line_and_exit_2_never_an_empty_report(kind, tmp_path):
    import formaudit

    path = tmp_path / "input"
    if kind == "empty folder":
        path.mkdir()
    elif kind == "folder of other files":
        path.mkdir()
        (path / "notes.txt").write_text("hello")
        (path / "forms").mkdir()
    elif kind == "pdf":
        path.write_bytes((FIXTURES / SMALL[0]).read_bytes())
    elif kind == "text":
        path.write_text("SELECT 1")
    elif kind == "duckdb without tables":
        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE t (x INTEGER)")
        con.close()
    report = tmp_path / "r.html"
    for args in (["query", str(path), "SELECT * FROM forms"], ["stats", str(path)], ["report", str(path), "--out", str(report)],
                 ["import", str(path), "--db", str(tmp_path / "x.duckdb")]):
        result = run_cli(*args)
        assert result.returncode == 2 and result.stdout == "", (args, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"formaudit: {path}") and "Traceback" not in result.stderr, (args, lines)
    assert not report.exists()
    with pytest.raises(formaudit.NotADataset, match=str(path)):
        formaudit.open_dataset(path)
