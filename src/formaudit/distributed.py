"""`formaudit batch --dask ADDRESS`: the same per-PDF task on a Dask distributed cluster.

Each task extracts one PDF in an isolated child (timeout, memory cap) on a worker and
writes that document's rows as `DIR/<table>/part-<sha256>.parquet` (temporary name,
then rename), so the dataset grows one whole document at a time; a rerun skips the
documents whose part exists, but for those that failed (tried again unless retry_failed is off). DIR must be a path every worker can reach (a shared
file system). The client writes `files` (path -> document) at the end.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from formaudit.export.tables import arrow_table, record_rows
from formaudit.files import replacing
from formaudit.isolate import Task, outcome_record, reading_options, run_isolated
from formaudit.limits import RETRIED_CODES, Limits


def _write_part(directory: Path, table: str, name: str, rows: list[dict]) -> None:
    with replacing(directory / table / f"part-{name}.parquet") as tmp:
        pq.write_table(arrow_table(table, rows), tmp)


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


def retried_parts(out_dir: Path) -> set[str]:
    """Checksums of the documents in the dataset that failed for a cause of the run's (RETRIED_CODES)."""
    parts = sorted((out_dir / "documents").glob("part-*.parquet"))
    if not parts:
        return set()
    table = pq.ParquetDataset(parts).read(columns=["sha256", "status", "error_code"])
    rows = zip(*(table.column(c).to_pylist() for c in ("sha256", "status", "error_code")))
    return {sha for sha, status, code in rows if status == "failed" and code in RETRIED_CODES}


def run_dask(paths: list[str], address, out_dir: Path, *, limits: Limits = Limits(), force: bool = False,
             retry_failed: bool = True, grid: str = "pdfplumber", reader: str = "pdfium", ocr: str = "auto",
             quiet: bool = False):
    from dask.distributed import Client, as_completed

    from formaudit.paths import find_pdfs
    from formaudit.plan import Summary, make_plan

    started = time.monotonic()
    options = reading_options(limits, grid, reader, ocr)
    timeout, memory_mb = limits.timeout_s, limits.memory_mb
    pdfs = find_pdfs(paths)
    summary = Summary(files=len(pdfs))
    plan = make_plan(pdfs, None, options, force=True)
    done = set() if force else {p.name[len("part-"):-len(".parquet")] for p in (out_dir / "documents").glob("part-*.parquet")}
    if done and retry_failed:
        retried = done & retried_parts(out_dir)
        done -= retried
        summary.retried = len(retried & {t.sha256 for t in plan.tasks + plan.unreadable})
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

