"""Scanned pages for `make bench`: seconds per page end to end and peak memory, in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pdfs"


def bench_scans(note) -> None:
    scans = []
    for pdf in sorted(FIXTURES.glob("*.pdf")):
        source = json.loads(pdf.with_name(pdf.stem + ".truth.json").read_text())["source"]
        if source.get("scan") and source.get("scanned_pages") == "all":
            scans.append(str(pdf))
    code = (
        "import json, time\n"
        "from formaudit.pipeline import extract\n"
        f"paths = {scans!r}\n"
        "extract(paths[0])  # load the OCR models once, as a batch worker does\n"
        "t = time.perf_counter(); pages = 0\n"
        "for p in paths:\n"
        "    pages += extract(p).source.pages\n"
        "s = time.perf_counter() - t\n"
        "peak = next(int(x.split()[1]) / 1024 for x in open('/proc/self/status') if x.startswith('VmHWM:'))\n"
        "print(json.dumps({'pages': pages, 'seconds': s, 'peak_mb': peak}))\n"
    )
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    per_page = out["seconds"] / out["pages"]
    print(f"\nscanned pages: {out['pages']} pages in {len(scans)} image-only PDFs (150-300 dpi, skewed, turned, stamped)")
    note("scanned page, end to end (render, deskew, grid, OCR, audit)", f"{per_page:.2f} s/page", "<= 3 s/page", per_page <= 3)
    note("  peak memory (the whole process)", f"{out['peak_mb']:.0f} MB", "<= 1536 MB", out["peak_mb"] <= 1536)
