"""Each step of detection on its own, on small synthetic input (no PDF, no OCR): the fast tier.

Characters are made by `place`, as a PDF reader gives them: one dict per character with its box in
points, origin top-left. Tables are laid out the way spreadsheet exports draw them: text centred
vertically in its cell, a label of a merged cell centred over the rows it covers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from formaudit.detect.forms import find_forms
from formaudit.detect.grid import cell_text, cluster_positions, grid_from_cells
from formaudit.detect.sections import split_sections
from formaudit.detect.text_grid import text_table
from formaudit.detect.text_rows import blocks_of, chunks_of, lines_of, rows_of
from formaudit.models import PageContent, TextLine
from formaudit.settings import ScanTextSettings

SIZE = 10.0


def place(text: str, x: float, top: float, size: float = SIZE) -> list[dict]:
    """The characters of `text` set left to right from (x, top), each one em wide."""
    return [{"text": ch, "x0": x + i * size, "x1": x + (i + 1) * size, "top": top, "bottom": top + size, "size": size,
             "upright": True} for i, ch in enumerate(text)]


def centred(text: str, x0: float, x1: float, top: float, bottom: float, size: float = SIZE) -> list[dict]:
    """`text` centred in the box (x0, top, x1, bottom), as a spreadsheet draws a cell."""
    width = len(text) * size
    return place(text, (x0 + x1 - width) / 2, (top + bottom - size) / 2, size)


# ---------------------------------------------------------------- chars -> lines -> chunks -> blocks


def test_lines_group_characters_by_their_vertical_centre():
    chars = place("乙行", 50, 40) + place("甲行", 50, 20) + place("同行", 200, 21)  # 1 pt lower: the same line
    lines = lines_of(chars)
    assert ["".join(c["text"] for c in line) for line in lines] == ["甲行同行", "乙行"]


def test_a_wide_gap_splits_a_line_into_chunks_and_a_narrow_one_does_not():
    line = lines_of(place("年初预算数", 10, 10) + place("全年", 10 + 5 * SIZE + 0.5 * SIZE, 10) + place("分值", 200, 10))[0]
    assert [c.text for c in chunks_of(line)] == ["年初预算数全年", "分值"]  # 0.5 em apart joins, 9 em apart splits


def test_a_wrapped_cell_is_one_block():
    chars = place("偏差原因分析", 100, 10) + place("及改进措施", 100, 10 + SIZE + 2) + place("分值", 300, 15)
    blocks = blocks_of([chunks_of(line) for line in lines_of(chars)])
    assert sorted(b.text for b in blocks) == ["偏差原因分析及改进措施", "分值"]


def test_lines_far_apart_are_separate_blocks():
    chars = place("产出指标", 100, 10) + place("效益指标", 100, 10 + 3 * SIZE)
    assert len(blocks_of([chunks_of(line) for line in lines_of(chars)])) == 2


# ---------------------------------------------------------------- blocks -> rows


def _blocks(chars):
    return blocks_of([chunks_of(line) for line in lines_of(chars)])


def test_rows_from_centres_and_a_label_centred_on_a_row_boundary_is_apart():
    """Three rows of three cells, 20 pt high; a merged label centred on the boundary of rows 1 and 2."""
    chars = []
    for r in range(3):
        top = 100 + 20 * r
        for c, word in enumerate(["数量指标", "完成数", "得分"]):
            chars += centred(f"{word}{r}", 100 + 80 * c, 180 + 80 * c, top, top + 20)
    chars += centred("产出指标", 10, 90, 100, 140)  # spans rows 0 and 1: its centre is their boundary
    rows, lone = rows_of(_blocks(chars))
    assert [len(r.blocks) for r in rows] == [3, 3, 3]
    assert [b.text for b in lone] == ["产出指标"]


# ---------------------------------------------------------------- bands, columns and label spans


def _ruleless_indicator_table() -> list[dict]:
    """An indicator table with no rules: a header of known words, a level-1 label printed once over
    three rows, and a 总分 row."""
    cols = [(10, 70), (70, 150), (150, 260), (260, 330), (330, 400), (400, 440), (440, 480)]
    header = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"]
    rows = [["数量指标", "培训人数", "≥100人", "120人", "20", "20"],
            ["质量指标", "合格率", "≥90%", "95%", "20", "20"],
            ["时效指标", "完成时间", "年底前", "11月", "10", "10"]]
    chars = []
    for (x0, x1), word in zip(cols, header):
        chars += centred(word, x0, x1, 100, 120)
    for r, cells in enumerate(rows):
        top = 120 + 20 * r
        for (x0, x1), word in zip(cols[1:], cells):
            chars += centred(word, x0, x1, top, top + 20)
    chars += centred("产出指标", *cols[0], 120, 180)  # one label for the three rows
    chars += centred("总分", 10, 330, 180, 200) + centred("50", 400, 440, 180, 200) + centred("50", 440, 480, 180, 200)
    return chars


def test_ruleless_table_columns_come_from_the_header_and_labels_span_their_rows():
    chars = _ruleless_indicator_table()
    boxes, carried = text_table(chars)
    grid = grid_from_cells(1, boxes, chars, source="text")
    spans = {c.text: (c.rowspan, c.colspan) for c in grid.cells if c.text}
    assert spans["产出指标"] == (3, 1)  # printed once, centred over three rows
    assert spans["培训人数"] == (1, 1) and spans["年度指标值"] == (1, 1)
    header_row = next(r for r in grid.rows() if any(c.text == "一级指标" for c in r.cells))
    assert [c.text for c in header_row.cells] == ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"]
    assert carried is None  # the table reached its 总分 row: nothing goes on to the next page


def test_a_table_cut_before_its_total_carries_its_header_to_the_next_page():
    chars = [ch for ch in _ruleless_indicator_table() if ch["top"] < 175]
    _, carried = text_table(chars)
    assert carried is not None and carried[0] == "indicators"
    assert {"level1", "level2", "name", "weight", "score"} <= set(carried[1])


# ---------------------------------------------------------------- ruled cells -> grid


def test_boundaries_closer_than_the_tolerance_are_one():
    assert cluster_positions([10.0, 10.8, 50.0, 51.5, 90.0]) == [10.4, 50.75, 90.0]


def test_grid_from_cells_keeps_merged_cells_as_spans_and_places_text_by_centre():
    boxes = [(0, 0, 100, 40), (100, 0, 200, 20), (100, 20, 200, 40), (0, 40, 200, 60)]
    chars = centred("产出指标", 0, 100, 0, 40) + centred("甲", 100, 200, 0, 20) + centred("乙", 100, 200, 20, 40) \
        + centred("总分", 0, 200, 40, 60)
    grid = grid_from_cells(1, boxes, chars)
    cells = {c.text: (c.row, c.col, c.rowspan, c.colspan) for c in grid.cells}
    assert cells == {"产出指标": (0, 0, 2, 1), "甲": (0, 1, 1, 1), "乙": (1, 1, 1, 1), "总分": (2, 0, 1, 2)}
    assert [[c.text for c in row.cells] for row in grid.rows()] == [["产出指标", "甲"], ["产出指标", "乙"], ["总分"]]


def test_too_few_cells_is_no_table():
    assert grid_from_cells(1, [(0, 0, 10, 10), (10, 0, 20, 10)], []) is None


def test_cell_text_keeps_lines_and_spaces_only_at_real_gaps():
    chars = place("ab", 0, 0) + place("cd", 2 * SIZE + 3, 0) + place("第二行", 0, SIZE + 2)
    assert cell_text(chars) == "ab cd\n第二行"


# ---------------------------------------------------------------- grids -> forms -> sections


FORM_ROWS = [
    ["项目资金（万元）", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
    ["年度资金总额", "100", "100", "90", "10", "90.00%", "9"],
    ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
    ["产出指标", "数量指标", "培训人数", "≥100人", "120人", "45", "45"],
    ["产出指标", "质量指标", "合格率", "≥90%", "95%", "45", "45"],
    ["总分", "", "", "", "", "100", "99"],
]


def _ruled_form_page(number: int, title: str | None, top: float = 100, rows: list[list[str]] = FORM_ROWS) -> PageContent:
    """A page with a title and a small ruled project form: funding header and row, indicator header,
    indicators, 总分."""
    boxes, chars = [], []
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            box = (50 + 70 * c, top + 20 * r, 120 + 70 * c, top + 20 * (r + 1))
            boxes.append(box)
            if text:
                chars += centred(text, box[0], box[2], box[1], box[3], size=8)
    grid = grid_from_cells(number, boxes, chars)
    lines = [TextLine(number, (200, top - 40, 400, top - 25), title)] if title else []
    return PageContent(number, 595, 842, grids=[grid], lines=lines)


def test_a_titled_page_is_one_form_and_its_sections_are_split():
    forms = find_forms([_ruled_form_page(1, "项目支出绩效自评表")])
    assert len(forms) == 1 and forms[0].form_type == "project" and forms[0].pages == [1]
    sections = split_sections(forms[0])
    assert len(sections.funding) == 1 and len(sections.indicators) == 2
    assert sections.total is not None


def test_a_table_cut_by_a_page_break_goes_on_on_the_next_page():
    first = _ruled_form_page(1, "项目支出绩效自评表", rows=FORM_ROWS[:4])
    rest = _ruled_form_page(2, None, top=40, rows=FORM_ROWS[4:])
    forms = find_forms([first, rest])
    assert len(forms) == 1 and forms[0].pages == [1, 2]
    assert len(split_sections(forms[0]).indicators) == 2


def test_a_label_run_into_the_value_before_it_is_split_off():
    """A scan that lost the rule between a unit's name and the next label: both fields are still read."""
    meta = [["主管部门", "某县统计局实施单位", "某县统计调查中心", ""], *FORM_ROWS]
    meta = [row + [""] * (7 - len(row)) for row in meta]
    sections = split_sections(find_forms([_ruled_form_page(1, "项目支出绩效自评表", rows=meta)])[0])
    assert sections.meta["unit_name"].text == "某县统计局"
    assert sections.meta["implementing_unit"].text == "某县统计调查中心"


