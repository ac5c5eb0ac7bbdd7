"""The two text-layer readers (PDFium, the default; pdfminer behind --reader pdfminer) give the same record.

Every text-layer fixture and every text-layer PDF of the shared corpus is read both ways. Where
the records differ, the case and its reason are named here, and the PDFium record must be at least
as close to the truth as pdfminer's.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pdfplumber
import pypdfium2
import pytest

from conftest import FIXTURES, ROOT, fixture_pdfs, run_cli, truth_of
from formaudit.detect.grid import find_cell_boxes
from formaudit.export.json_record import record_json
from formaudit.ingest.pdfium_paths import subpath_edges
from formaudit.ingest.pdfium_reader import PdfiumReader
from formaudit.ingest.pdfminer_reader import PdfminerReader
from formaudit.pipeline import Options, extract
from truth import field_diffs

CORPUS = ROOT.parent / "shared" / "corpus"

# Fixtures whose records differ, and why. Both have tables drawn with no rules, whose cell boxes come from
# where the characters stand: PDFium reads a font's descent as a whole number of font units and advances
# from the font program, so boxes move by hundredths of a point. Text and values are the same.
RULELESS = "no rules: cell boxes come from character boxes, whose descent and advance PDFium reads to the font unit"
FIXTURE_REASONS = {
    "department-2020-cppcc-no-rules-two-pages": RULELESS,
    "project-2020-training-no-rules": RULELESS,
    "libreoffice-yunnan-project-2022-no-borders": RULELESS,
    "chromium-project-2020-no-rules-header-variants": RULELESS,
}
# measured: the Chromium/Noto rule-less fixture's boxes move up to 0.9 pt between readers, still far below a cell's width
RULELESS_BBOX_TOLERANCE = 1.0
BBOX_TOLERANCE = 0.5  # pt: boxes may move this much between readers; a cell is tens of points wide

# Why corpus records may differ, told from the PDF itself.
RADICALS = re.compile("[\u2e80-\u2fdf]")  # Kangxi Radicals and CJK Radicals Supplement
RADICAL_REASON = ("the font's ToUnicode maps ideographs to radical code points (部⻔, ⾃); PDFium reads them as "
                  "the ideographs drawn, pdfminer as written")
FLOAT32_REASON = ("rules placed through a matrix written with 11 digits (0.74999996875): PDFium keeps float32, "
                  "so a box's last rounded decimal can differ")
DESCENT_REASON = ("the font descriptor's descent read differently (pdfminer: the descriptor; PDFium: the font "
                  "program): text overflowing a clipped cell lands in the neighbouring cell another way")


def _record(pdf: Path, reader: str) -> dict:
    return json.loads(record_json(extract(pdf, display_path=pdf.name, options=Options(reader=reader))))


def _boxes_apart(a, b, path: str = "") -> tuple[float, object, object]:
    """The largest distance between the boxes of two records, and both records with their boxes removed."""
    if isinstance(a, dict) and isinstance(b, dict):
        worst, sa, sb = 0.0, {}, {}
        for key in a.keys() | b.keys():
            if key == "bbox" and isinstance(a.get(key), list) and isinstance(b.get(key), list):
                worst = max([worst] + [abs(x - y) for x, y in zip(a[key], b[key])])
                continue
            w, sa[key], sb[key] = _boxes_apart(a.get(key), b.get(key), f"{path}/{key}")
            worst = max(worst, w)
        return worst, sa, sb
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        parts = [_boxes_apart(x, y, path) for x, y in zip(a, b)]
        return max([0.0] + [p[0] for p in parts]), [p[1] for p in parts], [p[2] for p in parts]
    return 0.0, a, b


def _wrong_fields(record: dict, truth: dict) -> int:
    """Fields of the truth a record gets wrong (a missing form: all of its fields)."""
    wrong = 0
    for i, want in enumerate(truth["forms"]):
        got = record["forms"][i] if i < len(record["forms"]) else {}
        wrong += len(field_diffs(got, want))
    return wrong


@pytest.mark.parametrize("pdf", fixture_pdfs("text"), ids=lambda p: p.stem)
def test_fixture_same_record_both_ways(pdf: Path):
    pdfium, pdfminer = _record(pdf, "pdfium"), _record(pdf, "pdfminer")
    # Chromium writes its page matrix in float32 digits (0.74999996875): the same reason as in the corpus
    chromium = truth_of(pdf)["source"].get("producer") == "chromium"
    reason = FIXTURE_REASONS.get(pdf.stem) or (FLOAT32_REASON if chromium else None)
    if reason is None:
        assert json.dumps(pdfium, ensure_ascii=False) == json.dumps(pdfminer, ensure_ascii=False)
        return
    worst, a, b = _boxes_apart(pdfium, pdfminer)
    assert a == b, f"{pdf.stem} differs beyond its boxes ({reason})"
    tolerance = RULELESS_BBOX_TOLERANCE if reason == RULELESS else BBOX_TOLERANCE
    assert worst <= tolerance, f"{pdf.stem}: boxes {worst:.2f} pt apart ({reason})"


def _corpus_pdfs() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return [p for kind in ("digital", "report", "real") for p in sorted((CORPUS / kind).glob("*.pdf"))
            if not truth_of(p)["source"].get("scan") and not p.name.startswith("scan-")]


@cache
def _has_radicals(pdf: Path) -> bool:
    with pdfplumber.open(pdf) as doc:
        return any(RADICALS.search("".join(c["text"] for c in page.chars)) for page in doc.pages)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not beside this checkout")
@pytest.mark.parametrize("pdf", _corpus_pdfs(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_corpus_same_record_both_ways(pdf: Path):
    pdfium, pdfminer = _record(pdf, "pdfium"), _record(pdf, "pdfminer")
    if pdfium == pdfminer:
        return
    worst, a, b = _boxes_apart(pdfium, pdfminer)
    if a == b:  # only boxes differ
        assert worst <= BBOX_TOLERANCE, f"boxes {worst:.2f} pt apart ({FLOAT32_REASON})"
        return
    reasons = [RADICAL_REASON] if _has_radicals(pdf) else [DESCENT_REASON]
    truth = truth_of(pdf)
    assert _wrong_fields(pdfium, truth) <= _wrong_fields(pdfminer, truth), \
        f"the PDFium record is further from the truth than pdfminer's; they differ because {reasons[0]}"


def test_a_path_of_many_lines_is_many_rules():
    """One subpath drawn as a zig-zag of horizontal and vertical segments gives one edge per segment; a
    diagonal and a Bézier curve give none; a closed rectangle gives its four sides."""
    steps = [(10, 10), (110, 10), (110, 60), (210, 60), (260, 110)]
    edges = subpath_edges(steps)
    assert [(e["orientation"], e["x0"], e["top"], e["x1"], e["bottom"]) for e in edges] == [
        ("h", 10, 10, 110, 10), ("v", 110, 10, 110, 60), ("h", 110, 60, 210, 60)]
    box = subpath_edges([(0, 0), (50, 0), (50, 20), (0, 20), (0, 0)])
    assert sorted((e["orientation"], e["x0"], e["top"], e["x1"], e["bottom"]) for e in box) == [
        ("h", 0, 0, 50, 0), ("h", 0, 20, 50, 20), ("v", 0, 0, 0, 20), ("v", 50, 0, 50, 20)]


def _page_of(reader, number: int):
    try:
        return reader.page(number)
    finally:
        reader.close()


def test_pdfium_page_matches_pdfminer_page():
    """Characters and the cells built from the rules agree, page for page, on a ruled fixture."""
    pdf = FIXTURES / "national-project-2021-water-clean.pdf"
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        ours = _page_of(PdfiumReader(document), 1)
    finally:
        document.close()
    theirs = _page_of(PdfminerReader(pdf), 1)
    mine = [c for c in ours.chars if c["text"].strip()]
    full = [c for c in theirs.chars if c["text"].strip()]
    if ours.unread_text:  # the fixture's font is not embedded and this machine lacks it: see the next test
        missing = len(full) - len(mine)
        assert ours.unread_text <= missing <= 3 * ours.unread_text, (ours.unread_text, missing)
        full = [c for c in full if any(c["text"] == m["text"] and abs(c["x0"] - m["x0"]) < 0.01
                                       and abs(c["top"] - m["top"]) < 0.01 for m in mine)]
    assert [c["text"] for c in mine] == [c["text"] for c in full]
    for a, b in zip(mine, full):
        assert abs(a["x0"] - b["x0"]) < 0.01 and abs(a["top"] - b["top"]) < 0.01 and a["size"] == pytest.approx(b["size"])
    assert (ours.width, ours.height) == pytest.approx((theirs.width, theirs.height))
    assert find_cell_boxes(ours) == find_cell_boxes(theirs)


def pdf_with_a_missing_glyph(font: bytes | None = None, extra: tuple[bytes, ...] = ()) -> bytes:
    """One page: 'ABC' in Helvetica, and 施 alone in a TrueType font the file does not embed and no machine has
    (PDFium draws it with a built-in font that lacks the glyph): its text object has empty bounds, as a
    one-character object in a CJK font that is not embedded has on a machine without CJK fonts. `font`
    replaces that font (its /ToUnicode is object 7); `extra` objects follow, from 8 on."""
    tounicode = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T3 def 1 begincodespacerange"
                 b" <00> <FF> endcodespacerange 1 beginbfchar <41> <65BD> endbfchar endcmap CMapName currentdict"
                 b" /CMap defineresource pop end end")
    content = b"BT /F1 12 Tf 72 700 Td (ABC) Tj ET BT /F2 12 Tf 72 680 Td (A) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >>"
        b" /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        font or (b"<< /Type /Font /Subtype /TrueType /BaseFont /NoSuchFont /Encoding << /Type /Encoding /Differences"
                 b" [65 /uni65BD] >> /FirstChar 65 /LastChar 65 /Widths [1000] /ToUnicode 7 0 R >>"),
        *(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body) for body in (content, tounicode)),
        *extra,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_page_pdfium_cannot_read_whole_is_read_by_the_second_reader(tmp_path: Path):
    """PDFium's text page drops a text object with empty bounds; the reader notices and reads the page again."""
    pdf = tmp_path / "missing-glyph.pdf"
    pdf.write_bytes(pdf_with_a_missing_glyph())
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        alone = PdfiumReader(document).page(1)
        helped = _page_of(PdfiumReader(document, fallback=PdfminerReader(pdf)), 1)
    finally:
        document.close()
    assert alone.unread_text == 1 and "".join(c["text"] for c in alone.chars) == "ABC"
    assert helped.unread_text == 1 and "".join(c["text"] for c in helped.chars if c["text"].strip()) == "ABC施"


