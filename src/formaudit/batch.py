"""`formaudit batch`: an archive -> DuckDB (and Parquet, JSON), resumable and parallel.

Each PDF is keyed by its sha256. Before any work the plan skips documents the store
already holds, so a run stopped at any moment (SIGKILL included) and started again
does only what is missing; each document is written in one transaction, so none is
ever half there. Copies of one PDF under other names are processed once and linked.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from formaudit.export.duckdb_store import Store
from formaudit.export.json_record import plain
from formaudit.export.tables import record_rows
from formaudit.files import write_atomic
from formaudit.isolate import outcome_record, reading_options, run_isolated
from formaudit.limits import Limits
from formaudit.paths import find_pdfs, output_path
from formaudit.plan import Plan, Summary, make_plan
from formaudit.record import DocumentError, Record, Source


class ProgressView:
    """A live bar on a terminal (files, pages/s, forms, findings, ETA); silent otherwise."""

    def __init__(self, total: int, quiet: bool):
        self.enabled = not quiet and sys.stderr.isatty()
        self.started = time.monotonic()
        self.last_refresh = 0.0
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("[bold]formaudit batch"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[speed]} pages/s  {task.fields[forms]} forms  {task.fields[findings]} findings"),
                TimeRemainingColumn(), auto_refresh=False, transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("batch", total=total, speed="0.0", forms=0, findings=0)

    def update(self, summary: Summary) -> None:
        if not self.enabled:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.progress.update(self.task, completed=summary.processed, speed=f"{summary.pages / elapsed:.1f}",
                             forms=summary.forms, findings=summary.error_findings + summary.warning_findings)
        now = time.monotonic()
        if now - self.last_refresh > 0.1:
            self.progress.refresh()
            self.last_refresh = now

    def close(self) -> None:
        if self.enabled:
            self.progress.refresh()
            self.progress.stop()


def run_local(plan: Plan, store: Store, summary: Summary, workers: int, timeout: float | None, memory_mb: int | None,
              quiet: bool) -> None:
    view = ProgressView(len(plan.tasks) + len(plan.unreadable), quiet)
    try:
        for task in plan.unreadable:
            record = Record(source=Source(path=task.display_path, sha256=task.sha256, pages=None),
                            errors=[DocumentError(code="UNREADABLE_FILE", message=task.unreadable or "", page=None)])
            rows = record_rows(record, 0, 0.0)
            store.write_document(rows)
            summary.add(rows["documents"][0])
            view.update(summary)
        for outcome in run_isolated(plan.tasks, workers, timeout, memory_mb):
            rows = record_rows(outcome_record(outcome), outcome.task.size_bytes, outcome.seconds, outcome.peak_rss_mb)
            store.write_document(rows)
            summary.add(rows["documents"][0])
            summary.peak_worker_mb = max(summary.peak_worker_mb, outcome.peak_rss_mb)
            view.update(summary)
    finally:
        view.close()


def write_json(store: Store, pdfs: list[tuple[Path, Path | None]], out_dir: Path) -> int:
    """DIR/<pdf stem>.json for every file, rebuilt from the store (resumed runs too)."""
    taken: set[Path] = set()
    n = 0
    for pdf, root in pdfs:
        record = store.record_of(str(pdf))
        if record is None:
            continue
        write_atomic(output_path(out_dir, pdf, root, taken), json.dumps(plain(record), ensure_ascii=False, indent=2) + "\n")
        n += 1
    return n


def run_batch(paths: list[str], db: Path, *, json_dir: Path | None = None, parquet_dir: Path | None = None,
              workers: int | None = None, limits: Limits = Limits(), force: bool = False, retry_failed: bool = True,
              grid: str = "pdfplumber", reader: str = "pdfium", ocr: str = "auto", quiet: bool = False) -> Summary:
    started = time.monotonic()
    options = reading_options(limits, grid, reader, ocr)
    pdfs = find_pdfs(paths)
    summary = Summary(files=len(pdfs))
    store = Store(db)
    try:
        plan = make_plan(pdfs, store, options, force, retry_failed)
        summary.skipped, summary.duplicates, summary.retried = len(plan.done), len(plan.duplicates), len(plan.retried)
        run_local(plan, store, summary, workers or os.cpu_count() or 1, limits.timeout_s, limits.memory_mb, quiet)
        for path, sha, size in plan.done + plan.duplicates:
            store.link_file(path, sha, size)
        store.prune_orphans()
        if json_dir is not None:
            write_json(store, pdfs, json_dir)
        if parquet_dir is not None:
            store.export_parquet(parquet_dir)
    finally:
        store.close()
    summary.seconds = time.monotonic() - started
    return summary


TRY_QUERY = "SELECT unit_name, year, code, message FROM findings WHERE severity = 'error' ORDER BY unit_name, year, code"


def print_summary(summary: Summary, db: Path, args) -> None:
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
    # `db` is what was written: the DuckDB file, or the Parquet dataset of a Dask run; query,
    # stats and report read either, so the commands below work as printed.
    if args.dask:
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
    if args.dask:
        lines.append(f"  one file: formaudit import {db} --db results.duckdb")
    print("\n".join(lines), file=sys.stderr)


def run_batch_cli(args) -> int:
    db = Path(args.db)
    limits = Limits(timeout_s=args.timeout, memory_mb=args.memory_mb, max_mb=args.max_mb, max_pages=args.max_pages,
                    max_megapixels=args.max_megapixels)
    if args.dask:
        from formaudit.distributed import run_dask

        if not args.parquet:
            print("formaudit: --dask writes a Parquet dataset: give --parquet DIR (a path every worker can reach)", file=sys.stderr)
            return 2
        summary = run_dask(args.paths, args.dask, Path(args.parquet), limits=limits, force=args.force,
                           retry_failed=args.retry_failed, grid=args.grid, reader=args.reader, ocr=args.ocr,
                           quiet=args.quiet)
    else:
        summary = run_batch(args.paths, db, json_dir=Path(args.json) if args.json else None,
                            parquet_dir=Path(args.parquet) if args.parquet else None, workers=args.workers,
                            limits=limits, force=args.force, retry_failed=args.retry_failed, grid=args.grid,
                            reader=args.reader, ocr=args.ocr, quiet=args.quiet)
    if summary.files == 0:
        print("formaudit: no PDF found under the given paths", file=sys.stderr)
        return 2
    written = Path(args.parquet) if args.dask else db
    print_summary(summary, written, args)
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