def test_a_short_label_word_at_the_end_of_a_name_stays_in_it():
    from formaudit.detect.sections import split_run_on_label
    from formaudit.models import GridCell

    name = GridCell(1, 0, 1, 1, 1, (0, 0, 100, 20), "某县机关事务服务单位")  # ends with 单位, not a meta label
    assert [c.text for c in split_run_on_label(name)] == ["某县机关事务服务单位"]


def test_forms_on_consecutive_pages_are_two_forms_when_each_is_closed():
    forms = find_forms([_ruled_form_page(1, "项目支出绩效自评表"), _ruled_form_page(2, "项目支出绩效自评表")])
    assert [f.pages for f in forms] == [[1], [2]]


def test_the_next_page_is_read_only_while_a_form_is_left_open():
    from formaudit.detect.forms import form_left_open

    cut = _ruled_form_page(1, "项目支出绩效自评表", rows=FORM_ROWS[:4])
    assert form_left_open([cut])  # no 总分 yet: the table goes on
    assert not form_left_open([cut, _ruled_form_page(2, None, top=40, rows=FORM_ROWS[4:])])  # closed on page 2
    assert not form_left_open([_ruled_form_page(1, "项目支出绩效自评表")])  # closed on its own page
    budget_table = [["科目编码", "科目名称", "年初预算", "调整预算"], ["201", "一般公共服务支出", "100", "120"]]
    assert not form_left_open([_ruled_form_page(3, "一般公共预算财政拨款支出决算表", rows=budget_table)])  # no form at all
    # a form open on a page that does not come right after the last page read cannot go on
    assert not form_left_open([cut, _ruled_form_page(5, "某表", rows=budget_table)])


