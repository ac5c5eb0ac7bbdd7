"""Scanned pages with no rules: a form printed without them (or whose rules the scan lost), read from where its
text stands, as detect/text_grid.py reads a rule-less text-layer page.

    picture -> the text detector's lines (no recognition) -> a form? (rows of cells side by side) -> no: not read
            -> straightened by its text lines' lean (scan.text_skew) -> OCR -> marks the detector passed over, read alone
            -> characters' heights from their ink -> text_table_steps -> grid_from_cells("ocr") -> scan repairs

Most scanned pages without rules are prose (a report's chapters, letters): OCR costs seconds a page, so the
page is first judged on the detector's line boxes alone, a fraction of that. Prose lines run the width of the
text, one to a row; a form's stand side by side in cells, several to a row, row after row. A page that follows a
form left open on the page before, or whose searchable layer names a form, is read without being judged.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import cv2
import numpy as np

from formaudit.detect.grid import _inside, grid_from_cells, text_lines
from formaudit.detect.scan_grid import POINTS_PER_INCH, repair_slashes, upright_reading
from formaudit.detect.scan_labels import reread_short_labels
from formaudit.detect.scan_strokes import keep_strokes_in_numbers
from formaudit.detect.text_grid import Carried, text_table_steps
from formaudit.ingest.ocr import OcrChar, OcrPage, Quad, detect_lines, read_line
from formaudit.ingest.scan import PreparedPage, binary, needs_quarter_turn, straightened_by, text_skew, turned
from formaudit.models import BBox, PageContent, TextTableSteps
from formaudit.settings import DEFAULT, ScanTextSettings, Settings

SCAN_TEXT = DEFAULT.scan_text


# ---------------------------------------------------------------- the detector's lines: a form or not


def quad_bounds(quad: Quad) -> BBox:
    xs = [p[0] for p in quad]
    ys = [p[1] for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


def _length(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(b[0] - a[0], b[1] - a[1])


def rows_of_lines(quads: Sequence[Quad], lean: float, settings: ScanTextSettings = SCAN_TEXT) -> list[list[Quad]]:
    """The lines grouped into rows by their centres' height, measured square to the page's lean."""
    if not quads:
        return []
    slope = math.tan(math.radians(lean))
    height = statistics.median(_length(q[0], q[3]) for q in quads)

    def level(q: Quad) -> float:  # the centre's height, the lean taken out
        cx, cy = sum(p[0] for p in q) / 4, sum(p[1] for p in q) / 4
        return cy - slope * cx

    rows: list[list[Quad]] = []
    last = -math.inf
    for q in sorted(quads, key=level):
        if rows and level(q) - last <= settings.same_row_share * height:
            rows[-1].append(q)
        else:
            rows.append([q])
        last = level(q)
    return rows


def looks_like_form(quads: Sequence[Quad], lean: float, settings: ScanTextSettings = SCAN_TEXT) -> bool:
    """Rows of cells: several lines side by side on a row (prose has one line to a row, a two-column page two),
    row after row. Any table passes (a rule-less budget table too, as a ruled one is read whatever it holds);
    a page of prose, a letter or a cover does not."""
    cell_rows = sum(1 for row in rows_of_lines(quads, lean, settings) if len(row) >= settings.row_cells)
    return cell_rows >= settings.form_rows


# ---------------------------------------------------------------- OCR characters -> the text grid's characters


def _line_extents(found: Sequence[OcrChar], ink: np.ndarray,
                  settings: ScanTextSettings = SCAN_TEXT) -> dict[int, tuple[float, float] | None]:
    """Each line's top and bottom of ink (pixels), None where no ink stands at its middle.

    The detector's box reaches about half a line's height past the text on either side, so the OCR
    characters are twice as tall as the text: the row and wrapped-cell gaps of the rule-less table
    (in font sizes) would close. Ink whose centre lies near the middle of the line's box is the line's;
    a neighbour line's reaching into the box is centred outside it."""
    count, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    stats, centres = stats[1:count], centres[1:count]
    lines: dict[int, list[OcrChar]] = {}
    for c in found:
        lines.setdefault(c.line, []).append(c)
    out: dict[int, tuple[float, float] | None] = {}
    for n, chars in lines.items():
        x0, x1 = min(c.box[0] for c in chars), max(c.box[2] for c in chars)
        top, bottom = min(c.box[1] for c in chars), max(c.box[3] for c in chars)
        # ink taller than the line's box is no character of it (a vertical rule, where only those were printed)
        inside = ((centres[:, 0] >= x0) & (centres[:, 0] <= x1) & (centres[:, 1] >= top) & (centres[:, 1] <= bottom)
                  & (stats[:, cv2.CC_STAT_HEIGHT] <= bottom - top))
        if not inside.any():
            out[n] = None
            continue
        middle = float(np.median(centres[inside, 1]))
        core = inside & (np.abs(centres[:, 1] - middle) <= settings.line_core_share * (bottom - top))
        out[n] = (float(stats[core, cv2.CC_STAT_TOP].min()),
                  float((stats[core, cv2.CC_STAT_TOP] + stats[core, cv2.CC_STAT_HEIGHT]).max()))
    return out


