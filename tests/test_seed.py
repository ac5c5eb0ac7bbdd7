"""The seed form: the real 2020 Hunan form that started the project, wrong twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, SEED_EXPECTED, SHARED_SPEC, extracted
from truth import field_diffs

SEED = FIXTURES / "wangcheng-cppcc-2020-self-evaluation.pdf"


def expected() -> dict:
    return json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))


def test_seed_yields_exactly_the_expected_record():
    got, want = extracted(SEED)["forms"], expected()["forms"]
    assert len(got) == 1
    assert field_diffs(got[0], want[0]) == []


def test_seed_findings_match_the_example_exactly():
    got = extracted(SEED)["forms"][0]["findings"]
    want = expected()["forms"][0]["findings"]
    strip = lambda fs: [{k: f[k] for k in ("code", "severity", "path", "expected", "found", "message")} for f in fs]  # noqa: E731
    assert strip(got) == strip(want)


def test_seed_cells_hold_the_printed_text_and_page():
    got = extracted(SEED)["forms"][0]["cells"]
    for path, cell in expected()["forms"][0]["cells"].items():
        assert got[path]["page"] == cell["page"] and got[path]["text"] == cell["text"], path


def test_seed_row_cut_by_the_page_break_is_one_row():
    form = extracted(SEED)["forms"][0]
    assert form["pages"] == [1, 2]
    row = form["indicators"][1]
    assert row["content"] == "《黑石号文化探源》书籍编印和欧阳询书法艺术专题研讨"
    assert form["cells"]["/indicators/1/content"]["page"] == 1


@pytest.mark.skipif(not SHARED_SPEC.exists(), reason="the shared contract folder is not beside this checkout")
def test_copies_of_the_contract_are_current():
    """The repo carries copies of the schema and the seed example; they must equal the contract's."""
    ours = Path(__file__).resolve().parent.parent
    assert (SHARED_SPEC / "form-record.schema.json").read_bytes() == (ours / "src/formaudit/schema/form-record.schema.json").read_bytes()
    assert (SHARED_SPEC / "examples/wangcheng-cppcc-2020.expected.json").read_bytes() == SEED_EXPECTED.read_bytes()