# ---------------------------------------------------------------- scans: skew and orientation


def test_skew_is_read_from_the_table_rules():
    from formaudit.ingest.scan import skew_angle, straighten

    ink = np.zeros((1200, 1600), dtype=np.uint8)
    for y in range(200, 1000, 80):
        ink[y:y + 3, 200:1400] = 255  # rules of a table
    turned = 255 - straighten(255 - ink, 2.0)  # rotate the ink by 2 degrees (straighten works on white paper)
    assert skew_angle(turned) == pytest.approx(-2.0, abs=0.1)
    assert skew_angle(ink) == pytest.approx(0.0, abs=0.1)


@pytest.mark.parametrize("angle", [0.7, -0.35, 1.2])
def test_skew_finer_than_the_hough_bins(angle):
    """Hough's bins are half a degree: the fine search finds what falls between them (a 0.3° error tilts a long
    table by 8 px, and rule pieces then read as digits in the cells)."""
    from formaudit.ingest.scan import skew_angle, straighten

    ink = np.zeros((1600, 1800), dtype=np.uint8)
    for y in range(200, 1400, 60):
        ink[y:y + 3, 150:1650] = 255
    turned = 255 - straighten(255 - ink, angle)
    assert skew_angle(turned) == pytest.approx(-angle, abs=0.06)


def test_a_page_lying_on_its_side_has_standing_text_lines():
    from formaudit.ingest.scan import needs_quarter_turn

    lying = [(100, 50 + 60 * i, 120, 300 + 60 * i) for i in range(8)]  # lines of text stand upright
    upright = [(50, 100 + 30 * i, 400, 118 + 30 * i) for i in range(8)]
    assert needs_quarter_turn(lying) and not needs_quarter_turn(upright)


# ---------------------------------------------------------------- options


def test_options_accept_only_known_values():
    from formaudit.api import GRIDS, READERS
    from formaudit.pipeline import GRIDS as PIPELINE_GRIDS
    from formaudit.pipeline import READERS as PIPELINE_READERS
    from formaudit.pipeline import Options

    assert (GRIDS, READERS) == (PIPELINE_GRIDS, PIPELINE_READERS)
    assert Options(grid="camelot", reader="pdfminer").grid == "camelot"
    for bad in (dict(grid="tabula"), dict(reader="pdfbox"), dict(max_pages=0), dict(max_bytes=-1), dict(max_pixels=True)):
        with pytest.raises(ValueError):
            Options(**bad)


# ---------------------------------------------------------------- the page scan: searchable scans


