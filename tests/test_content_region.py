"""The inked region of a scanned page, which OCR reads instead of the whole page where it is small."""

from __future__ import annotations

import numpy as np
import pytest

from formaudit.ingest.scan import binary, content_box
from formaudit.settings import DEFAULT

SETTINGS = DEFAULT.scan_image
MARGIN = SETTINGS.px(SETTINGS.content_margin_px)


def _page(h: int = 2339, w: int = 1654) -> np.ndarray:
    return np.zeros((h, w), dtype=np.uint8)  # ink mask: ink is 255


def test_a_blank_page_has_no_region():
    assert content_box(_page()) is None


@pytest.mark.parametrize("grain", [10, 20])
def test_the_noise_of_a_scan_never_makes_a_region_of_its_own(grain):
    """Paper grain is no content: faint grain binarises to nothing, heavy grain to the whole page (read whole)."""
    grey = np.full((2339, 1654), 235, dtype=np.float32)
    grey += np.random.default_rng(1).normal(0, grain, grey.shape)
    box = content_box(binary(grey.clip(0, 255).astype(np.uint8)))
    assert box is None or box == (0, 0, 1654, 2339)


def test_a_small_table_is_its_region_with_a_margin():
    ink = _page()
    ink[300:310, 200:1400] = 255  # a rule
    ink[300:900, 200:204] = 255  # a side rule (too thin to count alone below the last rule)
    ink[880:890, 200:1400] = 255
    ink[100:140, 600:1000] = 255  # a title above
    assert content_box(ink) == (200 - MARGIN, 100 - MARGIN, 1400 + MARGIN, 890 + MARGIN)


def test_the_region_stops_at_the_page():
    ink = _page()
    ink[0:50, 0:1654] = 255
    x0, y0, x1, y1 = content_box(ink)
    assert (x0, y0, x1, y1) == (0, 0, 1654, 50 + MARGIN)
