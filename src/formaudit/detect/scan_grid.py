"""Scanned pages -> the same grid model as text-layer pages.

Ruling lines are found by morphology (long horizontal and vertical kernels), turned
into edges in PDF points and handed to pdfplumber's own edges -> intersections ->
cells functions; OCR characters take the place of the text layer's characters. From
there, sections, normalizers and the validator are the text-layer path's, unchanged.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
from pdfplumber import table as plumber_table

from formaudit.detect.cells import intersections_to_cells
from formaudit.detect.grid import _inside, grid_from_cells, text_lines
from formaudit.detect.scan_breaks import close_page_breaks
from formaudit.detect.scan_labels import reread_short_labels
from formaudit.detect.scan_layer import confirm_cells, on_corrected_image
from formaudit.detect.scan_lines import read_unread_lines
from formaudit.detect.scan_rows import restore_lost_rows
from formaudit.detect.scan_strokes import keep_strokes_in_numbers
from formaudit.ingest.ocr import OcrChar, OcrPage, read_line, recognize
from formaudit.ingest.scan import PreparedPage, binary, content_box, needs_quarter_turn, turned
from formaudit.models import PageContent
from formaudit.settings import DEFAULT, ScanGridSettings, Settings

SCAN_GRID = DEFAULT.scan_grid
POINTS_PER_INCH = 72


def rule_edges(ink: np.ndarray, scale: float, settings: ScanGridSettings = SCAN_GRID) -> list[dict]:
    """Horizontal and vertical ruling lines as pdfplumber edges (points, top-left origin)."""
    h, w = ink.shape
    dpi = scale * POINTS_PER_INCH
    shortest, bridge = settings.px(settings.min_rule_px, dpi), settings.px(settings.rule_bridge_px, dpi)
    thickest = settings.px(settings.max_rule_thickness_px, dpi)
    edges = []
    for orientation, kernel in (("h", (max(shortest, w // settings.horizontal_rule_share), 1)),
                                ("v", (1, max(shortest, h // settings.vertical_rule_share)))):
        mask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        # bridge small gaps left by noise or a faint print
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 1) if orientation == "h" else (1, bridge)))
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for x, y, bw, bh, _area in stats[1:count]:
            thickness = bh if orientation == "h" else bw
            if thickness > thickest:
                continue
            if orientation == "h":
                mid = (y + bh / 2) / scale
                edges.append({"x0": x / scale, "x1": (x + bw) / scale, "top": mid, "bottom": mid, "width": bw / scale,
                              "height": 0, "orientation": "h", "object_type": "line"})
            else:
                mid = (x + bw / 2) / scale
                edges.append({"x0": mid, "x1": mid, "top": y / scale, "bottom": (y + bh) / scale, "width": 0,
                              "height": bh / scale, "orientation": "v", "object_type": "line"})
    return edges


def cell_boxes(edges: list[dict], settings: ScanGridSettings = SCAN_GRID) -> list[list[tuple[float, float, float, float]]]:
    """pdfplumber's own chain: merge edges, intersect, cells, tables."""
    tol = settings.merge_tolerance
    merged = plumber_table.merge_edges(edges, tol, tol, tol, tol)
    intersections = plumber_table.edges_to_intersections(merged, tol, tol)
    cells = intersections_to_cells(intersections)
    return [t for t in plumber_table.cells_to_tables(cells) if len(t) >= DEFAULT.ruled.min_cells]


def as_chars(found: list[OcrChar], scale: float) -> list[dict]:
    """OCR characters in the shape of pdfplumber's characters."""
    return [{"text": c.text, "x0": c.box[0] / scale, "x1": c.box[2] / scale, "top": c.box[1] / scale,
             "bottom": c.box[3] / scale, "size": (c.box[3] - c.box[1]) / scale, "upright": True, "doctop": c.box[1] / scale,
             "confidence": c.score, **({"repaired_from": c.repaired_from} if c.repaired_from else {})}
            for c in found]


VERTICAL_STROKES = {"1", "l", "I", "|"}


