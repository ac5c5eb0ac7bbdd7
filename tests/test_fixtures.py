"""Every fixture PDF, through the real pipeline, against its truth file."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import FIXTURES, extracted, fixture_pdfs, truth_of
from truth import field_diffs, finding_keys

PDFS = fixture_pdfs()
IDS = [p.stem for p in PDFS]


def test_there_are_enough_fixtures():
    assert len(PDFS) >= 11
    producers = {truth_of(p)["source"]["producer"] for p in PDFS}
    fonts = {truth_of(p)["source"]["font"] for p in PDFS}
    assert {"reportlab", "libreoffice"} <= producers
    assert len(fonts) >= 3 and "STSong-Light" in fonts


@pytest.mark.parametrize("pdf", PDFS, ids=IDS)
def test_every_field_matches_truth(pdf):
    got, want = extracted(pdf), truth_of(pdf)
    assert len(got["forms"]) == len(want["forms"]), got["errors"]
    for i, (g, w) in enumerate(zip(got["forms"], want["forms"])):
        assert field_diffs(g, w) == [], f"form {i}"


@pytest.mark.parametrize("pdf", PDFS, ids=IDS)
def test_planted_findings_found_and_nothing_else(pdf):
    got, want = extracted(pdf), truth_of(pdf)
    for g, w in zip(got["forms"], want["forms"]):
        assert finding_keys(g) == finding_keys(w), [f["message"] for f in g["findings"]]


@pytest.mark.parametrize("pdf", PDFS, ids=IDS)
def test_output_follows_the_shared_schema(pdf, schema):
    jsonschema.validate(extracted(pdf), schema)


@pytest.mark.parametrize("pdf", PDFS, ids=IDS)
def test_every_value_has_its_cell(pdf):
    """Provenance: every number read has a CELL with page, bbox and the printed text."""
    for form in extracted(pdf)["forms"]:
        for i, row in enumerate(form["funding"]):
            for f in ("budget", "executed", "rate", "score"):
                if row[f] is not None:
                    cell = form["cells"][f"/funding/{i}/{f}"]
                    assert cell["page"] in form["pages"] and len(cell["bbox"]) == 4 and cell["text"]
        for i, row in enumerate(form["indicators"]):
            for f in ("weight", "score", "target", "actual"):
                if row[f] is not None:
                    assert f"/indicators/{i}/{f}" in form["cells"]


def test_clean_forms_have_no_error_finding():
    clean = [(p, i) for p in PDFS for i, w in enumerate(truth_of(p)["forms"]) if not w["findings"]]
    assert len(clean) >= 4
    for pdf, i in clean:
        assert [f for f in extracted(pdf)["forms"][i]["findings"] if f["severity"] == "error"] == []


def test_same_pdf_same_bytes():
    from formaudit.export.json_record import record_json
    from formaudit.pipeline import extract

    for pdf in (FIXTURES / "wangcheng-cppcc-2020-self-evaluation.pdf", FIXTURES / "report-2021-agriculture-final-accounts.pdf"):
        first = record_json(extract(pdf, display_path=pdf.name))
        second = record_json(extract(pdf, display_path=pdf.name))
        assert first == second
        assert json.loads(first)["source"]["sha256"]

