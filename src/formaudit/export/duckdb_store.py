"""The embedded DuckDB store of a batch: documents written in transactions of whole documents, so a run
killed at any moment leaves whole documents or none, and a rerun replaces rather than duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa

from formaudit.errors import InputError
from formaudit.export.tables import DOCUMENT_TABLES, KEYS, SCHEMAS, arrow_table
from formaudit.files import replacing

SQL_TYPES = {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.int32(): "INTEGER", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}


def create_statements() -> list[str]:
    out = []
    for name, schema in SCHEMAS.items():
        cols = ", ".join(f'"{f.name}" {SQL_TYPES[f.type]}' for f in schema)
        out.append(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
    return out


class Store:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.con = connect(path, read_only=False)
        for stmt in create_statements():
            self.con.execute(stmt)
        self._held: set[str] | None = None  # documents with rows here (read at the first write): only those are replaced

    def close(self) -> None:
        self.con.close()

    # ------------------------------------------------------------ reading
    def processed(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT sha256 FROM documents").fetchall()}

    def failures(self) -> dict[str, str]:
        """sha256 -> error code, for the documents held as failed."""
        return dict(self.con.execute("SELECT sha256, error_code FROM documents WHERE status = 'failed'").fetchall())

    def files(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT path, sha256 FROM files").fetchall())

    def record_of(self, path: str) -> dict | None:
        """The JSON record of a file, rebuilt from the store: byte for byte what extraction wrote."""
        return record_from(self.con, path)

    # ------------------------------------------------------------ writing
    def write_documents(self, documents: list[dict[str, list[dict]]]) -> None:
        """Replace the rows of several documents (each a different one) in a single transaction: whole documents
        or none. A transaction costs about 20 ms whatever it holds: a batch writes its documents a group at a time."""
        shas = [rows["documents"][0]["sha256"] for rows in documents]
        if len(set(shas)) < len(shas):
            raise ValueError("a group of documents to write holds one document twice")
        if self._held is None:
            self._held = self.processed()
        self.con.execute("BEGIN TRANSACTION")
        try:
            for sha in shas:
                if sha in self._held:  # five deletes cost a fifth of a new document's write
                    self._delete_document(sha)
            for name in ("documents", *DOCUMENT_TABLES):
                table_rows = [row for rows in documents for row in rows[name]]
                if table_rows:
                    self._insert(name, table_rows)
            for rows in documents:
                for f in rows["files"]:
                    self._link(f)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self._held.update(shas)

    def link_files(self, files: list[tuple[str, str, int]]) -> None:
        """Point each (path, sha256, size) at its document, in one transaction."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            for path, sha, size in files:
                self._link({"path": path, "sha256": sha, "size_bytes": size})
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def prune_orphans(self) -> int:
        """Documents no file points to any more (a file changed since): their rows go."""
        orphans = [r[0] for r in self.con.execute(
            "SELECT sha256 FROM documents WHERE sha256 NOT IN (SELECT sha256 FROM files)").fetchall()]
        for sha in orphans:
            self.con.execute("BEGIN TRANSACTION")
            self._delete_document(sha)
            self.con.execute("COMMIT")
            if self._held is not None:
                self._held.discard(sha)
        return len(orphans)

    def _delete_document(self, sha: str) -> None:
        self.con.execute("DELETE FROM funding WHERE form_id IN (SELECT form_id FROM forms WHERE sha256 = ?)", [sha])
        self.con.execute("DELETE FROM indicators WHERE form_id IN (SELECT form_id FROM forms WHERE sha256 = ?)", [sha])
        self.con.execute("DELETE FROM findings WHERE sha256 = ?", [sha])
        self.con.execute("DELETE FROM forms WHERE sha256 = ?", [sha])
        self.con.execute("DELETE FROM documents WHERE sha256 = ?", [sha])

    def _link(self, f: dict) -> None:
        self.con.execute("DELETE FROM files WHERE path = ?", [f["path"]])
        self.con.execute("INSERT INTO files VALUES (?, ?, ?)", [f["path"], f["sha256"], f["size_bytes"]])

    def _insert(self, name: str, rows: list[dict]) -> None:
        incoming = arrow_table(name, rows)
        self.con.register("incoming", incoming)
        try:
            self.con.execute(f"INSERT INTO {name} SELECT * FROM incoming")
        finally:
            self.con.unregister("incoming")

    # ------------------------------------------------------------ exports
    def export_parquet(self, out_dir: Path) -> list[Path]:
        """Each table as DIR/<table>/all.parquet, written to a temporary name and renamed."""
        written = []
        for name in SCHEMAS:
            target = out_dir / name / "all.parquet"
            order = ", ".join(f'"{k}"' for k in KEYS[name])
            with replacing(target) as tmp:
                self.con.execute(f"COPY (SELECT * FROM {name} ORDER BY {order}) TO '{tmp.as_posix()}' (FORMAT PARQUET)")
            written.append(target)
        return written


