"""Tables drawn with no rules, first steps: characters -> lines -> chunks -> blocks -> rows.

    chars -> lines -> chunks (runs of text split at wide gaps)
          -> blocks (a cell's wrapped lines, stacked closely in one column)
          -> rows (blocks whose vertical centres line up: form cells centre their text)
          -> the table's rows (from the first known label to the total), their regions

text_grid.py goes on from the rows: bands under each header row, columns, cell boxes.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from formaudit.settings import DEFAULT, TextTableSettings
from formaudit.vocabulary import label_key, vocabulary

TEXT = DEFAULT.text  # the thresholds, in font sizes (em) of the text they separate


@dataclass(frozen=True)
class Chunk:
    """A run of characters on one line with no wide gap inside."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    size: float


@dataclass(eq=False)
class Block:
    """The text of one cell: one chunk, or the chunks of a wrapped cell stacked line under line."""

    chunks: list[Chunk]

    @property
    def x0(self) -> float:
        return min(c.x0 for c in self.chunks)

    @property
    def x1(self) -> float:
        return max(c.x1 for c in self.chunks)

    @property
    def top(self) -> float:
        return self.chunks[0].top

    @property
    def bottom(self) -> float:
        return self.chunks[-1].bottom

    @property
    def centre(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def size(self) -> float:
        return max(c.size for c in self.chunks)

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chunks)


@dataclass(eq=False)
class TextRow:
    blocks: list[Block]
    top: float = 0.0  # the row's region, between the text of its neighbours
    bottom: float = 0.0

    @property
    def centre(self) -> float:
        return statistics.median(b.centre for b in self.blocks)

    @property
    def text_top(self) -> float:
        return min(b.top for b in self.blocks)

    @property
    def text_bottom(self) -> float:
        return max(b.bottom for b in self.blocks)


# ---------------------------------------------------------------- chars -> chunks -> blocks


