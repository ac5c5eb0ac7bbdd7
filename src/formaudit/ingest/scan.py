"""Scanned pages -> clean, upright, straight images (opencv-python-headless).

Order: render -> drop red seal ink -> coarse orientation (0/90/180/270) -> skew
(up to ±5°) -> grey image for OCR and a binary one for ruling lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from formaudit.ingest.render import render_file_page
from formaudit.settings import DEFAULT, ScanImageSettings

SCAN_IMAGE = DEFAULT.scan_image


@dataclass
class PreparedPage:
    image: np.ndarray  # grey, upright and straight
    scale: float  # pixels per PDF point
    rotation: int  # degrees turned clockwise to make it upright (0/90/180/270)
    skew: float  # degrees corrected
    width_pt: float  # of the page as it stands in the PDF
    height_pt: float
    to_corrected: np.ndarray = field(default_factory=lambda: np.eye(3))  # rendered pixels -> corrected pixels

    def page_box(self, bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A box in corrected points -> the same box on the page as the PDF stands (points, top-left origin)."""
        back = np.linalg.inv(self.to_corrected)
        x0, y0, x1, y1 = (v * self.scale for v in bbox)
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]]).T
        xs, ys, _ = back @ corners
        return (round(float(xs.min()) / self.scale, 2), round(float(ys.min()) / self.scale, 2),
                round(float(xs.max()) / self.scale, 2), round(float(ys.max()) / self.scale, 2))

    def corrected_points(self, points: np.ndarray) -> np.ndarray:
        """Points on the page as the PDF stands (an N×2 array in points, top-left origin) -> the same points on the
        corrected image (points): page_box's way back."""
        if len(points) == 0:
            return np.zeros((0, 2))
        pixels = np.hstack([np.asarray(points, dtype=float) * self.scale, np.ones((len(points), 1))])
        moved = pixels @ self.to_corrected.T
        return moved[:, :2] / self.scale


def render(path: Path, page_number: int, dpi: int = SCAN_IMAGE.dpi) -> np.ndarray:
    """The page as an RGB array."""
    return np.array(render_file_page(path, page_number, dpi))


