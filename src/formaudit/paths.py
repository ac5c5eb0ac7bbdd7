"""Which PDFs a run reads and where their records go: shared by the command line and the batch runners."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def find_pdfs(paths: Iterable[str]) -> list[tuple[Path, Path | None]]:
    """(pdf, the folder it was found under) for each argument; folders are searched recursively."""
    out: list[tuple[Path, Path | None]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() == ".pdf")
            out.extend((q, p) for q in found)
        else:
            out.append((p, None))
    return out


def output_path(out_dir: Path, pdf: Path, root: Path | None, taken: set[Path]) -> Path:
    """DIR/<stem>.json, keeping sub-folders of a searched folder so that equal names do not collide."""
    rel = pdf.relative_to(root).parent if root is not None else Path()
    target = out_dir / rel / f"{pdf.stem}.json"
    n = 2
    while target in taken:
        target = out_dir / rel / f"{pdf.stem}-{n}.json"
        n += 1
    taken.add(target)
    return target
