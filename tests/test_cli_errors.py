"""Every subcommand over a table of bad inputs: exit 2, one line on stderr naming the input, no traceback."""

from __future__ import annotations

import json
import os
import shutil

import duckdb
import pytest

from conftest import FIXTURES, run_cli

SEED = FIXTURES / "wangcheng-cppcc-2020-self-evaluation.pdf"
SEED_RECORD = FIXTURES.parent / "wangcheng-cppcc-2020.expected.json"


def assert_one_clear_line(result, names: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert names in lines[0], (names, lines[0])


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    """A folder of bad inputs of every kind, made once."""
    d = tmp_path_factory.mktemp("bad")
    (d / "notes.txt").write_text("not a database, not a record\n")
    (d / "empty-folder").mkdir()
    (d / "existing-file").write_text("x")
    (d / "fake.duckdb").write_text("not a DuckDB file")
    con = duckdb.connect(str(d / "other.duckdb"))
    con.execute("CREATE TABLE t (a INT)")
    con.close()
    (d / "broken.pdf").write_bytes(b"%PDF-1.4\n%broken")
    (d / "latin1.json").write_bytes(b'{"source": "\xe9"}')
    (d / "nan.json").write_text('{"source": {"path": "a.pdf", "sha256": "00", "pages": NaN}, "forms": [], "errors": []}')
    (d / "inf.json").write_text('{"source": {"path": "a.pdf", "sha256": "00", "pages": 1}, "forms": [], "errors": [], '
                                '"x": Infinity}')
    (d / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (d / "array.json").write_text("[]")
    return d


# (arguments, the text the one line must contain): {d} is the folder of bad inputs, {seed} a good PDF
TABLE = [
    (["batch", "{seed}", "--workers", "-1"], "--workers"),
    (["batch", "{seed}", "--workers", "0"], "--workers"),
    (["batch", "{seed}", "--workers", "two"], "--workers"),
    (["batch", "{seed}", "--timeout", "0"], "--timeout"),
    (["batch", "{seed}", "--timeout", "-5"], "--timeout"),
    (["batch", "{seed}", "--timeout", "nan"], "--timeout"),
    (["batch", "{seed}", "--timeout", "inf"], "--timeout"),
    (["batch", "{seed}", "--memory-mb", "0"], "--memory-mb"),
    (["batch", "{seed}", "--max-mb", "-1"], "--max-mb"),
    (["batch", "{seed}", "--max-pages", "0"], "--max-pages"),
    (["batch", "{seed}", "--db", "{d}/existing-file/x.duckdb"], "existing-file"),
    (["batch", "{seed}", "--db", "{d}/fake.duckdb"], "fake.duckdb"),
    (["audit", "{seed}", "--max-megapixels", "0"], "--max-megapixels"),
    (["audit", "{seed}", "--timeout", "1e999"], "--timeout"),
    (["audit", "{d}/empty-folder"], "empty-folder"),
    (["extract", "{seed}", "--out", "{d}/existing-file"], "existing-file"),
    (["extract", "{seed}", "--out", "{d}/existing-file/sub"], "existing-file"),
    (["extract", "{seed}", "--out", "/sys/formaudit-out"], "/sys/formaudit-out"),  # no one may create it, root neither
    (["extract", "{seed}", "--out", "{d}/out", "--memory-mb", "10"], "--memory-mb"),
    (["debug", "{seed}", "--dpi", "0", "--out", "{d}/dbg"], "--dpi"),
    (["debug", "{seed}", "--dpi", "5000", "--out", "{d}/dbg"], "--dpi"),
    (["debug", "{d}/no-such.pdf", "--out", "{d}/dbg"], "no-such.pdf"),
    (["debug", "{d}/notes.txt", "--out", "{d}/dbg"], "notes.txt"),
    (["debug", "{d}/broken.pdf", "--out", "{d}/dbg"], "broken.pdf"),
    (["debug", "{seed}", "--out", "{d}/existing-file"], "existing-file"),
    (["report", "{d}/notes.txt", "--out", "{d}/r.html"], "notes.txt"),
    (["report", "{d}/array.json", "--out", "{d}/r.html"], "array.json"),
    (["report", "{d}/fake.duckdb", "--out", "{d}/r.html"], "fake.duckdb"),
    (["report", "{d}/other.duckdb", "--out", "{d}/r.html"], "other.duckdb"),
    (["report", "{d}/no-such.duckdb", "--out", "{d}/r.html"], "no-such.duckdb"),
    (["stats", "{d}/notes.txt"], "notes.txt"),
    (["stats", "{d}/other.duckdb"], "other.duckdb"),
    (["stats", "{d}/no-such.duckdb"], "no-such.duckdb"),
    (["query", "{d}/fake.duckdb", "SELECT 1"], "fake.duckdb"),
    (["query", "{d}/other.duckdb", "SELECT 1"], "other.duckdb"),
    (["validate", "{d}/nan.json"], "nan.json"),
    (["validate", "{d}/inf.json"], "inf.json"),
    (["validate", "{d}/deep.json"], "deep.json"),
    (["validate", "{d}/latin1.json"], "latin1.json"),
    (["validate", "{d}/no-such.json"], "no-such.json"),
]


@pytest.mark.parametrize("args,names", TABLE, ids=[" ".join(a[:1] + a[2:] if len(a) > 2 else a) for a, _ in TABLE])
def test_bad_input_gets_one_line_and_exit_2(bad, args, names):
    filled = [a.format(d=bad, seed=SEED) for a in args]
    assert_one_clear_line(run_cli(*filled, timeout=120), names)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """A batch database of one form."""
    db = tmp_path_factory.mktemp("db") / "one.duckdb"
    assert run_cli("batch", str(SEED), "--db", str(db)).returncode == 0
    return db


def test_query_with_bad_sql_is_one_line(small_db):
    db = small_db
    assert_one_clear_line(run_cli("query", str(db), "SELEC nonsense FROM nowhere"), "query failed")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_extract_into_a_read_only_folder(tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert_one_clear_line(run_cli("extract", str(SEED), "--out", str(out)), str(out))
    finally:
        out.chmod(0o755)


@pytest.mark.slow
def test_a_database_in_use_is_busy_for_writers_and_readers(tmp_path, small_db):
    """A second batch, and query, stats and report, while a process holds the database open for writing."""
    db = tmp_path / "busy.duckdb"
    shutil.copy(small_db, db)
    holder = duckdb.connect(str(db))  # what a running batch holds
    try:
        for args in (["batch", str(SEED), "--db", str(db)], ["query", str(db), "SELECT count(*) FROM documents"],
                     ["stats", str(db)], ["report", str(db), "--out", str(tmp_path / "r.html")]):
            result = run_cli(*args)
            assert_one_clear_line(result, str(db))
            assert "busy" in result.stderr
    finally:
        holder.close()
    assert run_cli("stats", str(db)).returncode == 0  # free again


# records the contract's schema rejects, each with the path the message must name
def _seed_record() -> dict:
    return json.loads(SEED_RECORD.read_text(encoding="utf-8"))


def _without_forms(r):
    del r["forms"]


def _true_budget(r):
    r["forms"][0]["funding"][0]["budget"] = True


def _string_budget(r):
    r["forms"][0]["funding"][0]["budget"] = "1763"


def _without_funding(r):
    del r["forms"][0]["funding"]


def _string_weight(r):
    r["forms"][0]["indicators"][0]["weight"] = "10"


SCHEMA_CASES = [
    (_without_forms, "'forms' is a required property"),
    (_true_budget, "/forms/0/funding/0/budget"),
    (_string_budget, "/forms/0/funding/0/budget"),
    (_without_funding, "'funding' is a required property"),
    (_string_weight, "/forms/0/indicators/0/weight"),
]


@pytest.mark.parametrize("breaks,names", SCHEMA_CASES, ids=[f.__name__.strip("_") for f, _ in SCHEMA_CASES])
def test_validate_rejects_what_the_schema_rejects_and_names_the_field(tmp_path, breaks, names):
    import jsonschema

    from conftest import load_schema

    record = _seed_record()
    jsonschema.validate(record, load_schema())  # the seed record itself conforms
    breaks(record)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, load_schema())
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    result = run_cli("validate", str(path), "--format", "json")
    assert_one_clear_line(result, names)
    assert str(path) in result.stderr and json.loads(result.stdout) == []  # nothing audited, no invented finding


def test_validate_still_audits_a_conforming_record(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(SEED_RECORD.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli("validate", str(path), "--format", "json")
    assert result.returncode == 1 and "RATE_MISMATCH" in {f["code"] for f in json.loads(result.stdout)}


def test_help_shows_the_caps_and_their_defaults():
    from formaudit.limits import DEFAULT_MAX_PAGES, DEFAULT_MEMORY_MB

    for command in ("audit", "extract", "debug", "batch"):
        text = " ".join(run_cli(command, "--help").stdout.split())  # help wraps lines
        assert f"default: {DEFAULT_MEMORY_MB}" in text and f"default: {DEFAULT_MAX_PAGES}" in text, command
    assert "--no-retry" in run_cli("batch", "--help").stdout