def stroke_slant(ink: np.ndarray, settings: ScanGridSettings = SCAN_GRID) -> float | None:
    """The lean from vertical, in degrees, of the stroke at the centre of a character box.

    rapidocr's character boxes divide a line's box, so they may hold a neighbour's ink: the
    connected component nearest the box's centre is taken, and its principal axis measured.
    """
    if ink.size == 0:
        return None
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count < 2:
        return None
    h, w = ink.shape
    centre = np.array([w / 2, h / 2])
    candidates = [i for i in range(1, count) if stats[i, cv2.CC_STAT_HEIGHT] >= settings.stroke_height_share * h]
    if not candidates:
        return None
    best = min(candidates, key=lambda i: np.linalg.norm(centroids[i] - centre))
    ys, xs = np.nonzero(labels == best)
    if len(xs) < settings.min_stroke_pixels or stats[best, cv2.CC_STAT_HEIGHT] < settings.stroke_aspect * stats[best, cv2.CC_STAT_WIDTH]:
        return None
    cov = np.cov(np.vstack([xs - xs.mean(), ys - ys.mean()]))
    vals, vecs = np.linalg.eigh(cov)
    vx, vy = vecs[:, np.argmax(vals)]
    return float(np.degrees(np.arctan2(abs(vx), abs(vy))))


def lying_stroke(ink: np.ndarray, settings: ScanGridSettings = SCAN_GRID) -> bool:
    """The ink at the centre of a character box is one short stroke lying flat: a dash, whatever it was read as."""
    if ink.size == 0:
        return False
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count != 2:  # one piece of ink, nothing else: a dash alone in its box
        return False
    width, height = stats[1, cv2.CC_STAT_WIDTH], stats[1, cv2.CC_STAT_HEIGHT]
    return stats[1, cv2.CC_STAT_AREA] >= settings.min_stroke_pixels and width >= settings.stroke_aspect * height \
        and height < settings.stroke_height_share * ink.shape[0]


def repair_slashes(found: list[OcrChar], ink: np.ndarray, settings: ScanGridSettings = SCAN_GRID) -> list[OcrChar]:
    """OCR reads the "/" of an empty cell as "1", and a short dash too: tell them apart by the stroke's lean and
    its lie. Recorded, not silent."""
    out = []
    for c in found:
        if c.text in VERTICAL_STROKES:
            x0, y0, x1, y1 = (int(round(v)) for v in c.box)
            box_ink = ink[max(0, y0):y1, max(0, x0):x1]
            slant = stroke_slant(box_ink, settings)
            if slant is not None and slant > settings.slash_slant:
                out.append(replace(c, text="/", repaired_from=c.text))
                continue
            if lying_stroke(box_ink, settings):
                out.append(OcrChar("-", c.score, c.box, repaired_from=c.text))
                continue
        out.append(c)
    return out


def reread_empty_cells(grid, prepared: PreparedPage, ink: np.ndarray, settings: ScanGridSettings = SCAN_GRID) -> None:
    """The text detector passes over a lone short value (a single 0): read cells that hold ink but no text."""
    scale = prepared.scale
    dpi = scale * POINTS_PER_INCH
    inset, pad = settings.px(settings.cell_inset_px, dpi), settings.px(settings.reread_pad_px, dpi)
    least_ink, least_height = settings.area(settings.min_ink_pixels, dpi), settings.px(settings.min_glyph_px, dpi)
    for cell in grid.cells:
        if cell.text:
            continue
        x0, y0, x1, y1 = (int(round(v * scale)) for v in cell.bbox)
        crop_ink = ink[y0 + inset:y1 - inset, x0 + inset:x1 - inset]
        if crop_ink.size == 0 or cv2.countNonZero(crop_ink) < least_ink:
            continue
        ys, xs = np.nonzero(crop_ink)
        if ys.max() - ys.min() < least_height:  # specks and dust, not a character
            continue
        top, left = y0 + inset + ys.min(), x0 + inset + xs.min()
        window = (slice(max(0, top - pad), y0 + inset + ys.max() + pad), slice(max(0, left - pad), x0 + inset + xs.max() + pad))
        read = read_line(prepared.image[window])
        if read and read[0].strip():
            cell.text, cell.confidence = read[0].strip(), read[1]
            # a lone stroke read alone is told from "/" by its lean, as on the whole page (repair_slashes)
            slant = stroke_slant(ink[window], settings) if cell.text in VERTICAL_STROKES else None
            if slant is not None and slant > settings.slash_slant:
                cell.repairs.append(f"{cell.text} -> /")
                cell.text = "/"


