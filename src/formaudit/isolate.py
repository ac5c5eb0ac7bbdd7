"""Run the reading of a PDF in a forked child with a timeout and a memory cap.

Every command that reads a PDF goes through here (batch, audit, extract, debug): a PDF
that hangs the parser, eats memory or crashes PDFium takes down its child only, and the
parent gets TIMEOUT, MEMORY_LIMIT or WORKER_CRASHED and goes on. Raw os.fork (not
multiprocessing) so that this also works inside a Dask worker, whose processes are
daemons and may not start multiprocessing children; and so that the work to do can be
any function, not only what pickles.
"""

from __future__ import annotations

import gc
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from formaudit.errors import InputError
from formaudit.ingest.pdf import UnusableDocument, sha256_of
from formaudit.limits import Limits
from formaudit.pipeline import Options
from formaudit.record import DocumentError, Record, Source
from formaudit.settings import DEFAULT, Settings


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
    record: dict | None  # what the work returned (for extraction, the record as a plain dict), when it finished
    error_code: str | None
    error_message: str | None
    seconds: float
    peak_rss_mb: float = 0.0  # the child's peak resident memory (shared pages from the fork included)


def _vm_size_bytes(field: str = "VmSize") -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _came_near(limit: int, allowance: int) -> bool:
    """Whether the address space came within reach of the cap: a library that fails an allocation may raise
    anything (pdfplumber wraps pdfminer's failure in an exception with an empty message and, at times, no
    MemoryError in its chain). Within a tenth of the allowance, plus 8 MB, counts as the cap."""
    try:
        return _vm_size_bytes("VmPeak") >= limit - allowance // 10 - 8 * 1024 * 1024
    except BaseException:  # noqa: BLE001 - no room left even to read /proc: that is the answer
        return True


def _caused_by_memory(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, MemoryError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def extract_record(task: Task) -> dict:
    """The default work: the task's PDF -> its record as a plain dict."""
    from formaudit.export.json_record import record_dict
    from formaudit.pipeline import extract

    return record_dict(extract(task.path, display_path=task.display_path, options=task.options))


Work = Callable[[Task], object]


def _child(task: Task, write_fd: int, memory_mb: int | None, work: Work) -> None:
    """In the child: limit memory growth, do the work, send its result, exit without cleanup."""
    # built before the limit applies: out of memory, there may be no room to build it
    out_of_memory = pickle.dumps(("error", "MEMORY_LIMIT", f"reading the PDF needed more than {memory_mb} MB (--memory-mb)"))
    status, data = 0, b""
    limit = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
        if memory_mb:
            limit = _vm_size_bytes() + memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        data = pickle.dumps(("ok", work(task)), protocol=pickle.HIGHEST_PROTOCOL)
    except UnusableDocument as exc:  # work other than extraction (debug) meets a broken file
        data = pickle.dumps(("error", exc.code, exc.message))
    except BaseException as exc:  # noqa: BLE001 - the parent reads an empty pipe as a crash
        if _caused_by_memory(exc) or (limit and _came_near(limit, memory_mb * 1024 * 1024)):
            data = out_of_memory
        else:
            try:
                data = pickle.dumps(("error", "EXTRACTION_FAILED", f"{type(exc).__name__}: {exc}"))
            except BaseException:  # noqa: BLE001
                status = 1
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]
    finally:
        os._exit(status)


# Signals a C library dies by when an allocation fails under the cap (PDFium aborts, others trap or fault).
_CRASH_SIGNALS = {signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGTRAP}
# What a process that aborts for another reason than memory says last: glibc's heap checks, C++'s
# terminate with an exception other than std::bad_alloc. PDFium aborts on a failed allocation silently.
_OTHER_ABORTS = ("corrupted", "invalid pointer", "double free", "free():", "malloc():", "assertion", "Assertion")
_STDERR_TAIL = 4096


