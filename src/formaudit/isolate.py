"""Run one PDF's extraction in a forked child with a timeout and a memory cap.

A PDF that hangs the parser, eats memory or crashes PDFium takes down its child
only: the parent gets TIMEOUT, MEMORY_LIMIT or WORKER_CRASHED and goes on. Raw
os.fork (not multiprocessing) so that this also works inside a Dask worker, whose
processes are daemons and may not start multiprocessing children.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from formaudit.pipeline import Options


@dataclass
class Task:
    path: Path
    display_path: str
    sha256: str
    size_bytes: int
    options: Options = field(default_factory=Options)
    unreadable: str | None = None  # why the file could not even be read for its checksum


@dataclass
class Outcome:
    task: Task
    record: dict | None  # the record as a plain dict, when extraction finished
    error_code: str | None
    error_message: str | None
    seconds: float
    peak_rss_mb: float = 0.0  # the child's peak resident memory (shared pages from the fork included)


def _vm_size_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _caused_by_memory(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, MemoryError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _child(task: Task, write_fd: int, memory_mb: int | None) -> None:
    """In the child: limit memory growth, extract, send the record, exit without cleanup."""
    # built before the limit applies: out of memory, there may be no room to build it
    out_of_memory = pickle.dumps(("error", "MEMORY_LIMIT", f"extraction needed more than {memory_mb} MB"))
    status, data = 0, b""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
        if memory_mb:
            limit = _vm_size_bytes() + memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from formaudit.export.json_record import record_dict
        from formaudit.pipeline import extract

        record = record_dict(extract(task.path, display_path=task.display_path, options=task.options))
        data = pickle.dumps(("ok", record), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # noqa: BLE001 - the parent reads an empty pipe as a crash
        if _caused_by_memory(exc):
            data = out_of_memory
        else:
            status = 1
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]
    finally:
        os._exit(status)


class Running:
    def __init__(self, task: Task, memory_mb: int | None):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(task, write_fd, memory_mb)
        os.close(write_fd)
        self.task, self.pid, self.fd = task, pid, read_fd
        self.buffer = bytearray()
        self.started = time.monotonic()

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def finish(self, timed_out: bool = False) -> Outcome:
        os.close(self.fd)
        _, status, usage = os.wait4(self.pid, 0)
        seconds = time.monotonic() - self.started
        rss = usage.ru_maxrss / 1024
        if timed_out:
            return Outcome(self.task, None, "TIMEOUT", f"extraction took longer than {seconds:.0f} s and was stopped", seconds, rss)
        if self.buffer:
            try:
                payload = pickle.loads(bytes(self.buffer))
            except Exception:  # noqa: BLE001
                payload = None
            if payload and payload[0] == "ok":
                return Outcome(self.task, payload[1], None, None, seconds, rss)
            if payload and payload[0] == "error":
                return Outcome(self.task, None, payload[1], payload[2], seconds, rss)
        if os.WIFSIGNALED(status):
            sig = signal.Signals(os.WTERMSIG(status)).name
            return Outcome(self.task, None, "WORKER_CRASHED", f"the extraction process died ({sig})", seconds, rss)
        return Outcome(self.task, None, "WORKER_CRASHED", f"the extraction process exited with status {os.WEXITSTATUS(status)}",
                       seconds, rss)


def run_isolated(tasks, workers: int, timeout: float | None, memory_mb: int | None):
    """Yield an Outcome per task as children finish, at most `workers` at a time."""
    pending = list(tasks)
    pending.reverse()
    running: dict[int, Running] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                child = Running(pending.pop(), memory_mb)
                running[child.fd] = child
            ready, _, _ = select.select(list(running), [], [], 0.2)
            for fd in ready:
                child = running[fd]
                chunk = os.read(fd, 1 << 20)
                if chunk:
                    child.buffer += chunk
                else:
                    del running[fd]
                    yield child.finish()
            if timeout is not None:
                now = time.monotonic()
                for fd, child in list(running.items()):
                    if now - child.started > timeout:
                        child.kill()
                        del running[fd]
                        yield child.finish(timed_out=True)
    finally:
        for child in running.values():
            child.kill()
            try:
                child.finish()
            except OSError:
                pass
