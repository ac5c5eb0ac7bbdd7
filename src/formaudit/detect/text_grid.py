"""Tables drawn with no rules at all: the grid inferred from where the text stands.

A chain of small steps, each result inspectable (as pdfplumber's table.py does for rules); the
first ones, up to the table's rows, are in text_rows.py:

    chars -> lines -> chunks (runs of text split at wide gaps)
          -> blocks (a cell's wrapped lines, stacked closely in one column)
          -> rows (blocks whose vertical centres line up: form cells centre their text)
          -> bands (a header row of the vocabulary and the rows under it) -> columns per band
          -> cell boxes (a label printed once for several rows spans them) -> grid_from_cells

What is specific to these forms: header rows are known words (vocabulary.toml), so each
band's columns start from its header cells; the columns left of the data (项目资金（万元）,
一级/二级指标, 绩效指标) hold labels printed once, vertically centred on the rows they
cover, so such a label spans as many rows above its centre as below.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from formaudit.detect.text_rows import (
    Block,
    TextRow,
    blocks_of,
    chunks_of,
    h_overlap,
    holds_total,
    lines_of,
    rows_of,
    set_row_regions,
    split_tall_blocks,
    table_rows,
)
from formaudit.models import BBox, TextTableSteps
from formaudit.settings import DEFAULT, TextTableSettings
from formaudit.vocabulary import label_key, vocabulary

TEXT = DEFAULT.text

LABEL_FIELDS = frozenset({"level1", "level2", "label"})  # header cells over labels, not values


@dataclass
class Band:
    """A header row and the rows under it, up to the next header (or the rows before any header)."""

    rows: list[TextRow]
    header: dict[str, Block] = field(default_factory=dict)  # field -> header block; empty for the meta rows
    kind: str = "meta"  # meta | funding | goals | indicators
    printed_header: bool = True  # the header is this band's first row (not carried over from the page before)


# ---------------------------------------------------------------- rows -> bands -> columns


def header_of(row: TextRow) -> tuple[str, dict[str, Block]] | None:
    """A row of column headers: two or more blocks naming fields of one section's vocabulary."""
    vocab = vocabulary()
    best: tuple[str, dict[str, Block]] | None = None
    # 分值/得分 head both the funding and the indicator columns: the section naming more of the row wins
    for kind, columns in (("indicators", vocab.indicator_columns), ("funding", vocab.funding_columns),
                          ("goals", vocab.goals)):
        found: dict[str, Block] = {}
        for block in row.blocks:
            name = columns.get(label_key(block.text))
            if name and name not in found:
                found[name] = block
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = kind, found
    return best


def bands_of(rows: Sequence[TextRow], carried: tuple[str, dict[str, Block]] | None = None) -> list[Band]:
    """Rows split at each header row; rows before the first header go on under the header
    carried over from the page before, if any (a table continued over a page break)."""
    bands = [Band([], carried[1], carried[0], printed_header=False) if carried else Band([])]
    for row in rows:
        header = header_of(row)
        if header:
            bands.append(Band([row], header[1], header[0]))
        else:
            bands[-1].rows.append(row)
    return [b for b in bands if b.rows]


@dataclass(eq=False)
class Column:
    x0: float
    x1: float
    label: bool = False  # holds labels printed once for a block of rows
    header: bool = False  # a data column named by the band's header (年初预算数, 实际完成值, …)
    members: list[Block] = field(default_factory=list)

    def take(self, block: Block) -> None:
        self.x0, self.x1 = min(self.x0, block.x0), max(self.x1, block.x1)
        self.members.append(block)


def _gap(a: Column, block: Block) -> float:
    return max(a.x0 - block.x1, block.x0 - a.x1, 0.0)


