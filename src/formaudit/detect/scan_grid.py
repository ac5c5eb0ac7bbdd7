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

from formaudit.detect.grid import _inside, grid_from_cells, text_lines
from formaudit.detect.scan_breaks import close_page_breaks
from formaudit.detect.scan_labels import reread_short_labels
from formaudit.detect.scan_rows import restore_lost_rows
from formaudit.detect.scan_strokes import keep_strokes_in_numbers
from formaudit.ingest.ocr import OcrChar, OcrPage, read_line, recognize
from formaudit.ingest.scan import PreparedPage, binary, needs_quarter_turn, turned
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
    cells = plumber_table.intersections_to_cells(intersections)
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


def repair_slashes(found: list[OcrChar], ink: np.ndarray, settings: ScanGridSettings = SCAN_GRID) -> list[OcrChar]:
    """OCR reads the "/" of an empty cell as "1": tell them apart by the stroke's lean. Recorded, not silent."""
    out = []
    for c in found:
        if c.text in VERTICAL_STROKES:
            x0, y0, x1, y1 = (int(round(v)) for v in c.box)
            slant = stroke_slant(ink[max(0, y0):y1, max(0, x0):x1], settings)
            if slant is not None and slant > settings.slash_slant:
                out.append(replace(c, text="/", repaired_from=c.text))
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
        crop = prepared.image[max(0, top - pad):y0 + inset + ys.max() + pad, max(0, left - pad):x0 + inset + xs.max() + pad]
        read = read_line(crop)
        if read and read[0].strip():
            cell.text, cell.confidence = read[0].strip(), read[1]


def upright_reading(prepared: PreparedPage, settings: Settings = DEFAULT) -> tuple[PreparedPage, OcrPage]:
    """OCR the page; if its text lines stand on end, turn it a quarter; if it reads poorly, a half."""
    reading = recognize(prepared.image)
    if needs_quarter_turn(reading.lines, settings.scan_image):
        prepared = turned(prepared, 90, settings.scan_image)
        reading = recognize(prepared.image)
    if reading.chars and reading.mean_score < settings.scan_grid.poor_reading:
        flipped = turned(prepared, 180, settings.scan_image)
        again = recognize(flipped.image)
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
                  settings: Settings = DEFAULT) -> PageContent:
    """OCR a page whose ink mask and rules are known; they are found again only if the page had to be turned."""
    upright, reading = upright_reading(prepared, settings)
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
        reread_short_labels(grid, prepared, ink, grid_settings)
        for cell in grid.cells:  # the record's boxes are on the page as the PDF stands, not on the corrected image
            cell.page_bbox = prepared.page_box(cell.bbox)
    grids.sort(key=lambda g: (g.bbox[1], g.bbox[0]))
    outside = [ch for ch in chars if not any(_inside(ch, g.bbox, settings.ruled.inside_pad) for g in grids)]
    return PageContent(number, prepared.width_pt, prepared.height_pt, grids, text_lines(number, outside, settings.ruled),
                       kind="scan")