def _page_with_picture_and_text(path, render_mode: int) -> None:
    """A page image covering the page, with a line of text over it drawn in `render_mode` (3: invisible)."""
    import io

    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    Image.new("L", (200, 280), 230).save(buf, "PNG")
    c = canvas.Canvas(str(path), pagesize=(595, 842), invariant=1)
    c.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 0, 0, 595, 842)
    text = c.beginText(72, 700)
    text.setFont("Helvetica", 12)
    text.setTextRenderMode(render_mode)
    text.textLine("Project self-evaluation 2021 budget 1,250,000.00 executed 95.82")
    c.drawText(text)
    c.save()


@pytest.mark.parametrize("mode, searchable", [(3, True), (0, False)])
def test_invisible_text_over_a_page_image_is_a_searchable_scan(tmp_path, mode, searchable):
    from formaudit.ingest.pdf import needs_ocr, scan_pages, searchable_scan

    pdf = tmp_path / "page.pdf"
    _page_with_picture_and_text(pdf, mode)
    (scan,) = scan_pages(pdf)
    assert scan.chars > 40 and scan.invisible == (1.0 if searchable else 0.0)
    assert searchable_scan(scan) is searchable and needs_ocr(scan) is searchable


def _page_drawing(path, picture: str, alpha: int = 255) -> None:
    """Ten lines of visible text (render mode 0) on an A4 page, and a picture: "under" a page image drawn after
    the text (the text lies under it), "under-stamp" the same with a page number drawn over it, "background" a
    page image drawn first (a letterhead), "logo" a small image drawn over the text's first line, "translucent"
    a page image drawn after the text with a fill alpha of 0.3, "masked" one whose soft mask lets the text through
    (pixels' alpha `alpha`), "top-half" an image over the top half of the page, where all the text stands."""
    import io

    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    def image(size=(200, 280), mode="RGB", fill=(230, 230, 230)):
        buf = io.BytesIO()
        Image.new(mode, size, fill).save(buf, "PNG")
        return ImageReader(io.BytesIO(buf.getvalue()))

    def text():
        lines = c.beginText(72, 700)
        lines.setFont("Helvetica", 12)
        for k in range(10):
            lines.textLine(f"Project self-evaluation 2021 budget 1,250,000.00 executed 95.82 row {k}")
        c.drawText(lines)

    c = canvas.Canvas(str(path), pagesize=(595, 842), invariant=1)
    if picture == "background":
        c.drawImage(image(), 0, 0, 595, 842)
    text()
    if picture in ("under", "under-stamp"):
        c.drawImage(image(), 0, 0, 595, 842)
    if picture == "under-stamp":
        c.setFont("Helvetica", 9)
        c.drawString(280, 20, "page 3")
    if picture == "logo":
        c.drawImage(image((40, 40)), 60, 660, 80, 80)
    if picture == "translucent":
        c.setFillAlpha(0.3)
        c.drawImage(image(), 0, 0, 595, 842)
    if picture == "masked":
        c.drawImage(image(mode="RGBA", fill=(230, 230, 230, alpha)), 0, 0, 595, 842, mask="auto")
    if picture == "top-half":
        c.drawImage(image(), 0, 421, 595, 421)
    c.save()


@pytest.mark.parametrize("picture, searchable", [
    ("under", True), ("under-stamp", True), ("top-half", True),
    ("background", False), ("logo", False), ("translucent", False), ("masked", False),
])
def test_visible_text_that_a_page_image_drawn_after_it_covers_is_a_searchable_scan(tmp_path, picture, searchable):
    """Render mode 0 under the page's picture (Kofax's and ABBYY's "text under the page image") is a searchable
    scan; a logo, a letterhead drawn first, a picture that lets the text through are on a text page."""
    from formaudit.ingest.pdf import INVISIBLE_SHARE, needs_ocr, scan_pages, searchable_scan

    pdf = tmp_path / "page.pdf"
    _page_drawing(pdf, picture, alpha=60)
    (scan,) = scan_pages(pdf)
    assert scan.chars > 400 and scan.invisible == 0.0
    assert scan.covered >= INVISIBLE_SHARE if searchable else scan.covered == 0.0  # the page number shows
    assert searchable_scan(scan) is searchable and needs_ocr(scan) is searchable
    assert (scan.images == 1) is searchable  # a text page's images are not counted (a walk of every object)


def test_a_soft_mask_opaque_throughout_hides_the_text_under_it(tmp_path):
    from formaudit.ingest.pdf import scan_pages, searchable_scan

    pdf = tmp_path / "page.pdf"
    _page_drawing(pdf, "masked", alpha=255)
    (scan,) = scan_pages(pdf)
    assert scan.covered == 1.0 and searchable_scan(scan)


