"""The shared corpus (other producers and real published layouts) scored by its own scorer, held to
the floor in corpus_floor.toml. Text-layer PDFs and scans are scored apart (scans in the OCR tier).

Skipped where the corpus and its scorer are not beside the checkout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

CORPUS = ROOT.parent / "shared" / "corpus"
SCORER = ROOT.parent / "shared" / "tools" / "score.py"
FLOOR = tomllib.loads((Path(__file__).parent / "corpus_floor.toml").read_text("utf-8"))

pytestmark = pytest.mark.skipif(not (CORPUS / "cases.json").exists() or not SCORER.exists(),
                                reason="the shared corpus is not beside this checkout")


def _is_scan(case: dict) -> bool:
    """Read from the picture: scans, and the scanned part's text layers that cannot be read."""
    return case["kind"] == "scanned" or case.get("how") == "scan"


def _text_layer_corpus(kinds: list[str], into: Path, scans: bool = False) -> Path:
    """A copy of the corpus's layout (links) holding only its text-layer PDFs (or only its scans) and their truth."""
    cases = json.loads((CORPUS / "cases.json").read_text("utf-8"))
    for case in cases:
        if case["kind"] not in kinds or _is_scan(case) != scans:
            continue
        folder = into / case["kind"]
        folder.mkdir(parents=True, exist_ok=True)
        for suffix in (".pdf", ".truth.json"):
            (folder / (case["name"] + suffix)).symlink_to(CORPUS / case["kind"] / (case["name"] + suffix))
    return into


GROUPS = [pytest.param(g, marks=[pytest.mark.ocr, pytest.mark.slow]) if FLOOR[g].get("scans") else g for g in sorted(FLOOR)]


@pytest.mark.parametrize("group", GROUPS)
def test_corpus_scores_stay_above_the_floor(group, tmp_path):
    floor = FLOOR[group]
    corpus = _text_layer_corpus(floor["kinds"], tmp_path / "corpus", scans=floor.get("scans", False))
    out = tmp_path / "pred"
    folders = [str(corpus / kind) for kind in floor["kinds"] if (corpus / kind).exists()]
    done = run_cli("extract", *folders, "--out", str(out), timeout=600)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    kinds = [arg for kind in floor["kinds"] for arg in ("--kind", kind)]
    scored = subprocess.run([sys.executable, str(SCORER), str(corpus), str(out), *kinds],
                            capture_output=True, text=True, timeout=300, check=True)
    got = json.loads(scored.stdout)
    figures = {
        "fields": got["field_accuracy"],
        "precision": got["finding_precision"],
        "recall": got["finding_recall"],
        "forms": got["forms_pred"] / got["forms_true"] if got["forms_true"] else 1.0,
    }
    below = {k: v for k, v in figures.items() if v < floor[k]}
    assert not below, f"{group} below its floor {floor}: {below}; missed {got['missed']}, false {got['false_alarms']}"
    assert got["forms_pred"] <= got["forms_true"], "forms found that the truth does not hold"
    assert got["clean_false_alarms"] <= floor["clean_false_alarms"], got["false_alarms"]