def band_columns(band: Band, lone: Sequence[Block], settings: TextTableSettings = TEXT) -> list[Column]:
    """The columns of a band: one per header cell; a block under no header joins the nearest data
    column when nothing else of its rows stands there (a short left-aligned goal or reason
    beside a centred header); the rest form columns of their own where they overlap each other,
    the label columns left of the data (项目资金（万元）, 年度资金总额, 绩效指标)."""
    header_blocks = set(band.header.values())
    cols = [Column(b.x0, b.x1, label=name in LABEL_FIELDS, header=name not in LABEL_FIELDS)
            for name, b in band.header.items()]
    if band.printed_header:  # header cells not in the vocabulary
        cols += [Column(b.x0, b.x1) for b in band.rows[0].blocks if b not in header_blocks]
    seeds = list(cols)
    printed = [(c, c.x0, c.x1) for c in seeds]  # the header cells as printed, before their columns widen
    free: list[Block] = []
    for block in [b for r in band.rows for b in r.blocks] + list(lone):
        if block in header_blocks:
            continue
        hits = [c for c, x0, x1 in printed if h_overlap(x0, x1, block.x0, block.x1) > 0]
        if len(hits) == 1:
            hits[0].take(block)
        elif not hits:
            free.append(block)
    rows_of_block = {id(b): _rows_touched(b, band.rows, settings) for b in free + [m for c in seeds for m in c.members]}
    data = [c for c in seeds if c.header]
    for block in list(free):
        own = rows_of_block[id(block)]
        if own is None or (band.printed_header and own[0] == 0) or not data:
            continue  # it reaches into the header row: a section label, not a value
        nearest = min(data, key=lambda c: _gap(c, block))
        lo, hi = (block.x1, nearest.x0) if nearest.x0 >= block.x1 else (nearest.x1, block.x0)
        between = [x for x in [*((c.x0, c.x1) for c in seeds), *((b.x0, b.x1) for b in free if b is not block)]
                   if x[0] >= lo - 0.5 and x[1] <= hi + 0.5]
        taken = [rows_of_block.get(id(m)) for m in nearest.members]
        if not between and not any(t and t[0] <= own[1] and own[0] <= t[1] for t in taken):
            nearest.take(block)
            free.remove(block)
    for block in sorted(free, key=lambda b: b.x0):
        joined = next((c for c in cols if c not in seeds and h_overlap(c.x0, c.x1, block.x0, block.x1) > 0), None)
        if joined is not None:
            joined.take(block)
        else:
            cols.append(Column(block.x0, block.x1, members=[block]))
    cols.sort(key=lambda c: c.x0)
    first_data = min((c.x0 for c in seeds if not c.label), default=float("inf"))
    for c in cols:
        if c not in seeds and c.x1 <= first_data:
            c.label = True  # blank above: a section label (项目资金, 绩效指标) or a row label column
    return _merge_overlapping(cols)


def _merge_overlapping(cols: list[Column]) -> list[Column]:
    out: list[Column] = []
    for c in cols:
        if out and c.x0 < out[-1].x1:
            out[-1].x1 = max(out[-1].x1, c.x1)
            out[-1].label = out[-1].label and c.label
        else:
            out.append(c)
    return out


def boundaries(cols: Sequence[Column], left: float, right: float, settings: TextTableSettings = TEXT) -> list[float]:
    """Column boundaries: the table's edges and the middle of each gap between columns."""
    inner = [(a.x1 + b.x0) / 2 for a, b in zip(cols, cols[1:])]
    margin = settings.column_margin
    return [min(left, cols[0].x0 - margin)] + inner + [max(right, cols[-1].x1 + margin)]


def column_span(block: Block, edges: Sequence[float]) -> tuple[int, int]:
    """The first and last column (indices between edges) holding the centre of the block's first
    and last character (a text left-aligned in a wide cell may start a hair left of its edge)."""
    half = 0.5 * block.size  # a character's centre
    first = max(0, min(len(edges) - 2, sum(1 for e in edges[1:-1] if e <= block.x0 + half)))
    last = max(first, min(len(edges) - 2, sum(1 for e in edges[1:-1] if e < block.x1 - half)))
    return first, last


def block_extent(block: Block, cols: Sequence[Column], edges: Sequence[float]) -> tuple[int, int, float, float]:
    """Columns a block covers and its box's left and right edge.

    A cell spanning columns need not start where the band's columns do (部门职能概述's text
    begins left of the middle between 项目资金 and 资金来源): when its text starts right of all of
    a column's text, its box starts halfway between the two instead.
    """
    c0, c1 = column_span(block, edges)
    x0, x1 = edges[c0], edges[c1 + 1]
    if c0 < c1 and cols[c0].x1 < block.x0:
        c0, x0 = c0 + 1, (cols[c0].x1 + block.x0) / 2
    if c1 > c0 and cols[c1].x0 > block.x1:
        c1, x1 = c1 - 1, (cols[c1].x0 + block.x1) / 2
    return c0, c1, x0, x1


