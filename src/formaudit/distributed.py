"""`formaudit batch --dask ADDRESS`: the same per-PDF task on a Dask distributed cluster.

Each task extracts one PDF in an isolated child (timeout, memory cap) on a worker and
writes that document's rows as `DIR/<table>/part-<sha256>.parquet` (temporary name,
then rename), so the dataset grows one whole document at a time; a rerun skips the
documents whose part exists. DIR must be a path every worker can reach (a shared
file system). The client writes `files` (path -> document) at the end.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from formaudit.export.tables import arrow_table, record_rows
from formaudit.isolate import Task, outcome_record, run_isolated
from formaudit.pipeline import Options


def _write_part(directory: Path, table: str, name: str, rows: list[dict]) -> None:
    target = directory / table / f"part-{name}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    pq.write_table(arrow_table(table, rows), tmp)
    os.replace(tmp, target)


def process_to_parquet(task: Task, out_dir: str, timeout: float, memory_mb: int) -> dict:
    """Runs on a worker: one document -> its Parquet parts; returns its `documents` row for the summary."""
    outcome = next(run_isolated([task], 1, timeout, memory_mb))
    record = outcome_record(outcome)
    rows = record_rows(record, task.size_bytes, outcome.seconds, outcome.peak_rss_mb)
    directory = Path(out_dir)
    # the documents part last: its presence says the document is complete
    for table in ("forms", "funding", "indicators", "findings", "documents"):
        _write_part(directory, table, task.sha256, rows[table])
    return rows["documents"][0]


def run_dask(paths: list[str], address, out_dir: Path, *, timeout: float = 1200, memory_mb: int = 3072, max_mb: int = 512,
             force: bool = False, grid: str = "pdfplumber", quiet: bool = False):
    from dask.distributed import Client, as_completed

    from formaudit.batch import Summary, make_plan
    from formaudit.cli import find_pdfs

    started = time.monotonic()
    options = Options(grid=grid, max_bytes=max_mb * 1024 * 1024)
    pdfs = find_pdfs(paths)
    summary = Summary(files=len(pdfs))
    plan = make_plan(pdfs, None, options, force=True)
    done = set() if force else {p.name[len("part-"):-len(".parquet")] for p in (out_dir / "documents").glob("part-*.parquet")}
    todo = [t for t in plan.tasks + plan.unreadable if t.sha256 not in done]
    summary.skipped = len(plan.tasks) + len(plan.unreadable) - len(todo)
    summary.duplicates = len(plan.duplicates)
    client = address if isinstance(address, Client) else Client(address)
    try:
        futures = [client.submit(process_to_parquet, t, str(out_dir), timeout, memory_mb, key=f"formaudit-{t.sha256}", pure=False)
                   for t in todo]
        for future in as_completed(futures):
            summary.add(future.result())
            if not quiet and sys.stderr.isatty():
                print(f"\r{summary.processed}/{len(todo)} documents", end="", file=sys.stderr)
    finally:
        if not isinstance(address, Client):
            client.close()
    files = [{"path": str(p), "sha256": s, "size_bytes": n} for p, s, n in
             [(t.display_path, t.sha256, t.size_bytes) for t in plan.tasks + plan.unreadable] + plan.duplicates]
    name = hashlib.sha256("\n".join(sorted(paths)).encode()).hexdigest()[:16]
    _write_part(out_dir, "files", name, sorted(files, key=lambda f: f["path"]))
    summary.seconds = time.monotonic() - started
    return summary

