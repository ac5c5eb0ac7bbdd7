"""Scanned pages for `make bench`, in one run on the same pages:

- formaudit end to end in one process (models loaded once), seconds per page and peak memory;
- rapidocr alone on the same pages (whole-page detection and recognition of the prepared images): the floor;
- `formaudit batch` over the scans with one worker per core: the batch's wall time per page (the rate an
  archive of scans goes at), each PDF's own time per page, and a reader's peak memory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pdfs"

IN_ONE_PROCESS = """
import json, sys, time
import pypdfium2
from formaudit.ingest.ocr import recognize
from formaudit.ingest.scan import prepare
from formaudit.pipeline import extract
paths = json.loads(sys.argv[1])
extract(paths[0])  # load the OCR models once, as a batch worker does
t = time.perf_counter(); pages = 0
for p in paths:
    pages += extract(p).source.pages
end_to_end = time.perf_counter() - t
images = []
for p in paths:
    doc = pypdfium2.PdfDocument(p)
    images += [prepare(p, n + 1, *doc[n].get_size()).image for n in range(len(doc))]
    doc.close()
t = time.perf_counter()
for image in images:
    recognize(image)
ocr_alone = time.perf_counter() - t
peak = next(int(x.split()[1]) / 1024 for x in open('/proc/self/status') if x.startswith('VmHWM:'))
print(json.dumps({'pages': pages, 'seconds': end_to_end, 'ocr_seconds': ocr_alone, 'ocr_pages': len(images), 'peak_mb': peak}))
"""


def scanned_fixtures() -> list[str]:
    scans = []
    for pdf in sorted(FIXTURES.glob("*.pdf")):
        source = json.loads(pdf.with_name(pdf.stem + ".truth.json").read_text())["source"]
        if source.get("scan") and source.get("scanned_pages") == "all":
            scans.append(str(pdf))
    return scans


def batch_figures(scans: list[str]) -> dict:
    """A batch over the scans, one worker per core: its wall time per page and the workers' peak memory."""
    import duckdb

    folder = Path(tempfile.mkdtemp(prefix="formaudit-bench-scans-"))
    try:
        for p in scans:
            shutil.copy(p, folder / Path(p).name)
        db = folder / "scans.duckdb"
        cli = Path(sys.executable).with_name("formaudit")
        workers = os.cpu_count() or 1
        started = time.perf_counter()
        subprocess.run([str(cli), "batch", str(folder), "--db", str(db), "-q", "--workers", str(workers)],
                       check=True, capture_output=True, text=True)
        wall = time.perf_counter() - started
        con = duckdb.connect(str(db), read_only=True)
        pages, seconds, peak = con.execute("SELECT sum(pages), sum(seconds), max(peak_mb) FROM documents").fetchone()
        con.close()
        return {"workers": workers, "pages": pages, "worker_seconds": seconds, "wall": wall, "peak_mb": peak}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bench_scans(note) -> None:
    scans = scanned_fixtures()
    out = json.loads(subprocess.run([sys.executable, "-c", IN_ONE_PROCESS, json.dumps(scans)], capture_output=True,
                                    text=True, check=True).stdout.strip().splitlines()[-1])
    per_page = out["seconds"] / out["pages"]
    print(f"\nscanned pages: {out['pages']} pages in {len(scans)} image-only PDFs (150-300 dpi, skewed, turned, stamped)")
    note("scanned page, end to end (render, deskew, grid, OCR, audit)", f"{per_page:.2f} s/page", "<= 1.5 s/page",
         per_page <= 1.5)
    note("  rapidocr alone on the same pages (whole page, det + rec)", f"{out['ocr_seconds'] / out['ocr_pages']:.2f} s/page")
    note("  peak memory (the whole process)", f"{out['peak_mb']:.0f} MB", "<= 1200 MB", out["peak_mb"] <= 1200)
    batch = batch_figures(scans)
    note(f"  in a batch ({batch['workers']} workers, one thread each): wall time per page", f"{batch['wall'] / batch['pages']:.2f} s/page",
         "(start-up included)")
    note("  … each PDF's own time per page", f"{batch['worker_seconds'] / batch['pages']:.2f} s/page",
         "models loaded once per batch, not per PDF")
    note("  in a batch: peak memory of a reader", f"{batch['peak_mb']:.0f} MB", "<= 1200 MB", batch["peak_mb"] <= 1200)
