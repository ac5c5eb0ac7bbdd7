"""The house's layers hold: `lint-imports` checks the contract in pyproject.toml (an import may only
point down its list: cli, runners, export, pipeline, validate, normalize, detect, ingest, models)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def _lint_imports(config: Path | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    args = [str(exe), "--no-cache"] + (["--config", str(config)] if config else [])
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_no_stage_imports_one_above_it():
    result = _lint_imports()
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 kept, 0 broken" in result.stdout


def test_the_contract_fails_when_the_layers_are_turned_upside_down(tmp_path):
    """The check can fail: the same contract with normalize moved below ingest breaks, since normalize
    reads ingest's pattern for glyphs a reader could not map."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    flipped = text.replace('    "formaudit.normalize",\n    "formaudit.detect",\n', '    "formaudit.detect",\n    "formaudit.ingest",\n    "formaudit.normalize",\n', 1)
    flipped = flipped.replace('    "formaudit.ingest",\n    "formaudit.paths', '    "formaudit.paths', 1)
    assert flipped != text
    config = tmp_path / "pyproject.toml"
    config.write_text(flipped, encoding="utf-8")
    result = _lint_imports(config)
    assert result.returncode != 0 and "BROKEN" in result.stdout
