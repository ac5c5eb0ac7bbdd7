"""`formaudit batch`: an archive -> DuckDB or Parquet parts (and JSON, a report), resumable and parallel.

Each PDF is keyed by its sha256. Before any work the plan skips documents the sink
already holds, so a run stopped at any moment (SIGKILL included) and started again
does only what is missing; each document is written whole (one transaction, or its
parts renamed into place), so none is ever half there. Copies of one PDF under other
names are processed once and linked. The running is runner.py's; here are the choices
of executor and sink, the progress bar and the summary a person reads.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from formaudit.executors import DaskCluster, LocalProcesses
from formaudit.export.json_record import plain
from formaudit.export.sinks import DuckDBSink, ParquetPartsSink, Sink
from formaudit.files import write_atomic
from formaudit.isolate import load_settings, reading_options
from formaudit.limits import Limits
from formaudit.paths import find_pdfs, output_path
from formaudit.plan import Summary
from formaudit.runner import run_documents
from formaudit.settings import DEFAULT, Settings


class ProgressView:
    """A live bar on a terminal (files, pages/s, forms, findings, ETA); silent otherwise."""

    def __init__(self, quiet: bool):
        self.enabled = not quiet and sys.stderr.isatty()
        self.started = time.monotonic()
        self.last_refresh = 0.0
        self.progress = None

    def start(self, total: int) -> None:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("[bold]formaudit batch"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[speed]} pages/s  {task.fields[forms]} forms  {task.fields[findings]} findings"),
                TimeRemainingColumn(), auto_refresh=False, transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("batch", total=total, speed="0.0", forms=0, findings=0)

    def update(self, summary: Summary, total: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            self.start(total)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.progress.update(self.task, completed=summary.processed, speed=f"{summary.pages / elapsed:.1f}",
                             forms=summary.forms, findings=summary.error_findings + summary.warning_findings)
        now = time.monotonic()
        if now - self.last_refresh > 0.1:
            self.progress.refresh()
            self.last_refresh = now

    def close(self) -> None:
        if self.progress is not None:
            self.progress.refresh()
            self.progress.stop()
            self.progress = None


def write_json(sink: Sink, pdfs: list[tuple[Path, Path | None]], out_dir: Path) -> int:
    """DIR/<pdf stem>.json for every file, rebuilt from what the sink holds (resumed runs too)."""
    taken: set[Path] = set()
    n = 0
    for pdf, root in pdfs:
        record = sink.record_of(str(pdf))
        if record is None:
            continue
        write_atomic(output_path(out_dir, pdf, root, taken), json.dumps(plain(record), ensure_ascii=False, indent=2) + "\n")
        n += 1
    return n


def run_batch(paths: list[str], db: Path | None = None, *, parquet_parts: Path | None = None, dask=None,
              json_dir: Path | None = None, parquet_dir: Path | None = None, workers: int | None = None,
              limits: Limits = Limits(), force: bool = False, retry_failed: bool = True, grid: str = "pdfplumber",
              reader: str = "pdfium", ocr: str = "auto", quiet: bool = False, settings: Settings = DEFAULT) -> Summary:
    """Every PDF under the paths into a DuckDB file (`db`) or a folder of Parquet parts (`parquet_parts`),
    read by local processes (`workers` of them) or on a Dask cluster (`dask`: an address or a Client)."""
    if (db is None) == (parquet_parts is None):
        raise ValueError("give one place to keep the rows: a DuckDB file (db) or a Parquet folder (parquet_parts)")
    started = time.monotonic()
    options = reading_options(limits, grid, reader, ocr, settings)
    if dask is not None:
        executor = DaskCluster(dask, limits.timeout_s, limits.memory_mb)
    else:
        executor = LocalProcesses(workers or os.cpu_count() or 1, limits.timeout_s, limits.memory_mb)
    sink = DuckDBSink(db) if db is not None else ParquetPartsSink(parquet_parts)
    pdfs = find_pdfs(paths)
    view = ProgressView(quiet)
    try:
        summary = run_documents(pdfs, executor, sink, options, force=force, retry_failed=retry_failed, progress=view.update)
        view.close()
        if json_dir is not None:
            write_json(sink, pdfs, json_dir)
        if parquet_dir is not None and isinstance(sink, DuckDBSink):
            sink.store.export_parquet(parquet_dir)
    finally:
        view.close()
        sink.close()
    summary.seconds = time.monotonic() - started
    return summary


TRY_QUERY = "SELECT unit_name, year, code, message FROM findings WHERE severity = 'error' ORDER BY unit_name, year, code"


def print_summary(summary: Summary, db: Path, args, parts: bool) -> None:
    rate = summary.pages / summary.seconds if summary.seconds else 0.0
    retried = f" ({summary.retried} failed before, tried again)" if summary.retried else ""
    lines = [
        f"formaudit batch: {summary.files} file(s): {summary.processed} processed{retried}, {summary.skipped} already done, "
        f"{summary.duplicates} duplicate(s), {summary.failed} failed, {summary.no_form} without a form",
        f"  {summary.forms} form(s), {summary.error_findings} error finding(s), {summary.warning_findings} warning(s); "
        f"{summary.pages} page(s) in {summary.seconds:.1f} s ({rate:.1f} pages/s)",
    ]
    for failure in summary.failures[:10]:
        lines.append(f"  failed: {failure}")
    if len(summary.failures) > 10:
        lines.append(f"  … and {len(summary.failures) - 10} more (SELECT * FROM documents WHERE status = 'failed')")
    # `db` is what was written: the DuckDB file, or the Parquet parts of a Dask run; query,
    # stats and report read either, so the commands below work as printed.
    if parts:
        lines.append(f"  dataset:  {db}/<table>/*.parquet (read in place by query, stats, report)")
    else:
        lines.append(f"  database: {db}")
        if args.parquet:
            lines.append(f"  parquet:  {args.parquet}/<table>/*.parquet")
    if args.json:
        lines.append(f"  json:     {args.json}/")
    lines.append(f"  try:      formaudit query {db} \"{TRY_QUERY}\"")
    lines.append(f"  or:       formaudit stats {db}")
    if not args.report:
        lines.append(f"  report:   formaudit report {db} --out report.html")
    if parts:
        lines.append(f"  one file: formaudit import {db} --db results.duckdb")
    print("\n".join(lines), file=sys.stderr)


def run_batch_cli(args) -> int:
    db = Path(args.db)
    limits = Limits(timeout_s=args.timeout, memory_mb=args.memory_mb, max_mb=args.max_mb, max_pages=args.max_pages,
                    max_megapixels=args.max_megapixels)
    # with --dask, --parquet DIR is where the rows go (parts, one per document); else the DuckDB file is,
    # and --parquet an export of it at the end
    parts = Path(args.parquet) if args.dask and args.parquet else None
    summary = run_batch(args.paths, None if parts else db, parquet_parts=parts, dask=args.dask,
                        json_dir=Path(args.json) if args.json else None,
                        parquet_dir=Path(args.parquet) if args.parquet and not parts else None, workers=args.workers,
                        limits=limits, force=args.force, retry_failed=args.retry_failed, grid=args.grid,
                        reader=args.reader, ocr=args.ocr, quiet=args.quiet, settings=load_settings(args.settings))
    if summary.files == 0:
        print("formaudit: no PDF found under the given paths", file=sys.stderr)
        return 2
    written = parts or db
    print_summary(summary, written, args, parts is not None)
    if args.report or args.xlsx:
        from formaudit.export.report import load_records

        records = load_records([written])
        if args.report:
            from formaudit.export.report import render

            write_atomic(Path(args.report), render(records, lang=getattr(args, "lang", "zh")))
            print(f"  report:   {args.report}", file=sys.stderr)
        if args.xlsx:
            from formaudit.export.xlsx import write_workbook

            write_workbook(records, Path(args.xlsx), lang=getattr(args, "lang", "zh"))
            print(f"  workbook: {args.xlsx}", file=sys.stderr)
    return 2 if summary.failed else 0
