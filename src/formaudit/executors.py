"""Who reads the documents of a batch: local child processes, or the workers of a Dask cluster.

Each takes the plan's tasks and yields one document's table rows at a time, in the order they
finish; the runner hands them to its sink. Either way every PDF is read in an isolated child
under the caps (timeout, memory), so one bad file costs its own record, never the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from formaudit.export.tables import record_rows
from formaudit.ingest.ocr import use_threads
from formaudit.isolate import Outcome, Task, outcome_record, run_isolated

Rows = dict[str, list[dict]]


class Executor(Protocol):
    def run(self, tasks: Iterable[Task]) -> Iterator[Rows]: ...


def outcome_rows(outcome: Outcome) -> Rows:
    """The table rows of a finished extraction (a timeout, crash or cap is a failed document)."""
    return record_rows(outcome_record(outcome), outcome.task.size_bytes, outcome.seconds, outcome.peak_rss_mb)


@dataclass(frozen=True)
class LocalProcesses:
    """Children forked on this machine, `workers` at a time."""

    workers: int
    timeout_s: float | None = None
    memory_mb: int | None = None

    def __post_init__(self):
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")

    def run(self, tasks: Iterable[Task]) -> Iterator[Rows]:
        # the cores shared among the readers: with one per core, each reads on one thread, and the OCR
        # models, loaded once here after the first scan, are shared with every reader forked after it
        use_threads(max(1, (os.cpu_count() or 1) // self.workers))
        for outcome in run_isolated(tasks, self.workers, self.timeout_s, self.memory_mb):
            yield outcome_rows(outcome)


def rows_on_worker(task: Task, timeout_s: float | None, memory_mb: int | None) -> Rows:
    """Runs on a Dask worker: one document read in an isolated child there, its rows sent back."""
    return outcome_rows(next(run_isolated([task], 1, timeout_s, memory_mb)))


@dataclass(frozen=True)
class DaskCluster:
    """Tasks submitted to a Dask distributed scheduler (an address, or a Client already connected).
    The workers must reach the PDFs by the paths given; the rows come back to this process."""

    address: Any
    timeout_s: float | None = None
    memory_mb: int | None = None

    def run(self, tasks: Iterable[Task]) -> Iterator[Rows]:
        from dask.distributed import Client, as_completed

        own = not isinstance(self.address, Client)
        client = Client(self.address) if own else self.address
        try:
            futures = [client.submit(rows_on_worker, t, self.timeout_s, self.memory_mb, key=f"formaudit-{t.sha256}",
                                     pure=False) for t in tasks]
            for future in as_completed(futures):
                yield future.result()
        finally:
            if own:
                client.close()
