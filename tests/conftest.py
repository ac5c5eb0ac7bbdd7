from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "pdfs"
SHARED_SPEC = ROOT.parent / "shared" / "spec"  # present beside a checkout in the team's set-up; tests skip without it
SCHEMA = ROOT / "src" / "formaudit" / "schema" / "form-record.schema.json"
SEED_EXPECTED = ROOT / "fixtures" / "wangcheng-cppcc-2020.expected.json"

sys.path.insert(0, str(Path(__file__).parent))


def fixture_pdfs(kind: str = "text") -> list[Path]:
    """Fixture PDFs by how their forms must be read: "text" (a usable text layer) or "ocr" (scans, cid fonts)."""
    out = []
    for pdf in sorted(FIXTURES.glob("*.pdf")):
        source = truth_of(pdf)["source"]
        needs_ocr = source.get("text_layer") == "unusable" or source.get("scan", False)
        if (kind == "ocr") == needs_ocr:
            out.append(pdf)
    return out


def truth_of(pdf: Path) -> dict:
    return json.loads(pdf.with_name(pdf.stem + ".truth.json").read_text(encoding="utf-8"))


@cache
def extracted(pdf: Path, grid: str = "pdfplumber") -> dict:
    """One extraction per fixture per test session (they are deterministic)."""
    from formaudit.export.json_record import record_dict
    from formaudit.pipeline import Options, extract

    return record_dict(extract(pdf, display_path=pdf.name, options=Options(grid=grid)))


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real command line in a subprocess."""
    exe = Path(sys.executable).with_name("formaudit")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "formaudit.cli"]
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(cmd + list(args), cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def load_schema() -> dict:
    """The contract's JSON Schema, as the package ships it."""
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def schema() -> dict:
    return load_schema()


@pytest.fixture(scope="session")
def fixtures_batch(tmp_path_factory):
    """The fixtures' batch, as `make run` makes it: (database, report, workbook, the CLI's result)."""
    out = tmp_path_factory.mktemp("fixtures-batch")
    db, report, xlsx = out / "results.duckdb", out / "report.html", out / "report.xlsx"
    result = run_cli("batch", str(FIXTURES), "--db", str(db), "--report", str(report), "--xlsx", str(xlsx), timeout=900)
    assert result.returncode == 0, result.stderr
    return db, report, xlsx, result
