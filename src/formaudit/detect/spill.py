"""Text drawn beyond its cell: spreadsheet exports (LibreOffice Calc, Excel) write a long cell's
whole paragraph even where it runs past the cell, over the cells above and below it.

Such a paragraph is recognised by its lines running across the rules between cells (a cell's own
text never crosses its rules). Its characters belong to the cell where the paragraph is anchored
(the cell under its centre, at the start of its lines), wherever they are drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from formaudit.models import GridCell

RUN_GAP_EM = 0.25  # characters closer than this (in font sizes) are one run of text
RUN_LINE_TOLERANCE = 0.5  # characters of one printed line share their top within this
MIN_SPILL_CHARS = 4
PARAGRAPH_PITCH_EM = 2.0  # lines of one paragraph are closer than this


def _runs(chars: Sequence[dict]) -> list[list[dict]]:
    """Runs of characters written one after the other (content-stream order) on one line with no gap
    between them: a spilled line drawn over a cell's own text interleaves with it on the page, not
    in the stream."""
    runs: list[list[dict]] = []
    for ch in chars:
        last = runs[-1][-1] if runs else None
        if (last is not None and abs(ch["top"] - last["top"]) <= RUN_LINE_TOLERANCE
                and -0.1 * ch["size"] < ch["x0"] - last["x1"] < RUN_GAP_EM * ch["size"]):
            runs[-1].append(ch)
        else:
            runs.append([ch])
    return runs


def _paragraphs(runs: list[list[dict]]) -> list[list[list[dict]]]:
    """Runs written one after the other, each a line below the last and overlapping it: one paragraph.
    (A space inside a line splits it into two runs and the paragraph there: not joined, as a
    spreadsheet writes neighbouring cells' text just as close.)"""
    paragraphs: list[list[list[dict]]] = []
    last_extent = (0.0, 0.0)  # the last run's left and right, measured once
    for run in runs:
        extent = (min(c["x0"] for c in run), max(c["x1"] for c in run))
        last = paragraphs[-1][-1] if paragraphs else None
        if last is not None:
            below = 0 < run[0]["top"] - last[0]["top"] <= PARAGRAPH_PITCH_EM * run[0]["size"]
            if below and min(extent[1], last_extent[1]) > max(extent[0], last_extent[0]):
                paragraphs[-1].append(run)
                last_extent = extent
                continue
        paragraphs.append([run])
        last_extent = extent
    return paragraphs


def _line_owner(run: list[dict], cell_of: Callable[[dict], GridCell | None]) -> GridCell | None:
    """One line drawn across empty neighbouring cells (a spreadsheet lets text run on where the
    next cells are blank): the cell it is centred on when it is, else the cell where it starts."""
    cells = {id(c): c for ch in run if (c := cell_of(ch))}
    if len(cells) < 2 or len(run) < MIN_SPILL_CHARS:
        return None
    x0, x1 = run[0]["x0"], run[-1]["x1"]
    middle = (x0 + x1) / 2
    for cell in cells.values():
        if abs((cell.x0 + cell.x1) / 2 - middle) <= run[0]["size"]:
            return cell
    return cell_of(run[0])


def spilled_text(chars: Sequence[dict], cell_of: Callable[[dict], GridCell | None]) -> dict[int, GridCell]:
    """The characters of spilled paragraphs with the cell that owns them: {id(char): cell}.

    cell_of(ch) is the grid's cell at a character's centre; every other character is assigned by position.
    The owner is the cell holding whole lines of the paragraph (the cell's width is what the
    spreadsheet wrapped it to), the one nearest the paragraph's middle where there are several.
    """
    owned: dict[int, GridCell] = {}
    for para in _paragraphs(_runs(chars)):
        if len(para) < 2:
            owner = _line_owner(para[0], cell_of)
            if owner is not None:
                owned.update((id(ch), owner) for ch in para[0])
            continue
        whole: list[GridCell] = []
        spills = False
        for run in para:
            cells = {id(c): c for ch in run if (c := cell_of(ch))}
            if len(cells) >= 2 and len(run) >= MIN_SPILL_CHARS:
                spills = True
            elif len(cells) == 1:
                whole.extend(cells.values())
        if not spills or not whole:
            continue
        middle = (para[0][0]["top"] + para[-1][-1]["bottom"]) / 2
        owner = min(whole, key=lambda c: abs((c.bbox[1] + c.bbox[3]) / 2 - middle))
        for run in para:
            for ch in run:
                owned[id(ch)] = owner
    return owned
