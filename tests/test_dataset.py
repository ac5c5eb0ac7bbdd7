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


def cli(capsys, *args) -> tuple[int, str, str]:
    """The command line's entry point in this process (the subprocess runs are in test_dask.py)."""
    from formaudit.cli import main

    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.slow
def test_query_stats_validate_and_report_answer_alike_on_both(batch, tmp_path, capsys):
    from formaudit.export.report import load_records

    db, parquet = batch
    for args in (["query", "{}", TRY_QUERY, "--format", "json"], ["query", "{}", "SELECT * FROM forms ORDER BY form_id",
                 "--format", "csv"], ["stats", "{}"], ["validate", "{}", "--format", "json"]):
        on_db = cli(capsys, *[a.format(db) for a in args])
        on_parquet = cli(capsys, *[a.format(parquet) for a in args])
        assert on_db == on_parquet and on_db[0] in (0, 1, 2) and on_db[1].strip(), args
    findings = json.loads(cli(capsys, "validate", parquet, "--format", "json")[1])
    assert {"RATE_MISMATCH", "WEIGHT_SUM_MISMATCH", "NOT_A_PDF"} <= {f["code"] for f in findings}
    # the report is a function of the records: the same records, the same report
    assert load_records([db]) == load_records([parquet]) and len(load_records([db])) == len(SMALL) + 2
    result = run_cli("report", str(parquet), "--out", str(tmp_path / "r.html"), "--xlsx", str(tmp_path / "r.xlsx"))
    assert result.returncode == 0 and f"({len(SMALL) + 2} file(s))" in result.stderr, result.stderr
    assert (tmp_path / "r.html").read_text().count('class="finding"') == len([f for f in findings if f["form"] is not None])


def test_import_copies_a_parquet_dataset_into_one_duckdb_file_without_duplicates(batch, tmp_path, capsys):
    import formaudit

    db, parquet = batch
    target = tmp_path / "one.duckdb"
    for _ in range(2):  # importing again replaces the same documents
        result = run_cli("import", str(parquet), "--db", str(target))
        assert result.returncode == 0 and "imported" in result.stderr, result.stderr
    with formaudit.open_dataset(db) as a, formaudit.open_dataset(target) as b:
        for name in TABLES:
            pdt.assert_frame_equal(a.table(name), b.table(name), obj=name)
    not_duckdb = tmp_path / "form.pdf"
    not_duckdb.write_bytes((FIXTURES / SMALL[0]).read_bytes())
    status, _, err = cli(capsys, "import", parquet, "--db", not_duckdb)
    assert status == 2 and err.startswith(f"formaudit: {not_duckdb}: not a formaudit database") and len(err.splitlines()) == 1


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


NOT_A_BATCH = ("missing", "empty folder", "folder of other files", "pdf", "text", "duckdb without tables")


def not_a_batch(kind: str, path):
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
    return path


def test_what_is_no_batch_gets_one_line_and_exit_2_never_an_empty_report(tmp_path, capsys):
    import formaudit

    report = tmp_path / "r.html"
    for kind in NOT_A_BATCH:
        path = not_a_batch(kind, tmp_path / kind.replace(" ", "-"))
        for args in (["query", path, "SELECT * FROM forms"], ["stats", path], ["report", path, "--out", report],
                     ["import", path, "--db", tmp_path / "x.duckdb"]):
            status, out, err = cli(capsys, *args)
            lines = err.strip().splitlines()
            assert status == 2 and out == "" and len(lines) == 1 and lines[0].startswith(f"formaudit: {path}"), (kind, args, err)
        with pytest.raises(formaudit.NotADataset, match=str(path)):
            formaudit.open_dataset(path)
    assert not report.exists() and not (tmp_path / "x.duckdb").exists()
    # the case of the issue, through the real command: a folder that holds no batch is no empty report
    result = run_cli("report", str(tmp_path / "folder-of-other-files"), "--out", str(report))
    assert result.returncode == 2 and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert not report.exists()