def test_the_page_scan_settings_bound_what_is_looked_at(tmp_path):
    """The picture must cover page_image_share of the page and stand among the last page_image_tail objects; a
    picture larger than opacity_check_pixels is not decoded and hides nothing."""
    from formaudit.ingest.pdf import scan_pages
    from formaudit.settings import PageScanSettings

    half, stamped = tmp_path / "half.pdf", tmp_path / "stamped.pdf"
    _page_drawing(half, "top-half")
    _page_drawing(stamped, "under-stamp")
    assert scan_pages(half, PageScanSettings(page_image_share=0.6))[0].covered == 0.0
    assert scan_pages(stamped, PageScanSettings(page_image_tail=1))[0].covered == 0.0  # the page number is last
    assert scan_pages(stamped, PageScanSettings(page_image_tail=2))[0].covered > 0.9
    assert scan_pages(stamped, PageScanSettings(opacity_check_pixels=200 * 280 - 1))[0].covered == 0.0



def test_the_page_scan_decodes_no_picture_past_the_callers_pixel_cap(tmp_path):
    from formaudit.ingest.pdf import open_document, scan_document
    from formaudit.pipeline import Options
    from formaudit.settings import PageScanSettings

    assert Options().page_scan == PageScanSettings()  # the default cap (150 Mpx) is above the scan's own
    capped = Options(max_pixels=200 * 280 - 1).page_scan
    assert capped.opacity_check_pixels == 200 * 280 - 1
    pdf = tmp_path / "page.pdf"
    _page_drawing(pdf, "under")
    document = open_document(pdf)
    try:
        assert scan_document(document, capped)[0].covered == 0.0
        assert scan_document(document, Options().page_scan)[0].covered == 1.0
    finally:
        document.close()


# ---------------------------------------------------------------- a searchable scan's layer against its OCR


def _ocr_chars(text: str, x: float, top: float, score: float = 0.7) -> list[dict]:
    return [dict(ch, confidence=score) for ch in place(text, x, top)]


def test_cells_whose_layer_reads_the_ocr_text_are_confirmed_and_the_rest_counted():
    from formaudit.detect.scan_layer import confirm_cells

    boxes = [(0, 0, 100, 30), (100, 0, 200, 30), (0, 30, 100, 60), (100, 30, 200, 60), (0, 60, 100, 90), (100, 60, 200, 90)]
    ocr = _ocr_chars("1689.4", 10, 10) + _ocr_chars("96.00%", 110, 10) + _ocr_chars("得分", 10, 40) \
        + _ocr_chars("一", 110, 40)
    grid = grid_from_cells(1, boxes, ocr, "ocr")
    layer = place("1689.4", 12, 11) + place("９６．００％", 108, 9) + place("得 分", 10, 40) + place("—", 110, 40) \
        + place("-", 110, 70)  # full-width forms and a space read alike; a dash the OCR did not see
    check = confirm_cells([grid], layer)
    by_text = {c.text: c.confirmed_by_layer for c in grid.cells}
    assert by_text == {"1689.4": True, "96.00%": True, "得分": True, "一": False, "": False}
    assert (check.confirmed, check.disagreeing) == (3, 2)  # the cell neither reader finds text in is not counted
    assert [c.text for c in grid.cells if c.text] == ["1689.4", "96.00%", "得分", "一"]  # the OCR's reading stands


def test_the_layer_is_placed_on_the_straightened_image_the_cells_were_found_on():
    """A page scanned 2 degrees askew: the layer's characters, where the PDF stands, move with the correction."""
    from formaudit.detect.scan_layer import on_corrected_image
    from formaudit.ingest.scan import PreparedPage, skew_matrix

    scale = 200 / 72
    shape = (round(842 * scale), round(595 * scale))
    prepared = PreparedPage(np.zeros(shape, np.uint8), scale, 0, 2.0, 595, 842, skew_matrix(shape, 2.0))
    page_box = prepared.page_box((400, 100, 410, 110))  # a character's box on the corrected image, on the page
    char = {"text": "4", "x0": page_box[0], "x1": page_box[2], "top": page_box[1], "bottom": page_box[3], "size": 10}
    (moved,) = on_corrected_image([char], prepared)
    assert abs((moved["x0"] + moved["x1"]) / 2 - 405) < 0.01 and abs((moved["top"] + moved["bottom"]) / 2 - 105) < 0.01


def _two_rows_ink(rule_dashes: bool) -> tuple[np.ndarray, list]:
    """Two columns, two rows at 72 dpi scale 1 (points = pixels): the left column keeps its middle rule, the right one
    shows only pale dashes of it (rule_dashes) or paper."""
    ink = np.zeros((120, 220), dtype=np.uint8)
    if rule_dashes:
        for x in range(110, 210, 40):
            ink[60, x:x + 32] = 255  # dashes shorter than the rule detector's kernel
    boxes = [(10, 20, 110, 60), (10, 60, 110, 100), (110, 20, 210, 100)]
    return ink, boxes