def _ideographs(text: str) -> int:
    return sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")


def ink_chars(found: Sequence[OcrChar], ink: np.ndarray, scale: float,
              settings: ScanTextSettings = SCAN_TEXT) -> list[dict]:
    """OCR characters in the shape of pdfplumber's, each as tall as its line's text.

    A text layer's characters are all one font size tall, whatever their ink. A run of ideographs' ink fills
    nearly all its font size (ink_em_share): such a line is given the size its ink tells (a paragraph in a small
    font stays small). A line of digits or dashes, or of an ideograph or two (一 is a stroke), has less ink than
    its font size: it is given the page's usual size of the measured lines at least. Each about its own ink's
    middle. (Ink boxes a fraction of a point inside the font's would widen every gap the rule-less table
    measures in font sizes: the lines of a wrapped cell, 0.35 em apart on the page, would come out 0.45.)"""
    extents = _line_extents(found, ink, settings)
    texts: dict[int, str] = {}
    for c in found:
        texts[c.line] = texts.get(c.line, "") + c.text

    def measured(n: int) -> bool:
        return _ideographs(texts[n]) >= settings.measured_line_ideographs

    def size(extent: tuple[float, float]) -> float:  # the font size its ink tells
        return (extent[1] - extent[0]) / settings.ink_em_share

    sizes = [size(e) for n, e in extents.items() if e is not None and measured(n)]
    usual = statistics.median(sizes) if sizes else 0.0
    out = []
    for c in found:
        extent = extents.get(c.line)
        middle = (extent[0] + extent[1]) / 2 if extent else (c.box[1] + c.box[3]) / 2
        if extent is None:
            height = usual or c.box[3] - c.box[1]
        elif measured(c.line):
            height = size(extent)
        else:
            height = max(size(extent), usual)
        top, bottom = (middle - height / 2) / scale, (middle + height / 2) / scale
        out.append({"text": c.text, "x0": c.box[0] / scale, "x1": c.box[2] / scale, "top": top, "bottom": bottom,
                    "size": bottom - top, "upright": True, "doctop": top, "confidence": c.score,
                    **({"repaired_from": c.repaired_from} if c.repaired_from else {})})
    widen_punctuation(out)
    close_spaces(found, out, settings)
    return out


OPENING = frozenset("“‘（《〈【「『〔［｛")  # full-width marks whose ink stands at the right of their room
CLOSING = frozenset("”’）》〉】」』〕］｝，。、；：！？")  # ... at the left


def widen_punctuation(chars: list[dict]) -> None:
    """A full-width mark given the room a text layer gives it: a whole font size, on the side its ink leaves
    empty. Its OCR box holds its ink alone, a third of that: between ”“ (“街镇特色工作”“中小微企业发展”) the
    ink leaves most of two characters' room blank, and the detector may cut its line there."""
    for ch in chars:
        missing = ch["size"] - (ch["x1"] - ch["x0"])
        if missing <= 0:
            continue
        if ch["text"] in OPENING:
            ch["x0"] -= missing
        elif ch["text"] in CLOSING:
            ch["x1"] += missing


def close_spaces(found: Sequence[OcrChar], chars: list[dict], settings: ScanTextSettings = SCAN_TEXT) -> None:
    """Characters of one detector line a space apart are made to touch, as a text layer's are.

    OCR boxes hold a character's ink, narrower than the room it takes, and the text a space (，  使): gaps of
    three quarters of the font size stand inside a cell's text, where the rule-less table splits cells at 0.6.
    The detector's lines tell: it splits a line where the text stops (年度指标值 | 实际完成值, 0.9 apart) and runs
    on over a space; the gaps it runs on over that could be no space between words (line_gap_em) are closed."""
    for i in range(len(found) - 1):
        here, there = chars[i], chars[i + 1]
        if found[i].line == found[i + 1].line and 0 < there["x0"] - here["x1"] < settings.line_gap_em * here["size"]:
            here["x1"] = there["x0"]


