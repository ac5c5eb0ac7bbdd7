"""Plain value objects that flow between stages: pages -> cells -> rows -> forms.

Every intermediate is kept inspectable (`formaudit debug` draws them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin top-left
_COLUMN = attrgetter("col")


@dataclass(frozen=True)
class TextLine:
    """A line of text outside any table (titles, 单位：元, page headers)."""

    page: int
    bbox: BBox
    text: str


@dataclass(eq=False)
class GridCell:
    """One cell of a ruled table; a merged cell spans several grid rows/columns."""

    page: int
    row: int
    col: int
    rowspan: int
    colspan: int
    bbox: BBox
    text: str
    confidence: float = 1.0
    repairs: list[str] = field(default_factory=list)  # OCR misreads corrected, as "1 -> /"
    page_bbox: BBox | None = None  # for a scan: bbox on the page as it stands (bbox is on the straightened image)
    # a searchable scan's own text layer reads the same text in this cell as the OCR did: two readers agree
    confirmed_by_layer: bool = False

    @property
    def x0(self) -> float:
        return self.bbox[0]

    @property
    def x1(self) -> float:
        return self.bbox[2]


@dataclass
class Grid:
    """One table on one page, as cells on a grid of column and row boundaries."""

    page: int
    bbox: BBox
    xs: list[float]
    ys: list[float]
    cells: list[GridCell]
    source: str = "pdfplumber"  # which detector found it

    def rows(self) -> list[Row]:
        """Each grid row with the cells covering it, left to right (merged cells appear in every row they span)."""
        # one pass over the cells (a scan of every cell for every row was ~70% of finding the forms): each cell goes
        # into the rows it spans, in the grid's order, then each row is sorted by column (stable)
        count = max(len(self.ys) - 1, 0)
        covering: list[list[GridCell]] = [[] for _ in range(count)]
        for cell in self.cells:
            if cell.rowspan == 1:  # most cells: the one row they stand in
                if 0 <= cell.row < count:
                    covering[cell.row].append(cell)
                continue
            for r in range(max(cell.row, 0), min(cell.row + cell.rowspan, count)):
                covering[r].append(cell)
        return [Row(self.page, r, sorted(cells, key=_COLUMN), self.ys[r], self.ys[r + 1])
                for r, cells in enumerate(covering)]


@dataclass
class Row:
    page: int
    index: int  # row index in its grid
    cells: list[GridCell]
    top: float
    bottom: float


@dataclass
class TextTableSteps:
    """The steps of a table inferred from where its text stands (detect/text_grid.py), for `formaudit debug`."""

    blocks: list[BBox] = field(default_factory=list)  # each cell's text: a chunk, or a wrapped cell's lines
    rows: list[tuple[float, float]] = field(default_factory=list)  # the table's rows: top and bottom of each region
    lone: list[BBox] = field(default_factory=list)  # labels standing between rows (merged cells)
    bands: list[tuple[str, float, float]] = field(default_factory=list)  # kind, top, bottom: a header and its rows
    boxes: list[BBox] = field(default_factory=list)  # the cells


@dataclass(frozen=True)
class LayerCheck:
    """A searchable scan's text layer against the OCR reading of its picture, cell by cell (cells where both
    read nothing are not counted)."""

    confirmed: int  # cells whose layer text is the OCR's
    disagreeing: int  # cells whose layer text differs (the OCR reading stands)


@dataclass
class PageContent:
    """What the detectors found on one page."""

    number: int  # 1-based
    width: float
    height: float
    grids: list[Grid] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)  # text outside the grids
    kind: str = "text"  # text | scan
    unreadable_chars: int = 0
    text_steps: TextTableSteps | None = None  # how a rule-less table's cells were found, where one was
    layer_check: LayerCheck | None = None  # a searchable scan read by OCR: its text layer checked against the reading


@dataclass
class FormBlock:
    """The pages, title lines and table rows that make up one form, stitched across page breaks."""

    form_type: str
    title: TextLine
    header_lines: list[TextLine]  # lines between the title and the table (year, 单位：元)
    rows: list[Row]
    pages: list[int]


# ---------------------------------------------------------------- a form's sections (detect -> normalize)


@dataclass
class FundingLine:
    source: str
    label: GridCell
    values: dict[str, GridCell | None]


@dataclass
class IndicatorLine:
    # field -> the cells its text is read from; more than one when a page break cut the row
    values: dict[str, list[GridCell]]
    page: int = 0
    printed: dict[str, GridCell | None] = field(default_factory=dict)  # the cell under each header in this row

    def text(self, name: str) -> str:
        return "".join(c.text for c in self.values.get(name, []))


@dataclass
class FormSections:
    meta: dict[str, GridCell] = field(default_factory=dict)
    funding_header: dict[str, GridCell] = field(default_factory=dict)
    funding_context: list[str] = field(default_factory=list)  # section label and header texts (万元/元)
    funding: list[FundingLine] = field(default_factory=list)
    goals_header: dict[str, GridCell] = field(default_factory=dict)
    goals: dict[str, list[GridCell]] = field(default_factory=dict)
    indicator_header: dict[str, GridCell] = field(default_factory=dict)
    indicators: list[IndicatorLine] = field(default_factory=list)
    total: dict[str, GridCell | None] = field(default_factory=dict)
