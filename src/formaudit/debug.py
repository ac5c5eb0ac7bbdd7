"""`formaudit debug PDF`: every intermediate drawn on the page image, and dumped as JSON.

Grey: every detected cell. Coloured fill: the section a cell was read into
(meta, funding, goals, indicators, total). Orange outline: a value in the record.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw

from formaudit.detect.forms import find_forms
from formaudit.detect.sections import split_sections
from formaudit.export.json_record import plain
from formaudit.files import replacing, write_atomic
from formaudit.ingest.caps import check_page_pixels, check_rendered, check_structure
from formaudit.ingest.pdf import check_file, open_document, scan_document
from formaudit.ingest.render import render_page
from formaudit.models import FormSections, GridCell, PageContent, TextTableSteps
from formaudit.normalize.build import build_form
from formaudit.pipeline import Options, read_pages

COLOURS = {
    "meta": (150, 80, 200),
    "funding": (40, 110, 230),
    "goals": (0, 160, 160),
    "indicators": (40, 170, 60),
    "total": (220, 40, 40),
}


def section_cells(sections: FormSections) -> list[tuple[GridCell, str]]:
    """Each cell the sectionizer used, with the section it went to."""
    out: list[tuple[GridCell, str]] = []
    out += [(c, "meta") for c in sections.meta.values()]
    out += [(c, "funding") for c in sections.funding_header.values()]
    for line in sections.funding:
        out.append((line.label, "funding"))
        out += [(c, "funding") for c in line.values.values() if c is not None]
    out += [(c, "goals") for c in sections.goals_header.values()]
    out += [(c, "goals") for cells in sections.goals.values() for c in cells]
    out += [(c, "indicators") for c in sections.indicator_header.values()]
    out += [(c, "indicators") for line in sections.indicators for cells in line.values.values() for c in cells]
    out += [(c, "total") for c in sections.total.values() if c is not None]
    return out


def draw_debug(pdf: Path, out_dir: Path, options: Options = Options(), dpi: int = 110) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    check_file(pdf, options.max_bytes)
    check_structure(pdf, options.max_pages)  # the same caps as extraction: debug reads hostile files too
    errors: list = []
    document = open_document(pdf)
    try:
        scans = scan_document(document, options.page_scan)
        check_rendered(document, scans, options.max_pixels)
        contents = read_pages(pdf, scans, options, errors, document)
    finally:
        document.close()
    blocks = find_forms(contents)
    used: list[tuple[GridCell, str]] = []
    values: list[tuple[int, list[float]]] = []
    forms = []
    for block in blocks:
        sections = split_sections(block)
        used += section_cells(sections)
        form, _ = build_form(block, sections)
        forms.append(plain(form.model_dump(mode="json")))
        values += [(c.page, c.bbox) for c in form.cells.values() if c.bbox]
    scale = dpi / 72
    written: list[Path] = []
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        for content in contents:
            check_page_pixels(content.width, content.height, dpi, options.max_pixels, content.number)
            image = render_page(doc, content.number, dpi)
            overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(overlay)
            _draw_page(draw, content, used, values, scale)
            image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
            target = out_dir / f"{pdf.stem}-page{content.number}.png"
            with replacing(target) as tmp:
                image.save(tmp, "PNG")
            written.append(target)
    finally:
        doc.close()
    dump = {"pages": [_page_dict(c) for c in contents], "forms": forms, "errors": [e.model_dump() for e in errors]}
    target = out_dir / f"{pdf.stem}-debug.json"
    write_atomic(target, json.dumps(dump, ensure_ascii=False, indent=1))
    written.append(target)
    return written


def _box(bbox, scale: float) -> list[float]:
    return [v * scale for v in bbox]


def _draw_page(draw: ImageDraw.ImageDraw, content: PageContent, used, values, scale: float) -> None:
    # a scan's cells were found on the straightened image: draw them where they are on the page (page_bbox)
    for grid in content.grids:
        for cell in grid.cells:
            draw.rectangle(_box(cell.page_bbox or cell.bbox, scale), outline=(120, 120, 120, 255), width=1)
        if content.kind != "scan":
            draw.rectangle(_box(grid.bbox, scale), outline=(0, 0, 0, 255), width=2)
    for cell, section in used:
        if cell.page == content.number:
            draw.rectangle(_box(cell.page_bbox or cell.bbox, scale), fill=COLOURS[section] + (45,))
    for page, bbox in values:
        if page == content.number:
            draw.rectangle(_box(bbox, scale), outline=(255, 140, 0, 255), width=2)
    if content.kind != "scan":  # text lines of a scan are on the straightened image
        for line in content.lines:
            draw.rectangle(_box(line.bbox, scale), outline=(150, 80, 200, 200), width=1)
    if content.text_steps is not None:
        _draw_text_steps(draw, content.text_steps, content.width, scale)
    x, y = 8, 8
    for name, colour in COLOURS.items():
        draw.rectangle([x, y, x + 12, y + 12], fill=colour + (160,))
        draw.text((x + 16, y), name, fill=(0, 0, 0, 255))
        x += 90


def _draw_text_steps(draw: ImageDraw.ImageDraw, steps: TextTableSteps, width: float, scale: float) -> None:
    """A rule-less table's steps: its text blocks (blue), labels between rows (red), row boundaries (dashes
    of green across the page) and each band's kind in the margin."""
    for bbox in steps.blocks:
        draw.rectangle(_box(bbox, scale), outline=(40, 90, 220, 220), width=1)
    for bbox in steps.lone:
        draw.rectangle(_box(bbox, scale), outline=(220, 40, 40, 255), width=2)
    for top, bottom in steps.rows:
        for y in (top, bottom):
            for x in range(0, int(width), 8):
                draw.line([x * scale, y * scale, (x + 4) * scale, y * scale], fill=(0, 150, 60, 200), width=1)
    for kind, top, _bottom in steps.bands:
        draw.text((2, top * scale), kind, fill=(0, 150, 60, 255))


def _page_dict(content: PageContent) -> dict:
    return {
        "number": content.number, "kind": content.kind, "width": content.width, "height": content.height,
        "lines": [asdict(line) for line in content.lines],
        "grids": [{"bbox": g.bbox, "source": g.source, "columns": g.xs, "rows": g.ys,
                   "cells": [{k: v for k, v in asdict(c).items()} for c in g.cells]} for g in content.grids],
        "text_steps": asdict(content.text_steps) if content.text_steps is not None else None,
        # a searchable scan read by OCR: its text layer against the reading (cells' confirmed_by_layer)
        **({"layer_check": asdict(content.layer_check)} if content.layer_check is not None else {}),
    }
