"""The DuckDB sink writes documents a group at a time: whole documents or none, each once, none left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from formaudit.export.sinks import DuckDBSink
from formaudit.export.tables import record_rows
from formaudit.pipeline import extract

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pdfs"
PDFS = ["national-project-2021-water-clean.pdf", "wangcheng-cppcc-2020-self-evaluation.pdf",
        "libreoffice-project-2022-insurance.pdf"]


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    out = []
    for name in PDFS:
        pdf = FIXTURES / name
        rows = record_rows(extract(pdf, display_path=name), pdf.stat().st_size, 0.0)
        rows["files"] = [{"path": name, "sha256": rows["documents"][0]["sha256"], "size_bytes": pdf.stat().st_size}]
        out.append(rows)
    return out


def held(sink: DuckDBSink, table: str = "documents") -> int:
    return sink.store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_group_is_written_when_full_and_the_rest_on_close(tmp_path, documents, monkeypatch):
    monkeypatch.setattr(DuckDBSink, "GROUP_DOCUMENTS", 2)
    monkeypatch.setattr(DuckDBSink, "GROUP_SECONDS", 3600.0)
    sink = DuckDBSink(tmp_path / "g.duckdb")
    sink.write_document(documents[0])
    assert held(sink) == 0  # waiting in the group
    sink.write_document(documents[1])
    assert held(sink) == 2  # the group was full: written in one transaction
    sink.write_document(documents[2])
    assert held(sink) == 2
    sink.close()  # what waits is written on close, even when the run stops on an error
    reopened = DuckDBSink(tmp_path / "g.duckdb")
    assert held(reopened) == 3
    forms = sum(len(d["forms"]) for d in documents)
    assert held(reopened, "forms") == forms
    reopened.close()


def test_the_same_document_twice_is_replaced_not_doubled(tmp_path, documents, monkeypatch):
    monkeypatch.setattr(DuckDBSink, "GROUP_DOCUMENTS", 10)
    monkeypatch.setattr(DuckDBSink, "GROUP_SECONDS", 3600.0)
    sink = DuckDBSink(tmp_path / "twice.duckdb")
    for rows in (documents[0], documents[1], documents[0]):
        sink.write_document(rows)
    assert sink.processed() == {d["documents"][0]["sha256"] for d in documents[:2]}  # asking writes the group first
    sink.write_document(documents[0])  # and again, after it is held
    sink.finish([])
    assert held(sink) == 2
    assert held(sink, "forms") == len(documents[0]["forms"]) + len(documents[1]["forms"])
    assert held(sink, "indicators") == len(documents[0]["indicators"]) + len(documents[1]["indicators"])
    sink.close()


def test_a_group_waits_no_longer_than_its_time(tmp_path, documents, monkeypatch):
    monkeypatch.setattr(DuckDBSink, "GROUP_DOCUMENTS", 100)
    monkeypatch.setattr(DuckDBSink, "GROUP_SECONDS", 0.0)  # every document has waited long enough
    sink = DuckDBSink(tmp_path / "t.duckdb")
    sink.write_document(documents[0])
    assert held(sink) == 1
    sink.close()
