"""The thresholds of each reading stage, named, in the units they measure, and checked when made
(as pdfplumber's TableSettings): a misspelt or nonsensical value fails where it is given, never
on a page as a silent default.

Units: text-layer distances in PDF points, or in font sizes (em) of the text they separate;
scan distances in pixels at `reference_dpi` (the resolution they were chosen at), scaled to
the resolution a page is read at by `px()`. Defaults are what the fixtures and the shared
corpus were measured with; change one and `make test` says what it costs.

`Settings.from_toml()` reads overrides from a TOML file with one table per stage
([ruled], [text], [scan_image], [scan_grid], [page_scan], [scan_text]); an unknown stage or name is an error.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


class _Checked:
    """Every number positive and finite; a whole-number setting a whole number; fractions at most 1."""

    _FRACTIONS: frozenset[str] = frozenset()  # settings that are shares of something (0 < v <= 1)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            whole = f.type in ("int", int)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
                raise ValueError(f"{type(self).__name__}.{f.name} must be {'a whole number' if whole else 'a number'}, "
                                 f"not {value!r}")
            if not math.isfinite(value) or value <= 0 or (f.name in self._FRACTIONS and value > 1):
                bound = "between 0 and 1" if f.name in self._FRACTIONS else "positive"
                raise ValueError(f"{type(self).__name__}.{f.name} must be {bound}, not {value!r}")


def _scaled(pixels_at_reference: float, dpi: float, reference_dpi: int) -> int:
    """A length in pixels chosen at reference_dpi, at dpi: never below one pixel."""
    return max(1, round(pixels_at_reference * dpi / reference_dpi))


@dataclass(frozen=True)
class PageScanSettings(_Checked):
    """The cheap scan of every page (ingest/pdf.py): telling a searchable scan whose text layer lies under its
    picture (Kofax's and ABBYY's "text under the page image") from a text page that shows a picture."""

    _FRACTIONS = frozenset({"page_image_share", "opaque_share"})

    page_image_share: float = 0.5  # an image covering this share of the page is its picture, not a logo or a seal
    # objects looked at from the end of the page's content for that picture: a producer putting it over the text
    # draws it last, under a few stamps at most (a page number); a text page pays for no more than these
    page_image_tail: int = 32
    opaque_share: float = 0.99  # share of the picture's pixels that must be opaque for it to hide the text under it
    # a larger picture is not decoded to see whether it is opaque (a small stream may inflate to gigabytes): it is
    # then taken to hide nothing, and the page keeps its text layer as before
    opacity_check_pixels: int = 40_000_000  # an A4 page at 600 dpi is 35 Mpx (140 MB decoded with its alpha)


@dataclass(frozen=True)
class RuledTableSettings(_Checked):
    """Ruled tables on text-layer pages (detect/grid.py): pdfplumber's table chain and the cell text. Points."""

    snap_tolerance: float = 3.0  # parallel rules closer than this are one (pdfplumber's snap_x/y_tolerance)
    join_tolerance: float = 3.0  # collinear rule pieces with a gap this small are joined
    intersection_tolerance: float = 3.0  # a horizontal and a vertical rule this close meet
    edge_min_length: float = 3.0  # merged rules shorter than this are ignored
    edge_min_length_prefilter: float = 1.0  # drawn segments shorter than this are dropped before merging
    min_cells: int = 4  # fewer cells than this is a box or a frame, not a table
    boundary_tolerance: float = 2.0  # cell edges closer than this are one column/row boundary
    open_end_min_rule: float = 6.0  # a rule shorter than this is a stroke's end cap, not a rule
    min_ruled_rows: int = 2  # horizontal rules a table must draw before its open ends are closed
    min_rules_for_columns: int = 4  # horizontal rule segments needed before column boundaries are implied by their ends
    line_tolerance: float = 3.0  # characters whose tops differ by less are on one line
    space_gap: float = 1.5  # a horizontal gap wider than this between characters reads as a space
    crossing_slack: float = 0.5  # a character this far past a boundary runs across it
    inside_pad: float = 1.0  # a character whose centre is this close outside a table is still in it