def passed_over(reading: OcrPage, prepared: PreparedPage, ink: np.ndarray, settings: Settings = DEFAULT) -> list[OcrChar]:
    """Marks outside every line the detector found, read alone: it passes over a lone short mark (the — or / of an
    empty cell, a single 0). With no rules, such a mark is the only sign its cell is there: a row of 其他资金
    whose every value is — would otherwise leave its label beside empty columns, free to join one of them."""
    grid_settings, text_settings = settings.scan_grid, settings.scan_text
    dpi = prepared.scale * POINTS_PER_INCH
    covered = np.zeros_like(ink)
    for x0, y0, x1, y1 in reading.lines:
        covered[max(0, int(y0)):int(math.ceil(y1)) + 1, max(0, int(x0)):int(math.ceil(x1)) + 1] = 255
    left = cv2.bitwise_and(ink, cv2.bitwise_not(covered))
    join = text_settings.px(text_settings.glyph_join_px, dpi)
    marks = cv2.dilate(left, cv2.getStructuringElement(cv2.MORPH_RECT, (join, join)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(marks, connectivity=8)
    tallest = max((y1 - y0 for _, y0, _, y1 in reading.lines), default=0.0)
    least_ink, least_size = grid_settings.area(grid_settings.min_ink_pixels, dpi), grid_settings.px(grid_settings.min_glyph_px, dpi)
    pad = grid_settings.px(grid_settings.reread_pad_px, dpi)
    first_line = max((c.line for c in reading.chars), default=-1) + 1
    out: list[OcrChar] = []
    for x, y, w, h, _ in stats[1:count]:
        if max(w, h) < least_size or h > tallest or cv2.countNonZero(left[y:y + h, x:x + w]) < least_ink:
            continue  # a speck, or something no line of text is as tall as (a border, a picture)
        crop = prepared.image[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad]
        read = read_line(crop)
        if read and read[0].strip():
            out.append(OcrChar(read[0].strip(), read[1], (float(x), float(y), float(x + w), float(y + h)),
                               line=first_line + len(out)))
    return out


# ---------------------------------------------------------------- the page


def _straight(prepared: PreparedPage, settings: Settings) -> tuple[PreparedPage, list[Quad]]:
    """The page on its feet (a quarter turn where its lines stand on end) and its detector lines."""
    quads = detect_lines(prepared.image)
    if needs_quarter_turn([quad_bounds(q) for q in quads], settings.scan_image):
        prepared = turned(prepared, 90, settings.scan_image)
        quads = detect_lines(prepared.image)
    return prepared, quads


def steps_on_page(steps: TextTableSteps, prepared: PreparedPage) -> TextTableSteps:
    """The steps where they stand on the page as the PDF has it (they were found on the straightened image), for
    formaudit debug to draw over the page; rows and bands by their height at the page's middle."""
    middle = prepared.width_pt / 2

    def height(y: float) -> float:
        box = prepared.page_box((middle, y, middle, y))
        return round((box[1] + box[3]) / 2, 2)

    return TextTableSteps(blocks=[prepared.page_box(b) for b in steps.blocks],
                          rows=[(height(top), height(bottom)) for top, bottom in steps.rows],
                          lone=[prepared.page_box(b) for b in steps.lone],
                          bands=[(kind, height(top), height(bottom)) for kind, top, bottom in steps.bands],
                          boxes=[prepared.page_box(b) for b in steps.boxes])


def read_without_rules(prepared: PreparedPage, number: int, settings: Settings = DEFAULT,
                       carried: Carried | None = None, expect_form: bool = False) -> tuple[PageContent | None, Carried | None]:
    """A scanned page with no ruled table: None (not read) unless it looks like a form, or one is expected
    (`expect_form`: the page before left a form open, or a text layer names one); else the page read by OCR,
    its rule-less table found from its text, and the header to carry to the next page."""
    prepared, quads = _straight(prepared, settings)
    lean = text_skew(binary(prepared.image, settings.scan_image), settings.scan_image)
    if not expect_form and carried is None and not looks_like_form(quads, lean, settings.scan_text):
        return None, None
    prepared = straightened_by(prepared, lean, settings.scan_image)
    prepared, reading = upright_reading(prepared, settings)
    ink = binary(prepared.image, settings.scan_image)
    grid_settings = settings.scan_grid
    found = keep_strokes_in_numbers(repair_slashes(reading.chars + passed_over(reading, prepared, ink, settings), ink,
                                                   grid_settings), grid_settings)
    chars = ink_chars(found, ink, prepared.scale, settings.scan_text)
    steps, carry = text_table_steps(chars, carried, settings.text)
    grid = grid_from_cells(number, steps.boxes, chars, "ocr", settings.ruled) if steps.boxes else None
    grids = [grid] if grid is not None else []
    for g in grids:
        reread_short_labels(g, prepared, ink, grid_settings)
        for cell in g.cells:  # the record's boxes are on the page as the PDF stands, not on the corrected image
            cell.page_bbox = prepared.page_box(cell.bbox)
    outside = [ch for ch in chars if not any(_inside(ch, g.bbox, settings.ruled.inside_pad) for g in grids)]
    content = PageContent(number, prepared.width_pt, prepared.height_pt, grids,
                          text_lines(number, outside, settings.ruled), kind="scan")
    content.text_steps = steps_on_page(steps, prepared) if grids else None
    return content, (carry if grids else None)