# ---------------------------------------------------------------- reading a batch: DuckDB file or Parquet folder

DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file, whatever its name


class NotADataset(InputError):
    """A path that holds no batch: neither a formaudit DuckDB file nor a Parquet dataset folder."""


def dataset_kind(path: Path) -> str | None:
    """"duckdb" for a DuckDB database file, "parquet" for a folder of <table>/*.parquet, else None."""
    if path.is_dir():
        return "parquet" if any(next((path / name).glob("*.parquet"), None) for name in SCHEMAS) else None
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError:
        return None
    return "duckdb" if head[8:12] == DUCKDB_MAGIC else None


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def parquet_view(folder: Path, name: str) -> str:
    """The SELECT behind one table of a Parquet dataset: the parts read in place, columns in the
    database's order. A table with no part yet (a run still going) is empty, not missing."""
    schema = SCHEMAS[name]
    cols = ", ".join(f'"{c}"' for c in schema.names)
    if next((folder / name).glob("*.parquet"), None) is None:
        typed = ", ".join(f'CAST(NULL AS {SQL_TYPES[f.type]}) AS "{f.name}"' for f in schema)
        return f"SELECT {typed} WHERE false"
    parts = _sql_text(f"{(folder / name).as_posix()}/*.parquet")
    # DISTINCT for files only: two Dask runs over overlapping folders each write the paths they saw
    distinct = "DISTINCT " if name == "files" else ""
    return f"SELECT {distinct}{cols} FROM read_parquet({parts}, union_by_name = true)"