@dataclass(frozen=True)
class TextTableSettings(_Checked):
    """Tables drawn with no rules (detect/text_rows.py, text_grid.py): in font sizes (em) of the text,
    in row pitches, or in points where a distance has nothing to do with the text's size."""

    _FRACTIONS = frozenset({"skipped_row_cost"})

    line_join_em: float = 0.3  # characters whose vertical centres differ by less are on one line
    chunk_gap_em: float = 0.6  # a horizontal gap wider than this separates two cells' text
    paragraph_gap_em: float = 0.45  # lines of one wrapped cell are closer than this
    paragraph_overlap_em: float = 0.2  # ... and may overlap by this much (tight line spacing)
    centre_tolerance_em: float = 0.35  # blocks of one row have centres this close
    anchor_blocks: int = 3  # a row of this many cells measures the padding between rows' text
    squeezed_label_pads: float = 3.0  # a label whose neighbours' text is closer than this many paddings sits between rows
    tall_block_em: float = 0.2  # a block reaching this far into a neighbour row's text is a merged label
    merged_label_height: float = 1.5  # a block this many times taller than its row's usual text is a merged label
    region_gap_pitches: float = 2.5  # a vertical gap wider than this (in row pitches) ends the table
    default_pitch: float = 20.0  # pt: the row pitch assumed when a table has one row
    min_rows: int = 3  # fewer rows than this is not a table
    margin_em: float = 0.4  # the table's outer edges stand this far from its text
    column_margin: float = 2.0  # pt: the outer column boundaries stand at least this far from their text
    overlap_slack: float = 0.5  # pt: boxes overlapping by less than this do not touch
    skipped_row_cost: float = 0.25  # cost of a row left above a continuation page's first label, per unit of its height


@dataclass(frozen=True)
class ScanImageSettings(_Checked):
    """Preparing a scanned page (ingest/scan.py): rendering, seal ink, binarising, orientation, skew."""

    _FRACTIONS = frozenset({"hough_scale", "content_crop_share"})

    dpi: int = 200  # the resolution pages are rendered at for OCR
    reference_dpi: int = 200  # the resolution the pixel settings below were chosen at
    seal_hue_low: int = 12  # OpenCV hue (0-180) at or below which (or at or above seal_hue_high) ink is red
    seal_hue_high: int = 165
    seal_saturation: int = 50  # 0-255: a red this saturated and bright is a seal's, not black ink's
    seal_value: int = 70
    denoise_px: int = 3  # the median filter's size before binarising (odd)
    threshold_block_px: int = 31  # the neighbourhood of the adaptive threshold (odd)
    threshold_offset: int = 15  # grey levels below the neighbourhood's mean that count as ink
    quarter_turn_ratio: float = 1.5  # text boxes this much taller than wide read sideways
    quarter_turn_min_boxes: int = 5  # ... and only when this many say so
    max_skew: float = 5.0  # degrees: a steeper page is not straightened
    min_skew: float = 0.05  # degrees: a smaller tilt moves no pixel that matters; the page is left as it is
    hough_scale: float = 0.5  # the skew's coarse estimate runs on the page scaled by this
    hough_ink_level: int = 60  # 0-255: a shrunk pixel this dark holds ink
    hough_bin: float = 0.5  # degrees: the coarse estimate's angle bins
    hough_votes: int = 120  # Hough accumulator votes for a rule (at hough_scale)
    hough_min_length_share: int = 4  # a rule spans at least 1/this of the page's width
    hough_max_gap_px: int = 4  # gaps a rule may have (at hough_scale)
    skew_step: float = 0.05  # degrees: the fine search's step; a rule 1,500 px long drifts 1.3 px per step
    skew_reach: float = 0.6  # degrees either side of Hough's estimate (a little more than its bin)
    text_skew_step: float = 0.25  # degrees: a page with no rules tries every step up to max_skew, then the fine search
    rule_open_share: int = 40  # the fine search keeps ink runs longer than 1/this of the width (rules) ...
    rule_open_min_px: int = 8  # ... and at least this long
    # OCR reads the region of the page that holds ink, not the whole page, where that region is small: the
    # detector scales what it is given to a fixed size (rapidocr: 960 px), so a small table on a large page
    # reaches it larger, its line boxes no longer clip the first and last characters of small print
    content_crop_share: float = 0.7  # ... when the region's long side is at most this share of the page's
    content_min_ink_px: int = 8  # a row or column of pixels holds content with this much ink (specks: less)
    content_margin_px: int = 40  # around the region, so no character at its edge is cut

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("denoise_px", "threshold_block_px"):
            if getattr(self, name) % 2 == 0:
                raise ValueError(f"ScanImageSettings.{name} must be odd, not {getattr(self, name)}")

    def px(self, pixels_at_reference: float, dpi: int | None = None) -> int:
        """A pixel distance chosen at reference_dpi, at `dpi` (default: the rendering's)."""
        return _scaled(pixels_at_reference, dpi or self.dpi, self.reference_dpi)