def drop_red_ink(rgb: np.ndarray, settings: ScanImageSettings = SCAN_IMAGE) -> np.ndarray:
    """Seals are stamped in red over cells: whiten red pixels (any shade, antialiased edges too)
    before anything reads the page. Black ink under a seal stays dark and is kept."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    red = (((hue <= settings.seal_hue_low) | (hue >= settings.seal_hue_high)) & (sat >= settings.seal_saturation)
           & (val >= settings.seal_value))
    out = rgb.copy()
    out[red] = 255
    return out


def to_grey(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _odd(n: int) -> int:
    return n if n % 2 else n + 1


def binary(grey: np.ndarray, settings: ScanImageSettings = SCAN_IMAGE) -> np.ndarray:
    """Ink as white on black, robust to uneven scans (adaptive threshold after a light denoise)."""
    smooth = cv2.medianBlur(grey, _odd(settings.px(settings.denoise_px)))
    block = _odd(settings.px(settings.threshold_block_px))
    return cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block,
                                 settings.threshold_offset)


def content_box(ink: np.ndarray, settings: ScanImageSettings = SCAN_IMAGE) -> tuple[int, int, int, int] | None:
    """The region of the page that holds ink, with a margin (x0, y0, x1, y1 in pixels); None on a blank page.
    A row or column of pixels needs some ink to count: the specks of a scan (few after binary()'s median
    filter) are scattered, and a noisy page merely keeps its whole extent."""
    least = settings.px(settings.content_min_ink_px)
    rows = np.flatnonzero(np.count_nonzero(ink, axis=1) >= least)
    cols = np.flatnonzero(np.count_nonzero(ink, axis=0) >= least)
    if not len(rows) or not len(cols):
        return None
    margin, (h, w) = settings.px(settings.content_margin_px), ink.shape[:2]
    return (max(0, int(cols[0]) - margin), max(0, int(rows[0]) - margin),
            min(w, int(cols[-1]) + 1 + margin), min(h, int(rows[-1]) + 1 + margin))


def needs_quarter_turn(text_boxes: list[tuple[float, float, float, float]], settings: ScanImageSettings = SCAN_IMAGE) -> bool:
    """Lines of text standing upright: the page lies on its side."""
    ratio = settings.quarter_turn_ratio
    tall = sum(1 for x0, y0, x1, y1 in text_boxes if (y1 - y0) > ratio * (x1 - x0))
    wide = sum(1 for x0, y0, x1, y1 in text_boxes if (x1 - x0) > ratio * (y1 - y0))
    return tall > wide and tall >= settings.quarter_turn_min_boxes


def rotate_quarters(image: np.ndarray, degrees: int) -> np.ndarray:
    turns = {0: None, 90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[degrees % 360]
    return image if turns is None else cv2.rotate(image, turns)


def skew_angle(ink: np.ndarray, settings: ScanImageSettings = SCAN_IMAGE) -> float:
    """The median angle of long, nearly horizontal lines (table rules), in degrees.

    Detected on a half-size image with coarse angle bins (fast); each angle is then read from
    its segment's end points, which is as fine as the image allows.
    """
    shrink = settings.hough_scale
    small = cv2.resize(ink, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    _, small = cv2.threshold(small, settings.hough_ink_level, 255, cv2.THRESH_BINARY)
    h, w = small.shape
    lines = cv2.HoughLinesP(small, 1, np.radians(settings.hough_bin), threshold=settings.hough_votes,
                            minLineLength=w // settings.hough_min_length_share,
                            maxLineGap=settings.px(settings.hough_max_gap_px))
    if lines is None:
        return 0.0
    segments = np.asarray(lines).reshape(-1, 4)  # OpenCV 4 gives (N,1,4), OpenCV 5 (N,4)
    angles = []
    for x0, y0, x1, y1 in segments:
        angle = np.degrees(np.arctan2(float(y1 - y0), float(x1 - x0)))
        if abs(angle) <= settings.max_skew + settings.hough_bin:
            angles.append(angle)
    if not angles:
        return 0.0
    return refine_skew(small, float(np.median(angles)), settings)


def refine_skew(ink: np.ndarray, coarse: float, settings: ScanImageSettings = SCAN_IMAGE) -> float:
    """The angle near `coarse` that makes the rules and text lines most horizontal: where the rows' ink
    sums are most peaked (each rule falls into one row). Hough's segments follow its angle bins, so its
    estimate alone leaves up to half a degree: a long table then tilts across several rows of cells."""
    h, w = ink.shape
    # the rules alone: long runs of ink (text lines' profile blurs the peaks)
    run = max(settings.rule_open_min_px, w // settings.rule_open_share)
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (run, 1)))
    return flattest_angle(ink, coarse, settings)


def text_skew(ink: np.ndarray, settings: ScanImageSettings = SCAN_IMAGE) -> float:
    """A page with no rules: the angle that makes its text lines most horizontal, in degrees.

    Lines of text peak the rows' ink sums as rules do (a line is many rows tall, not one, but its rows fill
    and empty together), so the rules' fine search works on them; with no rule for Hough to estimate from,
    every text_skew_step up to max_skew is tried first (the text detector's boxes were measured too: many
    come out square to the page whatever its lean). On the page shrunk as skew_angle shrinks it."""
    shrink = settings.hough_scale
    small = cv2.resize(ink, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    _, small = cv2.threshold(small, settings.hough_ink_level, 255, cv2.THRESH_BINARY)
    steps = int(settings.max_skew / settings.text_skew_step)
    coarse = max((k * settings.text_skew_step for k in sorted(range(-steps, steps + 1), key=abs)),
                 key=lambda angle: _peaks(small, angle))
    return flattest_angle(small, coarse, settings)


def _peaks(ink: np.ndarray, angle: float) -> float:
    """How peaked the rows' ink sums are with the ink turned by angle (the sum of their squares)."""
    h, w = ink.shape
    turned = cv2.warpAffine(ink, cv2.getRotationMatrix2D((w / 2, h / 2), float(angle), 1.0), (w, h),
                            flags=cv2.INTER_NEAREST, borderValue=0)
    rows = turned.sum(axis=1, dtype=np.float64)
    return float(np.dot(rows, rows))