def recognize_content(image: np.ndarray, ink: np.ndarray | None = None, settings: Settings = DEFAULT) -> OcrPage:
    """OCR of the page's inked region where it is small (ScanImageSettings.content_crop_share), else of the whole
    page; boxes in the page image's pixels either way."""
    ink = binary(image, settings.scan_image) if ink is None else ink
    box = content_box(ink, settings.scan_image)
    h, w = image.shape[:2]
    if box is None or max(box[2] - box[0], box[3] - box[1]) > settings.scan_image.content_crop_share * max(w, h):
        return recognize(image)
    x0, y0, x1, y1 = box
    found = recognize(np.ascontiguousarray(image[y0:y1, x0:x1]))

    def moved(b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        return (b[0] + x0, b[1] + y0, b[2] + x0, b[3] + y0)

    return OcrPage([replace(c, box=moved(c.box)) for c in found.chars], [moved(line) for line in found.lines])


def upright_reading(prepared: PreparedPage, settings: Settings = DEFAULT,
                    ink: np.ndarray | None = None) -> tuple[PreparedPage, OcrPage]:
    """OCR the page; if its text lines stand on end, turn it a quarter; if it reads poorly, a half.
    (ink: the page's ink mask, where the caller has it.)"""
    reading = recognize_content(prepared.image, ink, settings)
    if needs_quarter_turn(reading.lines, settings.scan_image):
        prepared = turned(prepared, 90, settings.scan_image)
        reading = recognize_content(prepared.image, None, settings)
    if reading.chars and reading.mean_score < settings.scan_grid.poor_reading:
        flipped = turned(prepared, 180, settings.scan_image)
        again = recognize_content(flipped.image, None, settings)
        if again.mean_score > reading.mean_score:
            prepared, reading = flipped, again
    return prepared, reading


def cells_with_breaks_closed(edges: list[dict], lines: list, scale: float,
                             settings: ScanGridSettings = SCAN_GRID) -> list[list[tuple[float, float, float, float]]]:
    """The tables' cells, with rows a page break left open closed first (lines: OCR text lines in pixels)."""
    tables = cell_boxes(edges, settings)
    line_boxes = [tuple(v / scale for v in ln) for ln in lines]
    closing = close_page_breaks(edges, tables, line_boxes, scale, settings)
    return cell_boxes(edges + closing, settings) if closing else tables


def read_prepared(prepared: PreparedPage, number: int, ink: np.ndarray, edges: list[dict],
                  settings: Settings = DEFAULT, layer: list[dict] | None = None) -> PageContent:
    """OCR a page whose ink mask and rules are known; they are found again only if the page had to be turned.
    `layer`: a searchable scan's own text-layer characters (page points), checked against the OCR cell by cell."""
    upright, reading = upright_reading(prepared, settings, ink)
    grid_settings = settings.scan_grid
    if upright is not prepared:
        ink = binary(upright.image, settings.scan_image)
        edges = rule_edges(ink, upright.scale, grid_settings)
    prepared = upright
    boxes = cells_with_breaks_closed(edges, reading.lines, prepared.scale, grid_settings)
    boxes = [restore_lost_rows(b, ink, reading.lines, prepared.scale, grid_settings) for b in boxes]
    chars = as_chars(keep_strokes_in_numbers(repair_slashes(reading.chars, ink, grid_settings), grid_settings), prepared.scale)
    grids = [g for b in boxes if (g := grid_from_cells(number, b, chars, "ocr", settings.ruled))]
    for grid in grids:
        reread_empty_cells(grid, prepared, ink, grid_settings)
        read_unread_lines(grid, chars, prepared, ink, grid_settings)
        reread_short_labels(grid, prepared, ink, grid_settings)
        for cell in grid.cells:  # the record's boxes are on the page as the PDF stands, not on the corrected image
            cell.page_bbox = prepared.page_box(cell.bbox)
    grids.sort(key=lambda g: (g.bbox[1], g.bbox[0]))
    check = confirm_cells(grids, on_corrected_image(layer, prepared), settings.ruled) if layer is not None else None
    outside = [ch for ch in chars if not any(_inside(ch, g.bbox, settings.ruled.inside_pad) for g in grids)]
    return PageContent(number, prepared.width_pt, prepared.height_pt, grids, text_lines(number, outside, settings.ruled),
                       kind="scan", layer_check=check)