def clip_overlaps(boxes: list[BBox], labels: Sequence[int], settings: TextTableSettings = TEXT) -> list[BBox]:
    """A label's box (spanning rows) ends where a box of one of its rows begins."""
    out = list(boxes)
    slack = settings.overlap_slack
    for i in labels:
        x0, top, x1, bottom = out[i]
        for j, (ox0, otop, _, obottom) in enumerate(out):
            if j != i and otop < bottom - slack and obottom > top + slack and x0 < ox0 < x1:
                x1 = ox0
        out[i] = (x0, top, x1, bottom)
    return out


# ---------------------------------------------------------------- bands -> cell boxes


def _rows_touched(block: Block, rows: Sequence[TextRow], settings: TextTableSettings = TEXT) -> tuple[int, int] | None:
    slack = settings.overlap_slack
    hit = [i for i, r in enumerate(rows) if r.top < block.bottom - slack and r.bottom > block.top + slack]
    return (hit[0], hit[-1]) if hit else None


def label_spans(blocks: Sequence[Block], rows: Sequence[TextRow], starts: Sequence[int],
                ends: Sequence[int], taken: frozenset[int] = frozenset(),
                settings: TextTableSettings = TEXT) -> dict[int, tuple[int, int]]:
    """Rows covered by each label of a label column.

    The labels of such a column tile it: the first starts at one of `starts`, each next one
    where the previous ended, the last ends at one of `ends` or before a row of the column that
    another cell takes (`taken`); each covers at least the rows its text touches. A label is centred on the rows it covers, so of all tilings the one whose
    labels sit closest to the middle of their rows is taken. (Centring alone cannot tell: a label
    over three rows is also centred on the middle one.)
    """
    ordered = [(b, own) for b in sorted(blocks, key=lambda b: b.centre) if (own := _rows_touched(b, rows, settings))]
    if not ordered:
        return {}

    def miss(block: Block, s: int, e: int) -> float:
        return abs((rows[s].top + rows[e].bottom) / 2 - block.centre)

    @cache
    def best(k: int, s: int) -> tuple[float, tuple[tuple[int, int], ...]] | None:
        block, own = ordered[k]
        if s > own[0] or any(r in taken for r in range(s, own[0])):
            return None
        last = k + 1 == len(ordered)
        stop = min([r for r in taken if r > own[1]] + [ordered[k + 1][1][0] if not last else len(rows)])
        choices = [e for e in range(own[1], stop) if not last or e in ends or e + 1 == stop]
        found = None
        for e in choices:
            rest = (0.0, ()) if last else best(k + 1, e + 1)
            if rest is None:
                continue
            cost = miss(block, s, e) + rest[0]
            if found is None or cost < found[0] - 0.01:
                found = (cost, ((s, e),) + rest[1])
        return found

    # The first label may also start lower: on a continuation page the rows above it belong to a
    # label printed on the page before. Rows left so cost a share of their height, so a label
    # is only moved off them when centring it over them is clearly worse.
    first = starts[-1]
    tilings = []
    for s in sorted(set(starts) | set(range(first, ordered[0][1][0] + 1))):
        if (t := best(0, s)) is not None:
            skipped = settings.skipped_row_cost * (rows[s].top - rows[first].top) if s > first else 0.0
            tilings.append((t[0] + skipped, t[1]))
    if not tilings:  # the labels do not tile the column: each keeps the rows its text touches
        return {id(b): own for b, own in ordered}
    spans = min(tilings, key=lambda t: t[0])[1]
    return {id(b): span for (b, _), span in zip(ordered, spans)}