@dataclass(frozen=True)
class ScanGridSettings(_Checked):
    """Ruled tables on scanned pages (detect/scan_grid.py). Pixels at reference_dpi, scaled by px()."""

    reference_dpi: int = 200
    max_rule_thickness_px: int = 9  # thicker dark bands are photocopy borders, not rules
    min_rule_px: int = 25  # a rule is at least this long ...
    horizontal_rule_share: int = 45  # ... and at least 1/this of the page's width (horizontal rules)
    vertical_rule_share: int = 60  # ... or of its height (vertical rules)
    rule_bridge_px: int = 9  # gaps this wide in a faint rule are closed
    merge_tolerance: float = 3.0  # pt: rules this close are one (pdfplumber's merge and intersection tolerances)
    poor_reading: float = 0.75  # mean OCR confidence below this: try the page upside down
    slash_slant: float = 12.0  # degrees from vertical: a stroke leaning more is "/", not "1"
    stroke_height_share: float = 0.4  # a stroke judged for its lean is at least this share of its box's height ...
    stroke_aspect: float = 1.2  # ... this many times taller than wide ...
    min_stroke_pixels: int = 12  # ... and this many pixels of ink
    min_ink_pixels: int = 25  # an empty cell with less ink than this holds nothing
    min_glyph_px: int = 8  # ink shorter than this in an empty cell is a speck, not a character
    cell_inset_px: int = 4  # an empty cell's rules are this thick at most: its inside starts past them
    reread_pad_px: int = 6  # the margin kept around ink re-read from an empty cell (or a label read again)
    shortest_label_reading: int = 2  # characters: a single one is one short of too many labels to tell
    row_boundary_match: float = 2.0  # pt: a cell edge this near a row boundary of the table lies on it
    faded_rule_band_px: int = 4  # either side of a row boundary, where a faded rule's ink may run (skew, wobble)
    faded_rule_inset_px: int = 6  # left out at a cell's sides when looking for a faded rule (the vertical rules' ink)
    faded_rule_coverage: float = 0.75  # share of the cell's width inked along the boundary: a rule's remains, not text
    line_overhang: float = 0.25  # share of an OCR line box's height that may reach past a boundary (its box is loose)
    same_line_share: float = 0.5  # share of a character's height by which tops on one line may differ
    # a vertical rule's end may run this far past the rule that stops it (the rule's thickness, the bridging of
    # gaps above, a trace of skew): an end farther out is open (a table cut by a page break, detect/scan_breaks.py)
    open_end_overshoot_px: int = 12
    neighbour_gap: float = 1.0  # character heights: a character nearer than this beside another is its neighbour
    # a line of a cell the OCR detector passed over (detect/scan_lines.py): a band of the cell's ink no character
    # stands on
    rule_remains_share: float = 0.8  # a row or column of a cell's inside inked over this share of it: a rule's remains
    band_min_ink_px: int = 2  # a row of pixels with this much ink belongs to a line of print
    band_gap_px: int = 3  # rows of ink closer than this are one line
    band_min_height: float = 0.6  # the cell's glyph heights: a band shorter than this is no line (a trace, a speck)
    band_max_height: float = 1.8  # ... and one taller is no single line
    unread_line_score: float = 0.8  # the line's reading is taken only this sure

    _FRACTIONS = frozenset({"poor_reading", "stroke_height_share", "faded_rule_coverage", "line_overhang",
                            "same_line_share", "rule_remains_share", "unread_line_score"})

    def px(self, pixels_at_reference: float, dpi: float) -> int:
        """A length in pixels chosen at reference_dpi, at the page's `dpi`."""
        return _scaled(pixels_at_reference, dpi, self.reference_dpi)

    def area(self, pixels_at_reference: float, dpi: float) -> int:
        """A count of pixels chosen at reference_dpi, at the page's `dpi` (it grows with the square)."""
        return max(1, round(pixels_at_reference * (dpi / self.reference_dpi) ** 2))