def flattest_angle(ink: np.ndarray, coarse: float, settings: ScanImageSettings = SCAN_IMAGE) -> float:
    """The angle within skew_reach of `coarse` at which the rows' ink sums are most peaked."""
    best, best_score = coarse, -1.0
    step = settings.skew_step
    steps = round(settings.skew_reach / step)
    # nearest the estimate first, and a later angle must do strictly better: angles too small to move a pixel
    # score alike, and the estimate stands among them
    for angle in sorted((coarse + k * step for k in range(-steps, steps + 1)), key=lambda a: abs(a - coarse)):
        score = _peaks(ink, angle)
        if score > best_score:
            best, best_score = float(angle), score
    return round(best, 3)


def skew_matrix(shape: tuple[int, ...], angle: float) -> np.ndarray:
    h, w = shape[:2]
    return np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), [0, 0, 1]])


def straighten(image: np.ndarray, angle: float, settings: ScanImageSettings = SCAN_IMAGE) -> np.ndarray:
    if abs(angle) < settings.min_skew:
        return image
    h, w = image.shape[:2]
    border = 255 if image.ndim == 2 else (255, 255, 255)
    return cv2.warpAffine(image, skew_matrix(image.shape, angle)[:2], (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def quarter_matrix(shape: tuple[int, ...], degrees: int) -> np.ndarray:
    """Where rotate_quarters sends a pixel, as a matrix."""
    h, w = shape[:2]
    return {0: np.eye(3),
            90: np.array([[0, -1, h - 1], [1, 0, 0], [0, 0, 1]], dtype=float),
            180: np.array([[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]], dtype=float),
            270: np.array([[0, 1, 0], [-1, 0, w - 1], [0, 0, 1]], dtype=float)}[degrees % 360]


def prepare(path: Path, page_number: int, width_pt: float, height_pt: float,
            settings: ScanImageSettings = SCAN_IMAGE) -> PreparedPage:
    """Rendered, seal ink dropped, straightened. Orientation is settled by the caller after OCR,
    from the shape of the text lines it found (a turned page is rare; it alone pays twice)."""
    grey = to_grey(drop_red_ink(render(path, page_number, settings.dpi), settings))
    return straightened(PreparedPage(grey, settings.dpi / 72, 0, 0.0, width_pt, height_pt), settings)


def straightened(page: PreparedPage, settings: ScanImageSettings = SCAN_IMAGE) -> PreparedPage:
    return straightened_by(page, skew_angle(binary(page.image, settings), settings), settings)


def straightened_by(page: PreparedPage, angle: float, settings: ScanImageSettings = SCAN_IMAGE) -> PreparedPage:
    """The page turned by `angle` degrees (the lean of its rules or text lines), the way back recorded."""
    if abs(angle) < settings.min_skew:
        return page
    moved = skew_matrix(page.image.shape, angle) @ page.to_corrected
    return PreparedPage(straighten(page.image, angle, settings), page.scale, page.rotation, page.skew + angle,
                        page.width_pt, page.height_pt, moved)


def turned(page: PreparedPage, degrees: int, settings: ScanImageSettings = SCAN_IMAGE) -> PreparedPage:
    """The page turned clockwise by a multiple of 90°, straightened again."""
    moved = quarter_matrix(page.image.shape, degrees) @ page.to_corrected
    return straightened(PreparedPage(rotate_quarters(page.image, degrees), page.scale, (page.rotation + degrees) % 360,
                                     page.skew, page.width_pt, page.height_pt, moved), settings)