def test_a_tall_cell_is_cut_where_the_faded_rule_of_its_neighbours_row_runs_on():
    from formaudit.detect.scan_rows import restore_lost_rows

    ink, boxes = _two_rows_ink(rule_dashes=True)
    lines = [(120, 30, 200, 50), (120, 70, 200, 90)]  # one text line in each row
    scale = 200 / 72  # the rule band and insets are in 200-dpi pixels: the test's boxes stand at 200 dpi
    boxes_pt = [tuple(v / scale for v in b) for b in boxes]
    cut = restore_lost_rows(boxes_pt, ink, lines, scale)
    assert sorted(tuple(round(v * scale) for v in b) for b in cut) == [
        (10, 20, 110, 60), (10, 60, 110, 100), (110, 20, 210, 60), (110, 60, 210, 100)]


def test_a_merged_cell_stays_whole_without_the_rule_or_with_text_across_it():
    from formaudit.detect.scan_rows import restore_lost_rows

    scale = 200 / 72
    ink, boxes = _two_rows_ink(rule_dashes=False)
    boxes_pt = [tuple(v / scale for v in b) for b in boxes]
    assert restore_lost_rows(boxes_pt, ink, [(120, 30, 200, 50), (120, 70, 200, 90)], scale) == boxes_pt
    ink, _ = _two_rows_ink(rule_dashes=True)
    assert restore_lost_rows(boxes_pt, ink, [(120, 45, 200, 75)], scale) == boxes_pt  # a label centred on the boundary


def test_a_leaning_one_beside_digits_stays_a_one():
    from formaudit.detect.scan_strokes import keep_strokes_in_numbers
    from formaudit.ingest.ocr import OcrChar

    alone = OcrChar("/", 0.9, (10, 0, 18, 30), repaired_from="1")
    number = [OcrChar("/", 0.9, (100, 0, 108, 30), repaired_from="1"), OcrChar("5", 0.9, (108, 0, 116, 30))]
    kept = keep_strokes_in_numbers([alone, *number])
    assert [c.text for c in kept] == ["/", "1", "5"] and kept[1].repaired_from is None


def test_a_reading_one_character_short_of_a_label_is_told_apart():
    from formaudit.detect.scan_labels import one_short_of_label

    assert one_short_of_label("级指标")  # 一级指标, 二级指标, 三级指标
    assert not one_short_of_label("一级指标") and not one_short_of_label("100%") and not one_short_of_label("标")


SCAN_SCALE = 200 / 72  # pixels per point of a 200-dpi scan: the overshoot allowed is set in 200-dpi pixels


def _rule(x0: float, x1: float, y0: float, y1: float) -> dict:
    """A ruling line as rule_edges gives it (points): horizontal when y0 == y1, vertical when x0 == x1."""
    return {"x0": x0, "x1": x1, "top": y0, "bottom": y1, "width": x1 - x0, "height": y1 - y0,
            "orientation": "h" if y0 == y1 else "v", "object_type": "line"}


def _cut_table(vertical_end: float, vertical_start: float = 100) -> list[dict]:
    """Three columns, two closed rows (rules at 100, 130, 160); the side rules run on to vertical_end."""
    rules = [_rule(50, 350, y, y) for y in (100, 130, 160)]
    return rules + [_rule(x, x, vertical_start, vertical_end) for x in (50, 150, 250, 350)]


def _closing(edges: list[dict], lines: list) -> list[tuple[float, float, float]]:
    from formaudit.detect.scan_breaks import close_page_breaks
    from formaudit.detect.scan_grid import cell_boxes

    found = close_page_breaks(edges, cell_boxes(edges), lines, SCAN_SCALE)
    return sorted((e["x0"], e["x1"], e["top"]) for e in found)


def test_a_row_cut_open_at_the_page_foot_is_closed_where_its_side_rules_end():
    from formaudit.detect.scan_grid import cells_with_breaks_closed

    edges, text = _cut_table(400), [(60, 250, 140, 265)]  # a line of the cut row, in its first column
    assert _closing(edges, text) == [(50, 150, 400), (150, 250, 400), (250, 350, 400)]
    rows = cells_with_breaks_closed(edges, [tuple(v * SCAN_SCALE for v in ln) for ln in text], SCAN_SCALE)
    assert sorted({(b[1], b[3]) for b in rows[0]}) == [(100, 130), (130, 160), (160, 400)]


def test_a_row_cut_open_at_the_page_head_is_closed_where_its_side_rules_start():
    edges = [_rule(50, 350, y, y) for y in (100, 130, 160)] + [_rule(x, x, 20, 160) for x in (50, 150, 250, 350)]
    assert _closing(edges, [(160, 50, 240, 65)]) == [(50, 150, 20), (150, 250, 20), (250, 350, 20)]