def band_boxes(band: Band, lone: Sequence[Block], rows: Sequence[TextRow], left: float, right: float,
               settings: TextTableSettings = TEXT) -> list[BBox]:
    """Cell boxes of one band: each block widened to the columns it reaches, and over its rows."""
    first = rows.index(band.rows[0])
    last = rows.index(band.rows[-1])
    band_rows = rows[first:last + 1]
    mine = [b for b in lone if band_rows[0].top <= b.centre < band_rows[-1].bottom]
    blocks = [b for r in band_rows for b in r.blocks] + mine
    boxes: list[BBox] = []
    if not band.header:  # rows before any header (项目名称 … | 主管部门 … 实施单位 …): each row on its own
        for row in band_rows:
            cols = [Column(b.x0, b.x1) for b in row.blocks]
            edges = boundaries(cols, left, right, settings)
            boxes += [(edges[i], row.top, edges[i + 1], row.bottom) for i in range(len(cols))]
        return boxes
    cols = band_columns(band, mine, settings)
    edges = boundaries(cols, left, right, settings)
    by_column: dict[int, list[Block]] = {}
    taken: dict[int, set[int]] = {}  # column -> rows a cell other than its labels holds
    for block in blocks:
        c0, c1, x0, x1 = block_extent(block, cols, edges)
        if c0 == c1 and cols[c0].label and block not in band.header.values():
            by_column.setdefault(c0, []).append(block)
            continue
        touched = _rows_touched(block, band_rows, settings)
        if touched is not None:
            boxes.append((x0, band_rows[touched[0]].top, x1, band_rows[touched[1]].bottom))
            for c in range(c0, c1 + 1):
                taken.setdefault(c, set()).update(range(touched[0], touched[1] + 1))
    header_cols = {column_span(b, edges)[0] for b in band.header.values()}
    data_from = 1 if band.printed_header else 0  # the first row under the header
    total = [i for i, r in enumerate(band_rows) if holds_total(r)]
    ends = sorted({len(band_rows) - 1} | ({total[0] - 1} if total and total[0] > 1 else set()))
    labels_from = len(boxes)
    for c, held in by_column.items():
        # a column headed by its own label (一级指标) starts under the header; a blank-headed one may include it
        starts = [data_from] if c in header_cols else sorted({0, data_from})
        spans = label_spans(held, band_rows, starts, ends, frozenset(taken.get(c, ())), settings)
        for block in held:
            span = spans.get(id(block))
            if span is not None:
                boxes.append((edges[c], band_rows[span[0]].top, edges[c + 1], band_rows[span[1]].bottom))
        opening = min((s for s, _ in spans.values()), default=starts[-1])
        if opening > starts[-1] and not taken.get(c, set()) & set(range(starts[-1], opening)):
            # rows above the first label: a merged cell whose text is on the page before (empty here)
            boxes.append((edges[c], band_rows[starts[-1]].top, edges[c + 1], band_rows[opening - 1].bottom))
    return clip_overlaps(boxes, range(labels_from, len(boxes)), settings)


Carried = tuple[str, dict[str, Block]]  # a band's kind and header cells, for the next page


def _bbox(block: Block) -> BBox:
    return (round(block.x0, 2), round(block.top, 2), round(block.x1, 2), round(block.bottom, 2))


def text_table_steps(chars: Sequence[dict], carried: Carried | None = None,
                     settings: TextTableSettings = TEXT) -> tuple[TextTableSteps, Carried | None]:
    """Every step of the rule-less table on one page (its cells are `steps.boxes`, [] when there is none),
    and the header to carry to the next page: a table going on over a page break keeps the columns (and
    label columns) its header gave on the page before."""
    lines = [chunks_of(line, settings) for line in lines_of([ch for ch in chars if ch.get("text", "").strip()], settings)]
    blocks = blocks_of(lines, settings)
    all_rows, lone = rows_of(blocks, settings)
    steps = TextTableSteps(blocks=[_bbox(b) for b in blocks])
    rows = table_rows(all_rows, settings)
    # a table going on from the page before may end in a row or two (its 总分 row alone over the break)
    if len(rows) < (1 if carried else settings.min_rows):
        return steps, None
    margin = settings.margin_em * statistics.median(b.size for r in rows for b in r.blocks)
    lone = lone + split_tall_blocks(rows, settings)
    set_row_regions(rows, pad=margin)
    lone = [b for b in lone if rows[0].top <= b.centre < rows[-1].bottom]
    left = min(b.x0 for r in rows for b in r.blocks) - margin
    right = max(b.x1 for r in rows for b in r.blocks) + margin
    bands = bands_of(rows, carried)
    boxes: list[BBox] = []
    for band in bands:
        boxes += band_boxes(band, lone, rows, left, right, settings)
    last = next((b for b in reversed(bands) if b.header), None)
    ended = holds_total(rows[-1])  # its 总分 row: nothing goes on
    carry = (last.kind, last.header) if last and not ended else None
    steps.rows = [(round(r.top, 2), round(r.bottom, 2)) for r in rows]
    steps.lone = [_bbox(b) for b in lone]
    steps.bands = [(b.kind, round(b.rows[0].top, 2), round(b.rows[-1].bottom, 2)) for b in bands]
    steps.boxes = [tuple(round(v, 2) for v in box) for box in boxes]
    return steps, carry


def text_table(chars: Sequence[dict], carried: Carried | None = None,
               settings: TextTableSettings = TEXT) -> tuple[list[BBox], Carried | None]:
    """Cell boxes of the rule-less table on one page ([] when there is none), and the header to carry on."""
    steps, carry = text_table_steps(chars, carried, settings)
    return steps.boxes, carry
