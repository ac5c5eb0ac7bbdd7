"""Writing result files so that a reader, or a run killed half-way, never sees half a file: every output is
written to a temporary name beside its target and renamed over it (rename is atomic on one file system)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; renamed to `path` when the block ends, removed on error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    os.chmod(name, 0o644)  # mkstemp makes it private; a result file is for reading
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Text (UTF-8) written whole or not at all."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