def open_dataset_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection that sees a batch's tables (documents, files, forms, funding, indicators,
    findings) whether the batch is a DuckDB file (opened read-only) or a Parquet dataset folder
    (views over DIR/<table>/*.parquet, nothing copied). Raises NotADataset with a one-line reason."""
    if not path.exists():
        raise NotADataset(f"{path}: no such file or folder")
    kind = dataset_kind(path)
    if kind == "parquet":
        con = duckdb.connect()
        for name in SCHEMAS:
            con.execute(f"CREATE VIEW {name} AS {parquet_view(path, name)}")
        return con
    if kind != "duckdb":
        raise NotADataset(f"{path}: neither a formaudit DuckDB database nor a Parquet dataset folder (<table>/*.parquet)")
    con = connect(path, read_only=True)  # busy (a batch writing it) or damaged: an InputError that says so
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not set(SCHEMAS) <= tables:
        con.close()
        raise NotADataset(f"{path}: a DuckDB database without formaudit's tables ({', '.join(SCHEMAS)})")
    return con


def import_dataset(folder: Path, db: Path) -> dict[str, int]:
    """Copy a Parquet dataset into a DuckDB file, in one transaction: the documents it holds replace
    the same documents in the file (keyed by sha256, as a batch does); rows per table are returned."""
    if dataset_kind(folder) != "parquet":
        raise NotADataset(f"{folder}: not a Parquet dataset folder (<table>/*.parquet)")
    store = Store(db)  # busy, or not a DuckDB file: an InputError that says which
    con = store.con
    try:
        for name in SCHEMAS:
            con.execute(f"CREATE TEMP VIEW incoming_{name} AS {parquet_view(folder, name)}")
        con.execute("BEGIN TRANSACTION")
        try:
            incoming = "SELECT sha256 FROM incoming_documents"
            forms = f"SELECT form_id FROM forms WHERE sha256 IN ({incoming})"
            con.execute(f"DELETE FROM funding WHERE form_id IN ({forms})")
            con.execute(f"DELETE FROM indicators WHERE form_id IN ({forms})")
            for name in ("findings", "forms", "documents"):
                con.execute(f"DELETE FROM {name} WHERE sha256 IN ({incoming})")
            con.execute("DELETE FROM files WHERE path IN (SELECT path FROM incoming_files)")
            for name in SCHEMAS:
                con.execute(f"INSERT INTO {name} SELECT * FROM incoming_{name}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return {name: con.execute(f"SELECT count(*) FROM incoming_{name}").fetchall()[0][0] for name in SCHEMAS}
    finally:
        store.close()


def record_from(con, path: str) -> dict | None:
    row = con.execute(
        "SELECT d.sha256, d.pages, d.errors_json FROM files f JOIN documents d USING (sha256) WHERE f.path = ?", [path]
    ).fetchone()
    if row is None:
        return None
    sha, pages, errors_json = row
    forms = con.execute("SELECT record_json FROM forms WHERE sha256 = ? ORDER BY form_index", [sha]).fetchall()
    return {"source": {"path": path, "sha256": sha, "pages": pages}, "forms": [json.loads(f[0]) for f in forms],
            "errors": json.loads(errors_json) if errors_json else []}


def records_in(source: Path) -> list[dict]:
    """Every file's record in a batch's DuckDB file or Parquet dataset, by path."""
    con = open_dataset_connection(source)
    try:
        return records_of(con)
    finally:
        con.close()


def records_of(con) -> list[dict]:
    paths = [r[0] for r in con.execute("SELECT DISTINCT path FROM files ORDER BY path").fetchall()]
    return [rec for p in paths if (rec := record_from(con, p)) is not None]


STATS_QUERIES = {
    "documents by status": "SELECT status, count(*) AS documents FROM documents GROUP BY status ORDER BY documents DESC",
    "forms by type and year": "SELECT form_type, year, count(*) AS forms FROM forms GROUP BY ALL ORDER BY year, form_type",
    "findings by code": "SELECT code, severity, count(*) AS findings FROM findings GROUP BY ALL ORDER BY findings DESC, code",
    "units with most errors": """
        SELECT unit_name, count(*) AS error_findings, count(DISTINCT form_id) AS forms
        FROM findings WHERE severity = 'error' GROUP BY unit_name ORDER BY error_findings DESC, unit_name LIMIT 10""",
    "years with most errors": """
        SELECT year, count(*) AS error_findings FROM findings WHERE severity = 'error'
        GROUP BY year ORDER BY error_findings DESC, year LIMIT 10""",
}


def stats(path: Path) -> dict[str, list[dict]]:
    con = open_dataset_connection(path)
    try:
        out = {}
        for title, sql in STATS_QUERIES.items():
            cur = con.execute(sql)
            cols = [d[0] for d in cur.description]
            out[title] = [dict(zip(cols, row)) for row in cur.fetchall()]
        return out
    finally:
        con.close()


def connect(path: Path, read_only: bool = True):
    """A connection, or an InputError that says why not: busy (DuckDB lets one process open a file
    while another writes it, not even to read), not a DuckDB file."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise InputError(f"{path}: the database is busy: another process (a running formaudit batch?) has it open; "
                             "wait until it finishes, or query its --parquet/--json exports") from None
        if "not a valid DuckDB database" in text:
            raise InputError(f"{path}: not a formaudit database (not a DuckDB file): give the --db file of a formaudit "
                             "batch") from None
        raise InputError(f"{path}: cannot open the database: {text.splitlines()[0]}") from None


def print_query(path: Path, sql: str, fmt: str = "table") -> int:
    import csv
    import sys

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    con = open_dataset_connection(path)
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except duckdb.Error as exc:
        print(f"formaudit: query failed: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    finally:
        con.close()
    if fmt == "json":
        print(json.dumps([dict(zip(cols, r)) for r in rows], ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(cols)
        writer.writerows(rows)
    else:
        table = Table(title=f"{len(rows)} row(s)")
        for col in cols:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*[Text("" if v is None else str(v)) for v in row])
        Console(width=None if sys.stdout.isatty() else 200).print(table)
    return 0


def print_stats(path: Path) -> int:
    import sys

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    figures = stats(path)
    console = Console(width=None if sys.stdout.isatty() else 160)
    for title, rows in figures.items():
        table = Table(title=title)
        for col in (rows[0].keys() if rows else ["(none)"]):
            table.add_column(col)
        for row in rows:
            table.add_row(*[Text("" if v is None else str(v)) for v in row.values()])
        console.print(table)
    return 0
