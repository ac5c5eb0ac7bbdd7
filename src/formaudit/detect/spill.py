"""Text drawn beyond its cell: spreadsheet exports (LibreOffice Calc, Excel) write a long cell's
whole paragraph even where it runs past the cell, over the cells above and below it.

Such a paragraph is recognised by its lines running across the rules between cells (a cell's own
text never crosses its rules). Its characters belong to the cell where the paragraph is anchored
(the cell under its centre, at the start of its lines), wherever they are drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from formaudit.models import GridCell

RUN_GAP_EM = 0.25  # characters closer than this (in font sizes) are one run of text
RUN_LINE_TOLERANCE = 0.5  # characters of one printed line share their top within this
MIN_SPILL_CHARS = 4
PARAGRAPH_PITCH_EM = 2.0  # lines of one paragraph are closer than this

Run = tuple[int, int]  # a run of characters: the start and the stop of its slice of the page's characters


def _runs(chars: Sequence[dict]) -> list[Run]:
    """Runs of characters written one after the other (content-stream order) on one line with no gap
    between them: a spilled line drawn over a cell's own text interleaves with it on the page, not
    in the stream."""
    runs: list[Run] = []
    start = 0
    for i, (last, ch) in enumerate(zip(chars, chars[1:]), 1):
        size = ch["size"]
        if not (abs(ch["top"] - last["top"]) <= RUN_LINE_TOLERANCE and -0.1 * size < ch["x0"] - last["x1"] < RUN_GAP_EM * size):
            runs.append((start, i))
            start = i
    if chars:
        runs.append((start, len(chars)))
    return runs


def _paragraphs(chars: Sequence[dict], runs: list[Run]) -> list[list[Run]]:
    """Runs written one after the other, each a line below the last and overlapping it: one paragraph.
    (A space inside a line splits it into two runs and the paragraph there: not joined, as a
    spreadsheet writes neighbouring cells' text just as close.)"""
    def extent(run: Run) -> tuple[float, float]:
        return min(map(itemgetter("x0"), chars[run[0]:run[1]])), max(map(itemgetter("x1"), chars[run[0]:run[1]]))

    paragraphs: list[list[Run]] = []
    for run in runs:
        if paragraphs:
            last, head = paragraphs[-1][-1], chars[run[0]]
            # a run on the same line (most of them) is no continuation: its extent is not needed
            if 0 < head["top"] - chars[last[0]]["top"] <= PARAGRAPH_PITCH_EM * head["size"]:
                (x0, x1), (last_x0, last_x1) = extent(run), extent(last)
                if min(x1, last_x1) > max(x0, last_x0):
                    paragraphs[-1].append(run)
                    continue
        paragraphs.append([run])
    return paragraphs


def _cells_of(run: Run, cell_at: Sequence[int | None]) -> list[int]:
    """The cells under a run's characters, each once, in the order the run reaches them."""
    return [c for c in dict.fromkeys(cell_at[run[0]:run[1]]) if c is not None]


def _line_owner(chars: Sequence[dict], run: Run, cells: Sequence[GridCell], cell_at: Sequence[int | None]) -> int | None:
    """One line drawn across empty neighbouring cells (a spreadsheet lets text run on where the
    next cells are blank): the cell it is centred on when it is, else the cell where it starts."""
    if run[1] - run[0] < MIN_SPILL_CHARS:
        return None
    under = _cells_of(run, cell_at)
    if len(under) < 2:
        return None
    first = chars[run[0]]
    middle = (first["x0"] + chars[run[1] - 1]["x1"]) / 2
    for c in under:
        if abs((cells[c].x0 + cells[c].x1) / 2 - middle) <= first["size"]:
            return c
    return cell_at[run[0]]


def spilled_text(chars: Sequence[dict], cells: Sequence[GridCell], cell_at: Sequence[int | None]) -> dict[int, int]:
    """The characters of spilled paragraphs with the cell that owns them: {character's index: cell's index}.

    cell_at[i] is the index of the grid's cell at character i's centre; every other character is
    assigned by position. The owner is the cell holding whole lines of the paragraph (the cell's
    width is what the spreadsheet wrapped it to), the one nearest the paragraph's middle where there are several.
    """
    owned: dict[int, int] = {}
    for para in _paragraphs(chars, _runs(chars)):
        if len(para) < 2:
            owner = _line_owner(chars, para[0], cells, cell_at)
            if owner is not None:
                owned.update(dict.fromkeys(range(*para[0]), owner))
            continue
        whole: list[int] = []
        spills = False
        for run in para:
            under = _cells_of(run, cell_at)
            if len(under) >= 2 and run[1] - run[0] >= MIN_SPILL_CHARS:
                spills = True
            elif len(under) == 1:
                whole.extend(under)
        if not spills or not whole:
            continue
        middle = (chars[para[0][0]]["top"] + chars[para[-1][1] - 1]["bottom"]) / 2
        owner = min(whole, key=lambda c: abs((cells[c].bbox[1] + cells[c].bbox[3]) / 2 - middle))
        for run in para:
            owned.update(dict.fromkeys(range(*run), owner))
    return owned
