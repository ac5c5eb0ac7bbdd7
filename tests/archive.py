"""Build test archives from the fixtures: copies under other names and folders, and broken files."""

from __future__ import annotations

import random
from pathlib import Path

from conftest import FIXTURES, fixture_pdfs

BROKEN_KINDS = ("NOT_A_PDF", "ZERO_BYTE", "TRUNCATED_PDF", "ENCRYPTED_PDF", "TOO_LARGE", "NO_FORM_FOUND", "CORRUPTED")


def unique_copy(src: Path, dst: Path, tag: str) -> None:
    """A copy with a comment after %%EOF: still a valid PDF, but another checksum (another document)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(src.read_bytes() + f"\n% archive copy {tag}\n".encode())


def encrypted_pdf(path: Path, i: int) -> None:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), encrypt=pdfencrypt.StandardEncryption(f"secret{i}", canModify=0), invariant=1)
    c.drawString(100, 700, f"locked report {i}")
    c.save()


def formless_pdf(path: Path, i: int) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), invariant=1)
    c.drawString(100, 700, f"Budget notice {i}: no tables in this file.")
    c.save()


def build_archive(root: Path, good: int = 200, broken_each: int = 10, seed: int = 7) -> dict[str, list[Path]]:
    """`good` unique copies of the text fixtures (under nested folders) and `broken_each` files of every broken kind."""
    rng = random.Random(seed)
    sources = fixture_pdfs("text")
    made: dict[str, list[Path]] = {"good": []}
    for i in range(good):
        src = sources[i % len(sources)]
        dst = root / f"region{i % 5}" / f"year{2019 + i % 4}" / f"{src.stem}-{i:03d}.pdf"
        unique_copy(src, dst, str(i))
        made["good"].append(dst)
    seed_bytes = (FIXTURES / "wangcheng-cppcc-2020-self-evaluation.pdf").read_bytes()
    broken = root / "broken"
    broken.mkdir(parents=True, exist_ok=True)
    for kind in BROKEN_KINDS:
        made[kind] = []
        for i in range(broken_each):
            path = broken / f"{kind.lower()}-{i}.pdf"
            if kind == "NOT_A_PDF":
                path.write_text(f"<html>404 page {i}</html>")
            elif kind == "ZERO_BYTE":
                path.write_bytes(b"")
            elif kind == "TRUNCATED_PDF":
                path.write_bytes(seed_bytes[: 2000 + 300 * i])
            elif kind == "ENCRYPTED_PDF":
                encrypted_pdf(path, i)
            elif kind == "TOO_LARGE":
                path.write_bytes(seed_bytes + b"%" + bytes(rng.randrange(65, 90) for _ in range(1_200_000)) + f"\n{i}".encode())
            elif kind == "NO_FORM_FOUND":
                formless_pdf(path, i)
            elif kind == "CORRUPTED":
                data = bytearray(seed_bytes)
                for _ in range(200):
                    data[rng.randrange(len(data))] = rng.randrange(256)
                path.write_bytes(bytes(data) + f"\n%{i}".encode())
            made[kind].append(path)
    return made


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of: bytes flipped, cut short, a stream's bytes overwritten, or a chunk duplicated."""
    out = bytearray(data)
    how = rng.randrange(4)
    if how == 0:
        for _ in range(rng.randrange(1, 50)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif how == 1:
        out = out[: rng.randrange(1, len(out))]
    elif how == 2:
        start = data.find(b"stream", rng.randrange(len(data) // 2))
        if start > 0:
            for k in range(start + 7, min(len(out), start + 7 + rng.randrange(10, 400))):
                out[k] = rng.randrange(256)
    else:
        a = rng.randrange(len(out))
        out[a:a] = out[a : a + rng.randrange(1, 2000)]
    return bytes(out)