def _vm_peak_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Running:
    def __init__(self, task: Task, memory_mb: int | None, work: Work = extract_record):
        read_fd, write_fd = os.pipe()
        err_read, err_write = os.pipe()  # the child's stderr: the last words of a library that aborts
        base = _vm_size_bytes()  # the child starts as a copy of this process
        # what this process holds is left out of the child's garbage collections: a collection walking it would
        # write every object's header, copying each page of the parent's heap into the child (measured: a third
        # of a batch's time on one-page PDFs). The parent takes its objects back: its garbage stays collectable.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            os.close(err_read)
            os.dup2(err_write, 2)
            _child(task, write_fd, memory_mb, work)
        gc.unfreeze()
        os.close(write_fd)
        os.close(err_write)
        os.set_blocking(err_read, False)  # a grandchild (a renderer) may hold the pipe open after the child dies
        self.task, self.pid, self.fd, self.err_fd = task, pid, read_fd, err_read
        self.err_tail = b""
        self.memory_mb = memory_mb
        self.vm_limit = base + memory_mb * 1024 * 1024 if memory_mb else None
        self.vm_peak = 0  # the child's VmPeak as last seen: gone once it dies
        self.buffer = bytearray()
        self.started = time.monotonic()

    def watch(self) -> None:
        self.vm_peak = max(self.vm_peak, _vm_peak_bytes(self.pid))

    def read_stderr(self) -> bool:
        """Keep the tail of what the child wrote to stderr; False at its end."""
        if self.err_fd is None:
            return False
        try:
            chunk = os.read(self.err_fd, 1 << 16)
        except BlockingIOError:
            chunk = None
        if not chunk:
            os.close(self.err_fd)
            self.err_fd = None
            return False
        self.err_tail = (self.err_tail + chunk)[-_STDERR_TAIL:]
        return True

    def last_words(self) -> str:
        lines = self.err_tail.decode("utf-8", "replace").strip().splitlines()
        return " ".join(line.strip() for line in lines[-2:])[-300:]

    def aborted_for_memory(self, sig: signal.Signals) -> bool:
        """Under a memory cap, an abort that gives no other reason is a failed allocation: PDFium and
        C++'s std::bad_alloc end that way when the address space runs out."""
        if not self.memory_mb or sig != signal.SIGABRT:
            return False
        words = self.last_words()
        return "bad_alloc" in words or "memory" in words.lower() or not any(m in words for m in _OTHER_ABORTS + ("terminate",))

    def died_of_memory(self, rss_mb: float) -> bool:
        """A child killed by a signal near its cap ran out of memory in C code that aborts instead of
        failing the allocation: its peak address space was seen near the limit, or its resident peak."""
        if not self.memory_mb or self.vm_limit is None:
            return False
        margin = 0.1 * self.memory_mb * 1024 * 1024
        return self.vm_peak >= self.vm_limit - margin or rss_mb >= 0.9 * self.memory_mb

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def finish(self, timed_out: bool = False) -> Outcome:
        os.close(self.fd)
        _, status, usage = os.wait4(self.pid, 0)
        while self.read_stderr():  # the child is gone: what it wrote is all there, then the end
            pass
        seconds = time.monotonic() - self.started
        rss = usage.ru_maxrss / 1024
        if timed_out:
            return Outcome(self.task, None, "TIMEOUT", f"reading the PDF was stopped after {seconds:.1f} s (--timeout)", seconds, rss)
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
            sig = signal.Signals(os.WTERMSIG(status))
            if self.aborted_for_memory(sig) or (sig in _CRASH_SIGNALS and self.died_of_memory(rss)):
                return Outcome(self.task, None, "MEMORY_LIMIT", f"reading the PDF needed more than {self.memory_mb} MB "
                               f"(--memory-mb); the process died ({sig.name})", seconds, rss)
            words = self.last_words()
            return Outcome(self.task, None, "WORKER_CRASHED", f"the extraction process died ({sig.name})"
                           + (f": {words}" if words else ""), seconds, rss)
        return Outcome(self.task, None, "WORKER_CRASHED", f"the extraction process exited with status {os.WEXITSTATUS(status)}",
                       seconds, rss)


# An archive shows itself to be scans when this many of its documents, and this share, needed OCR so far. Then
# the models are loaded in the batch process once and every reader forked after starts with them; before,
# a rare scan among text-layer PDFs loads its own, and the text-layer readers stay small (the models'
# pages, though shared, count in each reader's resident memory).
SCANS_TO_KEEP_OCR = 2
SCAN_SHARE_TO_KEEP_OCR = 0.25