@dataclass(frozen=True)
class ScanTextSettings(_Checked):
    """Scanned pages with no rules (detect/scan_text.py): is the page a form, and its text's geometry for the
    rule-less table (detect/text_grid.py, with [text]'s settings). Pixels at reference_dpi, scaled by px()."""

    reference_dpi: int = 200
    # the cheap look before OCR, on the text detector's lines alone: a form's rows stand in cells side by side
    row_cells: int = 3  # lines side by side on one row that make it a row of cells (prose: one; two columns: two)
    form_rows: int = 4  # rows of cells that make the page worth reading as a form
    same_row_share: float = 0.5  # line centres closer than this share of the usual line height are on one row
    # the detector's line boxes reach about half a line's height past its ink on either side: a character's
    # height is the ink whose centre is within this share of the box's height from the box's middle
    line_core_share: float = 0.25
    measured_line_ideographs: int = 3  # a line of this many ideographs is as tall as its ink (fewer: 一, 二 …)
    ink_em_share: float = 0.93  # the share of its font size an ideograph's ink fills, binarised (7 pt of 7.5)
    glyph_join_px: int = 5  # ink this close is one mark, when looking for marks the detector passed over
    # the detector splits a line where the text stops, at a cell's edge, and runs on over a space between words:
    # inside one of its lines a gap narrower than this (in font sizes) is a space ("；  3." 0.76), closed as a
    # text layer's characters touch; a wider one (一级指标  二级指标, 1.0) is left for [text]'s chunk_gap_em
    line_gap_em: float = 0.9

    _FRACTIONS = frozenset({"same_row_share", "line_core_share", "ink_em_share"})

    def px(self, pixels_at_reference: float, dpi: float) -> int:
        """A length in pixels chosen at reference_dpi, at the page's `dpi`."""
        return _scaled(pixels_at_reference, dpi, self.reference_dpi)


@dataclass(frozen=True)
class Settings:
    """Every stage's settings; what `Options.settings` carries to the reading of each page."""

    ruled: RuledTableSettings = field(default_factory=RuledTableSettings)
    text: TextTableSettings = field(default_factory=TextTableSettings)
    scan_image: ScanImageSettings = field(default_factory=ScanImageSettings)
    scan_grid: ScanGridSettings = field(default_factory=ScanGridSettings)
    page_scan: PageScanSettings = field(default_factory=PageScanSettings)
    scan_text: ScanTextSettings = field(default_factory=ScanTextSettings)

    @classmethod
    def from_mapping(cls, tables: dict) -> Settings:
        """Defaults with the given overrides: {"text": {"chunk_gap_em": 0.8}, ...}."""
        stages = {f.name: f for f in fields(cls)}
        changes = {}
        for stage, values in tables.items():
            if stage not in stages:
                raise ValueError(f"unknown settings stage [{stage}]: one of {', '.join(stages)}")
            default = getattr(cls(), stage)
            known = {f.name for f in fields(default)}
            unknown = sorted(set(values) - known)
            if unknown:
                raise ValueError(f"[{stage}] has no setting {', '.join(unknown)}; it has {', '.join(sorted(known))}")
            changes[stage] = replace(default, **values)
        return cls(**changes)

    @classmethod
    def from_toml(cls, path: Path) -> Settings:
        try:
            tables = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read the settings: {exc}") from exc
        return cls.from_mapping(tables)


DEFAULT = Settings()
