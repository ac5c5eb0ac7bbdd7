"""Crops of PDF pages with the cells of a finding outlined, as PNG data URIs (pypdfium2), for the report.

A crop is framed on the finding's own cell: wide enough to show the row's neighbours, tall
enough to read (tables drawn without rules have cells as thin as their text line), and never
so wide that the browser must shrink it to a strip.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

MARGIN = 24  # points around the outlined cells
MIN_HEIGHT = 110  # points: a crop shows at least a few rows around the finding
MIN_WIDTH = 300  # points: a narrow column is shown with its neighbours (the row's label)
MAX_WIDTH = 480  # points: wider crops are framed on the finding's cell


class Cropper:
    def __init__(self, scale: float = 2.0):
        self.scale = scale
        self.pages: dict[tuple[str, int], object] = {}

    def page_image(self, pdf: str, page: int):
        key = (pdf, page)
        if key not in self.pages:
            from formaudit.ingest.render import render_file_page

            self.pages[key] = render_file_page(pdf, page, self.scale * 72)
        return self.pages[key]

    def crop(self, pdf: str, page: int, boxes: list[tuple[list[float], str]]) -> str | None:
        """`boxes`: (bbox in points, "finding" | "involved"), the finding's own cell first."""
        from PIL import ImageDraw

        if not boxes or not Path(pdf).exists():
            return None
        try:
            image = self.page_image(pdf, page)
        except Exception:  # noqa: BLE001 - a report without one crop beats no report
            return None
        s = self.scale
        x0, x1 = frame(min(b[0][0] for b in boxes), max(b[0][2] for b in boxes), boxes[0][0][0], boxes[0][0][2], MAX_WIDTH)
        y0, y1 = min(b[0][1] for b in boxes) - MARGIN, max(b[0][3] for b in boxes) + MARGIN
        if y1 - y0 < MIN_HEIGHT:
            middle = (boxes[0][0][1] + boxes[0][0][3]) / 2
            y0, y1 = min(y0, middle - MIN_HEIGHT / 2), max(y1, middle + MIN_HEIGHT / 2)
        x0, y0 = max(0.0, x0 * s), max(0.0, y0 * s)
        x1, y1 = min(image.width, x1 * s), min(image.height, y1 * s)
        piece = image.crop((int(x0), int(y0), int(x1), int(y1))).copy()
        draw = ImageDraw.Draw(piece)
        for bbox, role in boxes:
            colour, width = ((198, 40, 40), 4) if role == "finding" else ((245, 124, 0), 3)
            draw.rectangle([bbox[0] * s - x0, bbox[1] * s - y0, bbox[2] * s - x0, bbox[3] * s - y0], outline=colour, width=width)
        buf = io.BytesIO()
        piece.save(buf, "PNG", optimize=True)
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def frame(lo: float, hi: float, own_lo: float, own_hi: float, widest: float) -> tuple[float, float]:
    """The horizontal extent of a crop: every box with a margin, at least MIN_WIDTH and at most `widest`.

    When the boxes are wider, the window keeps the finding's own cell and as many of the others
    as fit on the side where they are (the amounts stand left of the rate they are checked against).
    """
    lo, hi = lo - MARGIN, hi + MARGIN
    if hi - lo < MIN_WIDTH:
        middle = (lo + hi) / 2
        return middle - MIN_WIDTH / 2, middle + MIN_WIDTH / 2
    if hi - lo <= widest:
        return lo, hi
    start = max(lo, min(own_lo - MARGIN, own_hi + MARGIN - widest))
    return start, start + widest


def finding_crop(cropper: Cropper, pdf: str, form: dict, finding: dict) -> str | None:
    cells = form.get("cells", {})
    own = cells.get(finding["path"])
    involved = [p for p in finding.get("involved", []) if p in cells and cells[p].get("bbox")]
    page = own["page"] if own and own.get("bbox") else (cells[involved[0]]["page"] if involved else None)
    if page is None:
        return None
    boxes = [(cells[p]["bbox"], "finding" if p == finding["path"] else "involved") for p in involved if cells[p]["page"] == page]
    if own and own.get("bbox") and all(p != finding["path"] for p in involved):
        boxes.insert(0, (own["bbox"], "finding"))
    boxes.sort(key=lambda b: b[1] != "finding")
    return cropper.crop(pdf, page, boxes)
