"""What a batch run does and what it did: the plan (which documents to read, which the store holds, which
are copies) and the summary, whatever executor reads and whatever sink keeps (runner.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from formaudit.export.sinks import Sink
from formaudit.ingest.pdf import sha256_of
from formaudit.isolate import Task
from formaudit.limits import RETRIED_CODES
from formaudit.pipeline import Options


@dataclass
class Summary:
    files: int = 0
    processed: int = 0
    skipped: int = 0
    retried: int = 0  # documents that had failed in an earlier run and were tried again
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


@dataclass
class Plan:
    tasks: list[Task]  # documents to process
    done: list[tuple[str, str, int]]  # (path, sha256, size) of files whose document the store already holds
    duplicates: list[tuple[str, str, int]]  # files whose content another file of this run carries
    unreadable: list[Task]
    retried: set[str] = field(default_factory=set)  # checksums of documents that failed before and are tried again


def make_plan(pdfs: list[tuple[Path, Path | None]], sink: Sink, options: Options, force: bool,
              retry_failed: bool = True) -> Plan:
    """What to do. A document that failed in an earlier run for a cause of the run's (a timeout, a crash,
    a cap: RETRIED_CODES) is tried again unless retry_failed is off."""
    already = set() if force else sink.processed()
    failed = set()
    if retry_failed and already:
        failed = {sha for sha, code in sink.failures().items() if code in RETRIED_CODES}
        already -= failed
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
            if sha in failed:
                plan.retried.add(sha)
    return plan