def test_side_rules_overshooting_the_last_rule_close_nothing():
    """Morphology and the rule's thickness carry a vertical rule's end a little past the rule that stops it."""
    assert _closing(_cut_table(163), [(60, 140, 140, 155)]) == []
    assert _closing(_cut_table(163, vertical_start=97), [(60, 140, 140, 155)]) == []


def test_an_open_band_without_text_or_with_text_right_after_it_stays_open():
    assert _closing(_cut_table(400), []) == []  # an empty frame, no row was cut there
    followed = [(60, 250, 140, 265), (60, 410, 140, 425)]  # text just below the end: the page goes on, it is no break
    assert _closing(_cut_table(400), followed) == []


def test_strokes_of_a_large_title_are_not_the_table_s_rules():
    """A title's strokes pass the rule detector as short rules; they meet none of the table's rules."""
    title = [_rule(180, 180, 20, 40), _rule(200, 200, 20, 40), _rule(178, 202, 30, 30)]
    assert _closing(_cut_table(162) + title, [(170, 22, 230, 38)]) == []


def test_a_page_too_short_to_judge_takes_its_documents_verdict_on_the_text_layer():
    """A table's last rows alone on a page (14 characters, nearly all without a Unicode meaning) are read from the
    picture when another page of the document has the same unreadable fonts; alone, so few say nothing."""
    from formaudit.ingest.pdf import PageScan, judged_by_document, needs_ocr

    garbled_page = PageScan(1, "x" * 600, 600, 0, garbled=0.72)
    short_tail = PageScan(2, "x" * 14, 14, 0, garbled=0.93)
    assert [needs_ocr(s) for s in judged_by_document([garbled_page, short_tail])] == [True, True]
    readable = PageScan(1, "x" * 600, 600, 0, garbled=0.0)
    assert [needs_ocr(s) for s in judged_by_document([readable, short_tail])] == [False, False]
    assert not needs_ocr(judged_by_document([garbled_page, PageScan(2, "", 0, 0)])[1])  # an empty page stays empty


# ---------------------------------------------------------------- scans with no rules: judged, straightened, measured


def test_a_label_merged_over_rows_does_not_shrink_the_padding_between_rows():
    """项目资金（万元） wrapped over two lines beside one row reaches into the padding above and below it: it is no
    measure of that padding. Measured from it, the padding looks a fraction of itself, and a label centred on the
    boundary of two later rows (绩效指标) no longer looks squeezed between them: it would become a row of its own."""
    chars = []
    for r in range(5):
        top = 100 + 20 * r
        for c, word in enumerate(["甲项", "乙项", "丙项"]):
            chars += centred(f"{word}{r}", 100 + 80 * c, 180 + 80 * c, top, top + 20)
    chars += place("项目资金", 10, 117.8) + place("万元", 10, 132.2)  # two lines, centred on row 1 (120-140)
    chars += centred("绩效指标", 10, 90, 170, 190)  # centred on the boundary of rows 3 and 4
    rows, lone = rows_of(_blocks(chars))
    assert [b.text for b in lone] == ["绩效指标"]
    assert len(rows) == 5


def _quad(x0: float, y0: float, x1: float, y1: float, lean: float = 0.0) -> tuple:
    """A detector line's four corners, the box leaning by `lean` degrees about its top-left corner."""
    dy = math.tan(math.radians(lean)) * (x1 - x0)
    return ((x0, y0), (x1, y0 + dy), (x1, y1 + dy), (x0, y1))


def _lines_of_a_form(lean: float = 0.0) -> list[tuple]:
    """Twelve rows of four cells' text (a form's), 40 px apart, leaning by `lean` across the page."""
    slope = math.tan(math.radians(lean))
    return [_quad(x, 100 + 40 * r + slope * x, x + 150, 130 + 40 * r + slope * x, lean)
            for r in range(12) for x in (100, 400, 700, 1000)]


def _lines_of_prose(lean: float = 0.0) -> list[tuple]:
    """Thirty lines of a paragraph, each the width of the text, and a heading and a page number."""
    lines = [_quad(100, 100 + 40 * r, 1500, 130 + 40 * r, lean) for r in range(30)]
    return lines + [_quad(100, 40, 400, 70, lean), _quad(780, 1400, 820, 1430, lean)]


@pytest.mark.parametrize("lean", [0.0, 1.5, -2.5])
def test_a_page_of_cells_looks_like_a_form_and_prose_does_not(lean):
    from formaudit.detect.scan_text import looks_like_form

    form, prose = _lines_of_a_form(lean), _lines_of_prose(lean)
    assert looks_like_form(form, lean) and not looks_like_form(prose, lean)
    # two columns of prose stand two to a row: no form either
    columns = [_quad(x, 100 + 40 * r, x + 650, 130 + 40 * r) for r in range(30) for x in (100, 850)]
    assert not looks_like_form(columns, 0.0)