class OcrKeeper:
    """Counts the documents read by OCR and loads the models once the archive shows itself to be scans."""

    def __init__(self):
        self.done = 0
        self.read_by_ocr = 0

    def count(self, outcome: Outcome) -> None:
        self.done += 1
        record = outcome.record
        if isinstance(record, dict) and (record.get("source") or {}).get("ocr_pages"):
            self.read_by_ocr += 1

    @property
    def archive_is_scans(self) -> bool:
        return self.read_by_ocr >= SCANS_TO_KEEP_OCR and self.read_by_ocr >= SCAN_SHARE_TO_KEEP_OCR * self.done

    def saw(self, outcome: Outcome) -> None:
        self.count(outcome)
        if self.archive_is_scans:
            from formaudit.ingest.ocr import keep_loaded

            keep_loaded()


def run_isolated(tasks: Iterable[Task], workers: int, timeout: float | None, memory_mb: int | None,
                 work: Work = extract_record) -> Iterator[Outcome]:
    """Yield an Outcome per task as children finish, at most `workers` at a time."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    pending = list(tasks)
    pending.reverse()
    keeper = OcrKeeper()
    running: dict[int, Running] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                child = Running(pending.pop(), memory_mb, work)
                running[child.fd] = child
            errors = {}
            for child in running.values():
                child.watch()
                if child.err_fd is not None:
                    errors[child.err_fd] = child
            ready, _, _ = select.select(list(running) + list(errors), [], [], 0.2)
            for fd in ready:
                if fd in errors:
                    errors[fd].read_stderr()
                    continue
                child = running[fd]
                chunk = os.read(fd, 1 << 20)
                if chunk:
                    child.buffer += chunk
                else:
                    del running[fd]
                    outcome = child.finish()
                    if pending:  # readers yet to fork: worth loading the models for them
                        keeper.saw(outcome)
                    yield outcome
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


def outcome_record(outcome: Outcome) -> Record:
    """The record of a finished extraction; a timeout, crash or cap becomes a record with that error."""
    if outcome.record is not None:
        return Record.model_validate(outcome.record)
    task = outcome.task
    sha = task.sha256
    if not sha:  # audit and extract leave the checksum to the child; it did not send one
        try:
            sha = sha256_of(task.path)
        except OSError:
            sha = ""
    return Record(source=Source(path=task.display_path, sha256=sha, pages=None),
                  errors=[DocumentError(code=outcome.error_code or "WORKER_CRASHED", message=outcome.error_message or "", page=None)])


def reading_options(limits: Limits, grid: str = "pdfplumber", reader: str = "pdfium", ocr: str = "auto",
                    settings: Settings = DEFAULT) -> Options:
    """The reading choices and the caps the pipeline applies itself (file size, pages, pixels), from the command's limits."""
    return Options(grid=grid, reader=reader, max_bytes=limits.max_bytes, max_pages=limits.max_pages,
                   max_pixels=limits.max_pixels, ocr=ocr, settings=settings)


def load_settings(path: str | Path | None) -> Settings:
    """The stages' thresholds from a TOML file (`--settings`), the defaults without one; a bad file is an InputError."""
    if path is None:
        return DEFAULT
    try:
        return Settings.from_toml(Path(path))
    except ValueError as exc:
        raise InputError(f"--settings {exc}") from exc


def task_for(path: Path, options: Options, display_path: str | None = None) -> Task:
    """A task for one file. The child reads the file (and says why it cannot); the checksum is its work."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    return Task(path, display_path or str(path), "", size, options)


def extract_guarded(path: Path, limits: Limits, options: Options, display_path: str | None = None) -> Record:
    """extract() in a child under the caps: what audit and extract run for each PDF."""
    outcome = next(run_isolated([task_for(path, options, display_path)], 1, limits.timeout_s, limits.memory_mb))
    return outcome_record(outcome)


def run_guarded(work: Work, task: Task, limits: Limits) -> Outcome:
    """Any reading of a PDF (debug's drawing) in a child under the caps."""
    return next(run_isolated([task], 1, limits.timeout_s, limits.memory_mb, work))
