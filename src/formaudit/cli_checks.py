"""What the command line checks before doing anything, and how it tells a user what went wrong:
option values, output folders, the caps every PDF is read under, and one line per error.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from formaudit.errors import InputError
from formaudit.limits import (
    DEFAULT_MAX_MB,
    DEFAULT_MAX_MEGAPIXELS,
    DEFAULT_MAX_PAGES,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    Limits,
)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (argparse prints the whole usage first)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _number(kind: type, low: float, high: float | None, what: str):
    """An argparse type: a finite number of `kind` in [low, high], or a one-line error that says so."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        if value < low or (high is not None and value > high):
            bounds = f"at least {low:g}" if high is None else f"from {low:g} to {high:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: give {what} {bounds}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


WORKERS = _number(int, 1, 512, "a whole number of worker processes")
SECONDS = _number(float, 0.001, 7 * 86400, "a number of seconds")
MEMORY_MB = _number(int, 64, 1 << 20, "a whole number of MB")
FILE_MB = _number(int, 1, 1 << 20, "a whole number of MB")
PAGES = _number(int, 1, 10_000_000, "a whole number of pages")
MEGAPIXELS = _number(float, 1, 100_000, "a number of megapixels")
DPI = _number(int, 36, 600, "a resolution in dpi")


def add_limit_options(p: argparse.ArgumentParser) -> None:
    """The caps every command that reads PDFs applies, with the same defaults everywhere."""
    p.add_argument("--timeout", type=SECONDS, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                   help=f"time allowed per PDF (default: {DEFAULT_TIMEOUT_S:g})")
    p.add_argument("--memory-mb", type=MEMORY_MB, default=DEFAULT_MEMORY_MB, metavar="MB",
                   help=f"memory cap for reading one PDF (default: {DEFAULT_MEMORY_MB})")
    p.add_argument("--max-mb", type=FILE_MB, default=DEFAULT_MAX_MB, metavar="MB",
                   help=f"larger files are recorded as TOO_LARGE (default: {DEFAULT_MAX_MB})")
    p.add_argument("--max-pages", type=PAGES, default=DEFAULT_MAX_PAGES, metavar="N",
                   help=f"longer files are recorded as TOO_MANY_PAGES (default: {DEFAULT_MAX_PAGES})")
    p.add_argument("--max-megapixels", type=MEGAPIXELS, default=DEFAULT_MAX_MEGAPIXELS, metavar="MPX",
                   help=f"a page or image that would render larger is PAGE_TOO_LARGE or IMAGE_TOO_LARGE "
                        f"(default: {DEFAULT_MAX_MEGAPIXELS})")


def limits_of(args) -> Limits:
    return Limits(timeout_s=args.timeout, memory_mb=args.memory_mb, max_mb=args.max_mb, max_pages=args.max_pages,
                  max_megapixels=args.max_megapixels)


def output_folder(raw: str, option: str = "--out") -> Path:
    """A folder results can be written into (created when missing), or an InputError that says why not."""
    path = Path(raw)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path}: is a file, not a folder: name a folder to write into")
    existing = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise InputError(f"{option} {path}: {existing} is a file, not a folder: name a folder to write into")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"{option} {path}: {existing} is not writable: choose a folder you can write to")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot create the folder ({exc.strerror}): choose a folder you can write to") \
            from None
    return path


def one_line(exc: BaseException) -> str:
    """An OSError or other exception as `formaudit: <file>: <why>` on one line."""
    if isinstance(exc, OSError) and exc.strerror:
        name = exc.filename if exc.filename is not None else ""
        return f"formaudit: {name}: {exc.strerror}" if name else f"formaudit: {exc.strerror}"
    text = str(exc).strip().splitlines()
    return f"formaudit: {type(exc).__name__}: {text[0] if text else ''}"


def run_command(func, args) -> int:
    """Run a command; an unusable input or a failing file system becomes one line and exit 2, never a traceback."""
    try:
        return func(args)
    except KeyboardInterrupt:
        print("formaudit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except InputError as exc:
        print(f"formaudit: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(one_line(exc), file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last guard: a user sees one line, a developer sets the variable
        if os.environ.get("FORMAUDIT_TRACEBACK"):
            raise
        print(one_line(exc) + " (set FORMAUDIT_TRACEBACK=1 to see where)", file=sys.stderr)
        return 2