def test_a_form_leaning_across_the_page_keeps_its_rows():
    """At 2.5° a row's last cell stands 40 px lower than its first, a whole row's pitch: rows are found square to
    the page's lean, not on the page's own axes."""
    from formaudit.detect.scan_text import rows_of_lines

    lines = _lines_of_a_form(2.5)
    assert [len(row) for row in rows_of_lines(lines, 2.5)] == [4] * 12


@pytest.mark.parametrize("angle", [0.8, -1.5, 3.1])
def test_skew_of_a_page_with_no_rules_is_read_from_its_text_lines(angle):
    """Lines of text broken into characters (no long run of ink for Hough or the rules' search to keep): the
    angle that makes their rows of ink most peaked."""
    from formaudit.ingest.scan import straighten, text_skew

    ink = np.zeros((1600, 1400), dtype=np.uint8)
    for y in range(150, 1450, 45):
        for x in range(150, 1250, 30):
            ink[y:y + 22, x:x + 22] = 255  # a character's ink, 8 px apart from the next
    turned = 255 - straighten(255 - ink, angle)
    assert text_skew(turned) == pytest.approx(-angle, abs=0.06)


def test_ocr_characters_are_as_tall_as_their_line_s_ink():
    """The detector's line box is about twice as tall as its text: a line of ideographs is given the font size its
    ink tells (ink_em_share of it); a line of a dash alone (its ink a stroke) the page's usual size, about its
    own ink's middle."""
    from formaudit.detect.scan_text import ink_chars
    from formaudit.ingest.ocr import OcrChar

    ink = np.zeros((300, 600), dtype=np.uint8)
    for x in range(100, 220, 30):
        ink[100:124, x:x + 24] = 255  # four ideographs, 24 px tall, in a line box 100-124 padded to 88-136
    ink[210:213, 400:424] = 255  # a dash, in a line box 196-226
    found = [OcrChar(ch, 0.9, (x, 88, x + 24, 136), line=0) for ch, x in zip("项目资金", range(100, 220, 30))]
    found.append(OcrChar("—", 0.9, (400, 196, 424, 226), line=1))
    chars = ink_chars(found, ink, scale=2.0, settings=ScanTextSettings(ink_em_share=0.8))
    assert [(c["top"], c["bottom"]) for c in chars[:4]] == [(48.5, 63.5)] * 4  # ink 100-124 px: 12 pt of 15, centred
    assert chars[4]["bottom"] - chars[4]["top"] == pytest.approx(15.0)  # a dash as tall as the text
    assert (chars[4]["top"] + chars[4]["bottom"]) / 2 == pytest.approx(105.75)  # about its ink's middle (211.5 px)


def _ocr_line(*pieces: tuple[str, float, float], line: int = 0) -> list:
    """OCR characters of one detector line: (text, x0, x1) each, 10 px tall."""
    from formaudit.ingest.ocr import OcrChar

    return [OcrChar(text, 0.9, (x0, 100, x1, 110), line=line) for text, x0, x1 in pieces]


def test_a_space_inside_a_detector_line_is_closed_and_its_splits_are_kept():
    """OCR boxes hold ink: the characters of one word stand apart, a space after a comma is three quarters of the
    font size. Inside one detector line such gaps are closed (a text layer's characters touch); a gap the
    detector cut its line at stays, as does a wide one inside a line (一级指标  二级指标)."""
    from formaudit.detect.scan_text import close_spaces

    found = _ocr_line(("费", 0, 8), ("，", 9, 12), ("使", 19.5, 28)) + _ocr_line(("实", 37, 45), line=1)
    found += _ocr_line(("标", 60, 70), ("二", 81, 89), line=2)
    chars = [{"x0": c.box[0], "x1": c.box[2], "size": 10.0} for c in found]
    close_spaces(found, chars, ScanTextSettings(line_gap_em=0.9))
    assert [(c["x0"], c["x1"]) for c in chars] == [(0, 9), (9, 19.5), (19.5, 28), (37, 45), (60, 70), (81, 89)]


def test_a_full_width_mark_takes_a_whole_font_size_on_its_empty_side():
    """”“ between two quotations: their ink stands at the far sides of two characters' room."""
    from formaudit.detect.scan_text import widen_punctuation

    chars = [{"text": t, "x0": x0, "x1": x1, "size": 10.0} for t, x0, x1 in
             (("作", 0, 10), ("”", 10, 13), ("“", 27, 30), ("中", 30, 40), ("5", 40, 45))]
    widen_punctuation(chars)
    assert [(c["x0"], c["x1"]) for c in chars] == [(0, 10), (10, 20), (20, 30), (30, 40), (40, 45)]
