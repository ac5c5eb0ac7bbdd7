"""Where a batch puts each document's rows: a DuckDB file, or a folder of Parquet parts.

Both answer the same questions for the plan (which documents are held, which failed and why)
and take one whole document at a time, so a run killed at any moment leaves whole documents
or none, whichever executor produced the rows.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import Protocol

import pyarrow.parquet as pq

from formaudit.export.duckdb_store import Store, open_dataset_connection, record_from
from formaudit.export.tables import DOCUMENT_TABLES, arrow_table
from formaudit.files import replacing

FileRow = tuple[str, str, int]  # (path, sha256 of its content, size in bytes)


class Sink(Protocol):
    def processed(self) -> set[str]:
        """Checksums of the documents held."""

    def failures(self) -> dict[str, str]:
        """sha256 -> error code, for the documents held as failed."""

    def write_document(self, rows: dict[str, list[dict]]) -> None:
        """One document's rows, replacing what was held for it."""

    def finish(self, files: list[FileRow]) -> None:
        """Every file the run saw, each pointing to its document (copies and files done before included)."""

    def record_of(self, path: str) -> dict | None:
        """A file's JSON record rebuilt from what was written (after finish)."""

    def close(self) -> None: ...


class DuckDBSink:
    """The embedded DuckDB store: documents written a group at a time, one transaction per group.

    A transaction costs about 20 ms however many documents it holds, as much as reading a one-page form: written
    one by one, the store would be the batch's bottleneck. A group is whole documents or none, and is written once
    it holds GROUP_DOCUMENTS documents or its first has waited GROUP_SECONDS: a run killed loses at most that much
    work, which the next run redoes (the plan reads what the store lacks)."""

    GROUP_DOCUMENTS = 32
    GROUP_SECONDS = 1.0

    def __init__(self, path: Path):
        self.path = path
        self.store = Store(path)
        self._pending: list[dict[str, list[dict]]] = []
        self._pending_shas: set[str] = set()
        self._first_pending = 0.0

    def processed(self) -> set[str]:
        self.flush()
        return self.store.processed()

    def failures(self) -> dict[str, str]:
        self.flush()
        return self.store.failures()

    def write_document(self, rows: dict[str, list[dict]]) -> None:
        sha = rows["documents"][0]["sha256"]
        if sha in self._pending_shas:  # the same document again: the group it is in is written first
            self.flush()
        if not self._pending:
            self._first_pending = time.monotonic()
        self._pending.append(rows)
        self._pending_shas.add(sha)
        if len(self._pending) >= self.GROUP_DOCUMENTS or time.monotonic() - self._first_pending >= self.GROUP_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write the documents waiting in the group."""
        if self._pending:
            group, self._pending, self._pending_shas = self._pending, [], set()
            self.store.write_documents(group)

    def finish(self, files: list[FileRow]) -> None:
        self.flush()
        self.store.link_files(files)
        self.store.prune_orphans()

    def record_of(self, path: str) -> dict | None:
        self.flush()
        return self.store.record_of(path)

    def close(self) -> None:
        """Documents read are kept even when the run stops on an error or an interrupt."""
        try:
            self.flush()
        finally:
            self.store.close()


_CHECKSUM = re.compile(r"[0-9a-f]{64}")


def part_name(sha: str) -> str:
    """A document's part name: its checksum; a file that could not be read (keyed by its path) by a hash of that key."""
    return sha if _CHECKSUM.fullmatch(sha) else "unreadable-" + hashlib.sha256(sha.encode()).hexdigest()[:16]


class ParquetPartsSink:
    """DIR/<table>/part-<sha256>.parquet per document, each written to a temporary name and renamed,
    the documents part last: its presence says the document is whole. The dataset is read in place
    by query, stats and report (views over the parts), or copied into DuckDB by import."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._con = None

    def _document_parts(self) -> list[Path]:
        return sorted((self.folder / "documents").glob("part-*.parquet"))

    def processed(self) -> set[str]:
        names = (p.name[len("part-"):-len(".parquet")] for p in self._document_parts())
        return {name for name in names if _CHECKSUM.fullmatch(name)}

    def failures(self) -> dict[str, str]:
        parts = self._document_parts()
        if not parts:
            return {}
        table = pq.ParquetDataset(parts).read(columns=["sha256", "status", "error_code"])
        rows = zip(*(table.column(c).to_pylist() for c in ("sha256", "status", "error_code")))
        return {sha: code for sha, status, code in rows if status == "failed"}

    def _write_part(self, table: str, name: str, rows: list[dict]) -> None:
        with replacing(self.folder / table / f"part-{name}.parquet") as tmp:
            pq.write_table(arrow_table(table, rows), tmp)

    def write_document(self, rows: dict[str, list[dict]]) -> None:
        name = part_name(rows["documents"][0]["sha256"])
        for table in (*DOCUMENT_TABLES, "documents"):
            self._write_part(table, name, rows[table])

    def finish(self, files: list[FileRow]) -> None:
        # one files part per set of paths: a rerun over the same paths replaces it, another archive adds its own
        name = hashlib.sha256("\n".join(sorted(path for path, _, _ in files)).encode()).hexdigest()[:16]
        rows = [{"path": path, "sha256": sha, "size_bytes": size} for path, sha, size in sorted(files)]
        self._write_part("files", name, rows)

    def record_of(self, path: str) -> dict | None:
        if self._con is None:
            self._con = open_dataset_connection(self.folder)
        return record_from(self._con, path)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