def lines_of(chars: Sequence[dict], settings: TextTableSettings = TEXT) -> list[list[dict]]:
    """Characters grouped into lines by their vertical centre, top to bottom."""
    lines: list[list[dict]] = []
    for ch in sorted(chars, key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"])):
        centre = (ch["top"] + ch["bottom"]) / 2
        if lines:
            last = lines[-1]
            last_centre = (last[0]["top"] + last[0]["bottom"]) / 2
            if centre - last_centre <= settings.line_join_em * ch["size"]:
                last.append(ch)
                continue
        lines.append([ch])
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def chunks_of(line: Sequence[dict], settings: TextTableSettings = TEXT) -> list[Chunk]:
    """A line split where the gap between characters is wide enough to separate two cells."""
    groups: list[list[dict]] = []
    for ch in line:
        if groups and ch["x0"] - groups[-1][-1]["x1"] <= settings.chunk_gap_em * ch["size"]:
            groups[-1].append(ch)
        else:
            groups.append([ch])
    return [Chunk(min(c["x0"] for c in g), max(c["x1"] for c in g), min(c["top"] for c in g),
                  max(c["bottom"] for c in g), "".join(c["text"] for c in g), max(c["size"] for c in g))
            for g in groups]


def h_overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def blocks_of(lines: Sequence[Sequence[Chunk]], settings: TextTableSettings = TEXT) -> list[Block]:
    """Chunks stacked closely under each other (a wrapped cell) joined into one block each.

    The lines of a wrapped cell need not be neighbours in reading order: the line of the row
    beside them often falls between them (项目资金 / 其中：当年财政拨款 / （万元）).
    """
    blocks: list[Block] = []
    for line in lines:
        taken: list[Block] = []
        for chunk in line:
            best, best_overlap = None, 0.0
            for block in blocks:
                last = block.chunks[-1]
                gap = chunk.top - last.bottom
                ov = h_overlap(last.x0, last.x1, chunk.x0, chunk.x1)
                close = -settings.paragraph_overlap_em * chunk.size < gap <= settings.paragraph_gap_em * chunk.size
                if close and ov > best_overlap and block not in taken:
                    best, best_overlap = block, ov
            if best is not None:
                best.chunks.append(chunk)
                taken.append(best)
            else:
                blocks.append(Block([chunk]))
    return blocks


# ---------------------------------------------------------------- blocks -> rows


def _pitch(centres: Sequence[float], default: float) -> float:
    """The usual distance between consecutive centres."""
    steps = [b - a for a, b in zip(centres, centres[1:]) if b > a]
    return statistics.median(steps) if steps else default


def rows_of(blocks: Sequence[Block], settings: TextTableSettings = TEXT) -> tuple[list[TextRow], list[Block]]:
    """Blocks grouped into rows by their centres; labels between two rows are returned apart.

    A group of one or two blocks is the label of a merged cell whose centre falls on a row
    boundary (two or four rows; 年度绩效指标 and 效益指标 may share one) when the rows around it
    leave no room for a row of its own: their text is about two paddings apart, where a row with
    one filled cell leaves a whole row between them. Single blocks are judged first, so a label
    at the edge of a two-cell row does not make that row look squeezed.
    """
    if not blocks:
        return [], []
    groups: list[list[Block]] = []
    for block in sorted(blocks, key=lambda b: b.centre):
        if groups and block.centre - groups[-1][-1].centre <= settings.centre_tolerance_em * block.size:
            groups[-1].append(block)
        else:
            groups.append([block])
    # the padding between a row's tallest text and its boundary: half the gap between rows' text
    anchors = [_own_text(g, settings) for g in groups if len(g) >= settings.anchor_blocks]
    gaps = [lower[0] - upper[1] for upper, lower in zip(anchors, anchors[1:])]
    # (the smallest gap: rows sized for more text than they hold leave more room, never less)
    positive = [g for g in gaps if g > 0]
    pad = min(positive) / 2 if positive else statistics.median(b.size for b in blocks) / 2
    squeezed: set[int] = set()
    for size in (1, 2):
        for i, g in enumerate(groups):
            if len(g) != size:
                continue
            above = [h for j, h in enumerate(groups[:i]) if j not in squeezed]
            below = [h for j, h in enumerate(groups[i + 1:], start=i + 1) if j not in squeezed]
            if not above or not below:
                continue
            gap = min(b.top for b in below[0]) - max(b.bottom for b in above[-1])
            if gap < settings.squeezed_label_pads * pad + max(b.bottom - b.top for b in g) / 2:
                squeezed.add(i)
    rows = [TextRow(sorted(g, key=lambda b: b.x0)) for i, g in enumerate(groups) if i not in squeezed]
    lone = [b for i in sorted(squeezed) for b in groups[i]]
    return rows, lone


def _own_text(group: Sequence[Block], settings: TextTableSettings = TEXT) -> tuple[float, float]:
    """The top and bottom of a row's own text. A block far taller than the row's usual one is a label merged over
    several rows whose middle falls on this one (项目资金（万元） beside 其中：当年财政拨款): its lines reach into the
    padding above and below, and would make the padding look a fraction of what it is."""
    usual = statistics.median(b.bottom - b.top for b in group)
    own = [b for b in group if b.bottom - b.top <= settings.merged_label_height * usual]
    return min(b.top for b in own), max(b.bottom for b in own)


def holds_total(row: TextRow) -> bool:
    return any(vocabulary().is_total(b.text) for b in row.blocks)


def table_rows(rows: Sequence[TextRow], settings: TextTableSettings = TEXT) -> list[TextRow]:
    """The rows of the form's table: from the first row holding a known label to its total row
    (or to a gap much wider than the rows' pitch)."""
    vocab = vocabulary()
    known = {**vocab.meta, **vocab.funding_columns, **vocab.indicator_columns, **vocab.goals, **vocab.funding_sources}
    start = next((i for i, r in enumerate(rows) if len(r.blocks) >= 2 and any(label_key(b.text) in known for b in r.blocks)),
                 None)
    continued = start is None
    if continued:  # a continuation page: the table starts at the first row of several cells
        start = next((i for i, r in enumerate(rows) if len(r.blocks) >= settings.anchor_blocks), None)
    if start is None:
        return []
    pitch = _pitch([r.centre for r in rows[start:]], settings.default_pitch)
    while continued and start > 0 and rows[start].text_top - rows[start - 1].text_bottom <= pitch:
        start -= 1  # the rest of a row cut by the page break, above the first whole row
    out = [rows[start]]
    for row in rows[start + 1:]:
        if row.text_top - out[-1].text_bottom > settings.region_gap_pitches * pitch:
            break
        out.append(row)
        if holds_total(row):
            break
    return out


def split_tall_blocks(rows: Sequence[TextRow], settings: TextTableSettings = TEXT) -> list[Block]:
    """Take out of their row the blocks reaching into a neighbour row's text: labels of cells
    merged over several rows whose centre happens to fall on a row (项目资金（万元） over five)."""
    cores = [(statistics.median(b.top for b in r.blocks), statistics.median(b.bottom for b in r.blocks)) for r in rows]
    tall = []
    reach = settings.tall_block_em
    for i, row in enumerate(rows):
        out = [b for b in row.blocks
               if any(j != i and b.top < bottom - reach * b.size and b.bottom > top + reach * b.size
                      for j, (top, bottom) in enumerate(cores))]
        if len(out) < len(row.blocks):  # a row keeps the blocks that define it
            row.blocks = [b for b in row.blocks if b not in out]
            tall += out
    return tall


def set_row_regions(rows: Sequence[TextRow], pad: float) -> None:
    """Each row's region reaches halfway to the text of the rows next to it."""
    for upper, lower in zip(rows, rows[1:]):
        mid = (upper.text_bottom + lower.text_top) / 2
        upper.bottom, lower.top = mid, mid
    if rows:
        rows[0].top = rows[0].text_top - pad
        rows[-1].bottom = rows[-1].text_bottom + pad
