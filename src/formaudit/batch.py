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
from dataclasses import dataclass, field
from pathlib import Path

from formaudit.cli import find_pdfs, output_path
from formaudit.export.duckdb_store import Store
from formaudit.export.json_record import plain, write_atomic
from formaudit.export.tables import record_rows
from formaudit.ingest.pdf import sha256_of
from formaudit.isolate import Outcome, Task, run_isolated
from formaudit.pipeline import Options
from formaudit.record import DocumentError, Record, Source


@dataclass
class Summary:
    files: int = 0
    processed: int = 0
    skipped: int = 0
    duplicates: int = 0
    failed: int = 0
    no_form: int = 0
    forms: int = 0
    error_findings: int = 0
    warning_findings: int = 0
    pages: int = 0
    seconds: float = 0.0
    peak_worker_mb: float = 0.0
    failures: list[str] = field(default_factory=list)

    def add(self, doc: dict) -> None:
        """Count one processed document, from its `documents` row."""
        self.processed += 1
        self.pages += doc["pages"] or 0
        self.forms += doc["forms"]
        self.error_findings += doc["error_findings"]
        self.warning_findings += doc["warning_findings"]
        if doc["status"] == "failed":
            self.failed += 1
            self.failures.append(f"{doc['path']}: {doc['error_code']}: {doc['error_message']}")
        elif doc["status"] == "no_form":
            self.no_form += 1


def outcome_record(outcome: Outcome) -> Record:
    """The record of a finished task; a timeout or crash becomes a record with that error."""
    if outcome.record is not None:
        return Record.model_validate(outcome.record)
    task = outcome.task
    return Record(source=Source(path=task.display_path, sha256=task.sha256, pages=None),
                  errors=[DocumentError(code=outcome.error_code or "WORKER_CRASHED", message=outcome.error_message or "", page=None)])


@dataclass
class Plan:
    tasks: list[Task]  # documents to process
    done: list[tuple[str, str, int]]  # (path, sha256, size) of files whose document the store already holds
    duplicates: list[tuple[str, str, int]]  # files whose content another file of this run carries
    unreadable: list[Task]


def make_plan(pdfs: list[tuple[Path, Path | None]], store: Store | None, options: Options, force: bool) -> Plan:
    already = set() if (force or store is None) else store.processed()
    plan = Plan([], [], [], [])
    scheduled: set[str] = set()
    for pdf, _root in pdfs:
        display = str(pdf)
        try:
            sha, size = sha256_of(pdf), pdf.stat().st_size
        except OSError as exc:
            plan.unreadable.append(Task(pdf, display, f"unreadable:{display}", 0, options, f"cannot read the file: {exc.strerror}"))
            continue
        if sha in already:
            plan.done.append((display, sha, size))
        elif sha in scheduled:
            plan.duplicates.append((display, sha, size))
        else:
            scheduled.add(sha)
            plan.tasks.append(Task(pdf, display, sha, size, options))
    return plan


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


def run_local(plan: Plan, store: Store, summary: Summary, workers: int, timeout: float, memory_mb: int, quiet: bool) -> None:
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
              workers: int | None = None, timeout: float = 1200, memory_mb: int = 3072, max_mb: int = 512,
              force: bool = False, grid: str = "pdfplumber", quiet: bool = False) -> Summary:
    started = time.monotonic()
    options = Options(grid=grid, max_bytes=max_mb * 1024 * 1024)
    pdfs = find_pdfs(paths)
    summary = Summary(files=len(pdfs))
    store = Store(db)
    try:
        plan = make_plan(pdfs, store, options, force)
        summary.skipped, summary.duplicates = len(plan.done), len(plan.duplicates)
        run_local(plan, store, summary, workers or os.cpu_count() or 1, timeout, memory_mb, quiet)
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
    lines = [
        f"formaudit batch: {summary.files} file(s): {summary.processed} processed, {summary.skipped} already done, "
        f"{summary.duplicates} duplicate(s), {summary.failed} failed, {summary.no_form} without a form",
        f"  {summary.forms} form(s), {summary.error_findings} error finding(s), {summary.warning_findings} warning(s); "
        f"{summary.pages} page(s) in {summary.seconds:.1f} s ({rate:.1f} pages/s)",
    ]
    for failure in summary.failures[:10]:
        lines.append(f"  failed: {failure}")
    if len(summary.failures) > 10:
        lines.append(f"  … and {len(summary.failures) - 10} more (SELECT * FROM documents WHERE status = 'failed')")
    lines.append(f"  database: {db}")
    if args.parquet:
        lines.append(f"  parquet:  {args.parquet}/<table>/*.parquet")
    if args.json:
        lines.append(f"  json:     {args.json}/")
    lines.append(f"  try:      formaudit query {db} \"{TRY_QUERY}\"")
    lines.append(f"  or:       formaudit stats {db}")
    print("\n".join(lines), file=sys.stderr)


def run_batch_cli(args) -> int:
    db = Path(args.db)
    if args.dask:
        from formaudit.distributed import run_dask

        if not args.parquet:
            print("formaudit: --dask writes a Parquet dataset: give --parquet DIR (a path every worker can reach)", file=sys.stderr)
            return 2
        summary = run_dask(args.paths, args.dask, Path(args.parquet), timeout=args.timeout, memory_mb=args.memory_mb,
                           max_mb=args.max_mb, force=args.force, grid=args.grid, quiet=args.quiet)
    else:
        summary = run_batch(args.paths, db, json_dir=Path(args.json) if args.json else None,
                            parquet_dir=Path(args.parquet) if args.parquet else None, workers=args.workers,
                            timeout=args.timeout, memory_mb=args.memory_mb, max_mb=args.max_mb, force=args.force,
                            grid=args.grid, quiet=args.quiet)
    if summary.files == 0:
        print("formaudit: no PDF found under the given paths", file=sys.stderr)
        return 2
    print_summary(summary, db if not args.dask else Path(args.parquet), args)
    if (args.report or args.xlsx) and not args.dask:
        from formaudit.export.report import load_records

        records = load_records([db])
        if args.report:
            from formaudit.export.json_record import write_atomic
            from formaudit.export.report import render

            write_atomic(Path(args.report), render(records, lang=getattr(args, "lang", "zh")))
            print(f"  report:   {args.report}", file=sys.stderr)
        if args.xlsx:
            from formaudit.export.xlsx import write_workbook

            write_workbook(records, Path(args.xlsx), lang=getattr(args, "lang", "zh"))
            print(f"  workbook: {args.xlsx}", file=sys.stderr)
    return 2 if summary.failed else 0
