"""The one batch runner: a plan over the archive, an executor that reads, a sink that keeps.

Local processes or a Dask cluster read; a DuckDB file or a folder of Parquet parts keeps. The
plan skips what the sink holds (so a run stopped at any moment and started again does only what
is missing), the unreadable files become failed documents, and the summary counts what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from formaudit.executors import Executor
from formaudit.export.sinks import FileRow, Sink
from formaudit.export.tables import record_rows
from formaudit.pipeline import Options
from formaudit.plan import Plan, Summary, make_plan
from formaudit.record import DocumentError, Record, Source


def unreadable_rows(task) -> dict[str, list[dict]]:
    record = Record(source=Source(path=task.display_path, sha256=task.sha256, pages=None),
                    errors=[DocumentError(code="UNREADABLE_FILE", message=task.unreadable or "", page=None)])
    return record_rows(record, 0, 0.0)


def files_of(plan: Plan) -> list[FileRow]:
    """Every file the run saw with its document: read now, held before, or a copy."""
    read = [(t.display_path, t.sha256, t.size_bytes) for t in plan.tasks + plan.unreadable]
    return read + plan.done + plan.duplicates


def run_documents(pdfs: list[tuple[Path, Path | None]], executor: Executor, sink: Sink, options: Options, *,
                  force: bool = False, retry_failed: bool = True,
                  progress: Callable[[Summary, int], None] = lambda summary, total: None) -> Summary:
    """Reads what the sink lacks; `progress` is told the summary and the number of documents to read after each."""
    summary = Summary(files=len(pdfs))
    plan = make_plan(pdfs, sink, options, force, retry_failed)
    summary.skipped, summary.duplicates, summary.retried = len(plan.done), len(plan.duplicates), len(plan.retried)

    def keep(rows: dict[str, list[dict]]) -> None:
        sink.write_document(rows)
        document = rows["documents"][0]
        summary.add(document)
        summary.peak_worker_mb = max(summary.peak_worker_mb, document["peak_mb"] or 0.0)
        progress(summary, len(plan.tasks) + len(plan.unreadable))

    for task in plan.unreadable:
        keep(unreadable_rows(task))
    for rows in executor.run(plan.tasks):
        keep(rows)
    sink.finish(files_of(plan))
    return summary

