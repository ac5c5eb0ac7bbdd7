"""Bad input gets a clear error code and a record; it never crashes or hangs."""

from __future__ import annotations

import json

import jsonschema

from conftest import FIXTURES, load_schema, run_cli
from formaudit.export.json_record import record_dict
from formaudit.pipeline import extract

SEED = FIXTURES / "wangcheng-cppcc-2020-self-evaluation.pdf"


def codes(path) -> list[str]:
    record = record_dict(extract(path))
    jsonschema.validate(record, load_schema())
    assert record["forms"] == [] or all(f["form_type"] for f in record["forms"])
    return [e["code"] for e in record["errors"]]


def test_zero_byte_file(tmp_path):
    p = tmp_path / "empty.pdf"
    p.write_bytes(b"")
    assert codes(p) == ["NOT_A_PDF"]


def test_not_a_pdf(tmp_path):
    p = tmp_path / "page.pdf"
    p.write_text("<html><body>404 Not Found</body></html>")
    assert codes(p) == ["NOT_A_PDF"]


def test_truncated_pdf(tmp_path):
    p = tmp_path / "cut.pdf"
    p.write_bytes(SEED.read_bytes()[:5000])
    assert codes(p) == ["TRUNCATED_PDF"]


def test_encrypted_pdf(tmp_path):
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    p = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(p), encrypt=pdfencrypt.StandardEncryption("secret", canModify=0))
    c.drawString(100, 700, "locked")
    c.save()
    assert codes(p) == ["ENCRYPTED_PDF"]


def test_too_large(tmp_path):
    from formaudit.pipeline import Options

    record = record_dict(extract(SEED, options=Options(max_bytes=1000)))
    assert [e["code"] for e in record["errors"]] == ["TOO_LARGE"] and record["source"]["sha256"]


def test_pdf_without_a_form(tmp_path):
    from reportlab.pdfgen import canvas

    p = tmp_path / "letter.pdf"
    c = canvas.Canvas(str(p))
    c.drawString(100, 700, "Annual report, no tables here.")
    c.save()
    assert codes(p) == ["NO_FORM_FOUND"]


def test_cid_font_text_never_reaches_a_record():
    pdf = FIXTURES / "cid-no-tounicode-training.pdf"
    record = record_dict(extract(pdf))
    text = json.dumps(record, ensure_ascii=False)
    assert "(cid:" not in text and "\ufffd" not in text
    assert "UNREADABLE_TEXT_LAYER" in [e["code"] for e in record["errors"]]


def test_unreadable_files_do_not_stop_extract(tmp_path):
    (tmp_path / "a.pdf").write_bytes(SEED.read_bytes())
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4\n%broken")
    (tmp_path / "c.pdf").write_bytes(b"")
    result = run_cli("extract", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert len(list((tmp_path / "out").glob("*.json"))) == 3
    assert json.loads((tmp_path / "out" / "a.json").read_text())["forms"]