# a Type3 font, as browsers print spaces in: its glyph draws nothing, and the font is in the file
TYPE3_SPACE = (b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 0 0] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs"
               b" << /a 8 0 R >> /Encoding << /Type /Encoding /Differences [65 /a] >> /FirstChar 65 /LastChar 65"
               b" /Widths [250] >>")


def test_a_glyph_that_draws_nothing_in_an_embedded_font_is_no_lost_text(tmp_path: Path):
    """Empty bounds in a font the file carries (a browser's spaces) leave the page to PDFium alone: reading it
    again with pdfminer costs a second or more a page and finds nothing more."""
    glyph = b"0 0 0 0 0 0 d1"
    pdf = tmp_path / "space-glyph.pdf"
    pdf.write_bytes(pdf_with_a_missing_glyph(TYPE3_SPACE, (b"<< /Length %d >>\nstream\n%s\nendstream" % (len(glyph), glyph),)))
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        page = PdfiumReader(document, fallback=PdfminerReader(pdf)).page(1)
    finally:
        document.close()
    assert page.unread_text == 0 and "".join(c["text"] for c in page.chars) == "ABC"


def test_cli_reader_option(tmp_path: Path):
    pdf = FIXTURES / "national-project-2021-water-clean.pdf"
    outs = {}
    for reader in ("pdfium", "pdfminer"):
        result = run_cli("extract", str(pdf), "--out", str(tmp_path / reader), "--reader", reader)
        assert result.returncode == 0, result.stderr
        outs[reader] = (tmp_path / reader / f"{pdf.stem}.json").read_bytes()
    assert outs["pdfium"] == outs["pdfminer"]
    bad = run_cli("extract", str(pdf), "--out", str(tmp_path / "x"), "--reader", "poppler")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
