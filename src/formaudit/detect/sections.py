"""A form's stitched rows -> its sections: meta, funding grid, goals, indicator rows, total.

Header rows are recognised by the label vocabulary; every later row's values are the
cells under each header cell (by horizontal overlap), so merged cells, reordered or
added columns and slightly different column edges on a continuation page all work.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from formaudit.models import FormBlock, FormSections, FundingLine, GridCell, IndicatorLine, Row
from formaudit.vocabulary import label_key, vocabulary

_SPACE = re.compile(r"\s+")
NUMBER_FIELDS = ("initial_budget", "budget", "executed", "transfer", "weight", "rate", "score")
LABEL_FIELDS = ("level1", "level2", "name")


def overlap(a: GridCell, b: GridCell) -> float:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


def cell_under(row: Row, header: GridCell) -> GridCell | None:
    """The cell of row that stands under a header cell: the largest horizontal overlap, at least half."""
    return _under(_spans(row), header)


def cells_under(row: Row, headers: dict[str, GridCell]) -> dict[str, GridCell | None]:
    """cell_under for each header cell of a section, by field (the row's cell edges read once)."""
    spans = _spans(row)
    return {name: _under(spans, header) for name, header in headers.items()}


def _spans(row: Row) -> list[tuple[float, float, GridCell]]:
    return [(cell.bbox[0], cell.bbox[2], cell) for cell in row.cells]


def _under(spans: list[tuple[float, float, GridCell]], header: GridCell) -> GridCell | None:
    # overlap() and min/max written out over the edges read once: this runs for every header cell of
    # every indicator row (~6,000 times on the 77 bench form pages). `b if b < a else a` is min(a, b) exactly.
    h0, _, h1, _ = header.bbox
    best, best_overlap, best0, best1 = None, 0.0, 0.0, 0.0
    for x0, x1, cell in spans:
        ov = (h1 if h1 < x1 else x1) - (h0 if h0 > x0 else x0)
        if ov > best_overlap:
            best, best_overlap, best0, best1 = cell, ov, x0, x1
    if best is None or best_overlap < 0.5 * min(h1 - h0, best1 - best0):
        return None
    return best


def cells_within(row: Row, header: GridCell) -> list[GridCell]:
    """The cells of row standing under a header cell (half of the narrower inside the other), left to right."""
    return [c for c in row.cells if overlap(c, header) >= 0.5 * min(c.x1 - c.x0, header.x1 - header.x0) > 0]


def _one_off(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


def vocabulary_field(columns: dict[str, str], text: str, read_by_ocr: bool) -> str | None:
    """The field a header label names. An OCR'd label may differ from a known one by one
    character (实际 read as 买际 under a seal), when no other known label is as close."""
    key = label_key(text)
    if key in columns:
        return columns[key]
    if read_by_ocr and len(key) >= 4:
        near = {columns[k] for k in columns if _one_off(k, key)}
        if len(near) == 1:
            return near.pop()
    return None


def header_map(row: Row, columns: dict[str, str]) -> dict[str, GridCell]:
    """Header cells of a row by the field their label names; a section label spanning rows yields to a column header."""
    named = []
    for cell in row.cells:
        ocr = cell.confidence < 1.0
        # vocabulary_field's first answer asked here: most cells are no label, and few are read by OCR
        name = columns.get(label_key(cell.text))
        if name is None and ocr:
            name = vocabulary_field(columns, cell.text, ocr)
        if name is None and "\n" in cell.text:  # a note or a misread seal above the label: one line is the label
            name = next((f for line in cell.text.splitlines() if (f := vocabulary_field(columns, line, ocr))), None)
        if name:
            named.append((cell, name))
    # the label cells only are put in order (a stable sort: the same order as sorting the whole row), most rows
    # having none: this runs up to three times on every row of a form
    found: dict[str, GridCell] = {}
    for cell, name in sorted(named, key=_span_then_column):
        found.setdefault(name, cell)
    return found


def _span_then_column(named: tuple[GridCell, str]) -> tuple[int, int]:
    return named[0].rowspan, named[0].col


def indicator_header(row: Row) -> dict[str, GridCell] | None:
    found = header_map(row, vocabulary().indicator_columns)
    if "level1" in found and ("level2" in found or "name" in found):
        return found
    return None


def funding_header(row: Row) -> dict[str, GridCell] | None:
    found = header_map(row, vocabulary().funding_columns)
    numeric = [f for f in found if f in NUMBER_FIELDS]
    if len(numeric) >= 3 and ("budget" in found or "executed" in found):
        return found
    return None


def goals_header(row: Row) -> dict[str, GridCell] | None:
    found = header_map(row, vocabulary().goals)
    return found if found else None


def funding_line(row: Row, header: dict[str, GridCell]) -> FundingLine | None:
    sources = vocabulary().funding_sources
    for cell in row.cells:
        source = sources.get(label_key(cell.text))
        if source:
            values = cells_under(row, {f: h for f, h in header.items() if f in NUMBER_FIELDS})
            return FundingLine(source, cell, values)
    return None


MIN_RUN_ON_LABEL = 4  # characters: a shorter label word (单位) can end a unit's own name


def split_run_on_label(cell: GridCell) -> list[GridCell]:
    """A value cell that ends with the next label (…统计局实施单位): the rule between the two cells was lost
    in a scan. The cell becomes the value and the label, the label taking its share of the width."""
    squeezed = _SPACE.sub("", unicodedata.normalize("NFKC", cell.text)).rstrip(":")
    labels = _run_on_labels(vocabulary().meta)
    if not squeezed.endswith(labels):  # the common case, in one call: no label ends the text
        return [cell]
    for key in labels:
        if len(squeezed) > len(key) and squeezed.endswith(key):
            cut = len(squeezed) - len(key)
            at = _after_printed(cell.text, cut)
            x0, top, x1, bottom = cell.bbox
            split_x = x0 + (x1 - x0) * cut / len(squeezed)
            return [replace(cell, text=cell.text[:at].rstrip(), bbox=(x0, top, split_x, bottom)),
                    replace(cell, text=cell.text[at:].strip(), bbox=(split_x, top, x1, bottom))]
    return [cell]


# the meta vocabulary's dict -> its labels that a value may run into, in the dict's order; the dict is held with
# them, so its id is no other's while it is here (vocabulary() makes it once per process)
_RUN_ON_LABELS: dict[int, tuple[dict[str, str], tuple[str, ...]]] = {}


def _run_on_labels(meta: dict[str, str]) -> tuple[str, ...]:
    held = _RUN_ON_LABELS.get(id(meta))
    if held is None:
        held = _RUN_ON_LABELS[id(meta)] = (meta, tuple(key for key in meta if len(key) >= MIN_RUN_ON_LABEL))
    return held[1]


def _after_printed(text: str, count: int) -> int:
    """The index in `text` just after its first `count` characters that are not whitespace."""
    seen = 0
    for index, ch in enumerate(text):
        seen += not ch.isspace()
        if seen == count:
            return index + 1
    return len(text)


def take_meta(sections: FormSections, row: Row) -> bool:
    """Label cells of the meta vocabulary, each with the value in the next cell to its right."""
    vocab = vocabulary()
    took = False
    cells = sorted((part for c in row.cells for part in split_run_on_label(c)), key=lambda c: c.x0)
    for i, cell in enumerate(cells):
        key = label_key(cell.text)
        name = vocab.meta.get(key)
        if not name:
            continue
        # the next cell to the right that holds text (a table without vertical rules may split a value's cell)
        value = next((c for c in cells[i + 1:] if c.x0 >= cell.x1 - 1 and c.text.strip()), None)
        if value is not None and label_key(value.text) in vocab.meta:
            value = None
        if value is None:
            continue
        took = True
        if name == "unit_name" and "unit_name" in sections.meta:
            held = vocab.meta_priority.get(label_key(sections.meta["unit_name_label"].text), 99)
            if vocab.meta_priority.get(key, 99) >= held:
                continue
        sections.meta[name] = value
        sections.meta[f"{name}_label"] = cell
    return took


def _is_cut_piece(line: IndicatorLine) -> bool:
    """The lower half of a row cut by a page break: no labels of its own and no numbers."""
    # a label's bracketed tail may wrap onto the next page: 满意度指标 | （10分）
    blank = all(not label_key(line.text(f)) for f in LABEL_FIELDS if f in line.values)
    no_numbers = all(not line.text(f) for f in ("weight", "score") if f in line.values)
    return blank and no_numbers


def _same_values(line: IndicatorLine, previous: IndicatorLine) -> bool:
    """Every value cell with text in this row is the very cell of the row above (one merged cell)."""
    cells = [c for f, c in line.printed.items() if f not in LABEL_FIELDS and c is not None and c.text]
    return bool(cells) and all(c is previous.printed.get(f) for f, c in line.printed.items()
                               if f not in LABEL_FIELDS and c is not None and c.text)


def _label_goes_on(above: str, text: str) -> bool:
    """The text at the top of a page ends the label cut at the foot of the last one."""
    vocab = vocabulary()
    key, joined = label_key(text), label_key(above + text)
    return bool(key and above) and key not in vocab.level1 and key not in vocab.level2 and (
        joined in vocab.level1 or joined in vocab.level2)


def _only_label_tails(line: IndicatorLine, previous: IndicatorLine) -> bool:
    """The lower half of a row cut by the page break that holds only the ends of the labels above it
    (满意度指 | 标) and nothing else: the rest of that row, not a row of its own."""
    labels = [f for f in LABEL_FIELDS if line.text(f)]
    others = [f for f in line.values if f not in LABEL_FIELDS and line.text(f)]
    return bool(labels) and not others and all(_completes_label(previous.text(f), line.text(f)) for f in labels)


def _completes_label(above: str, text: str) -> bool:
    """The label above is no label yet (服务对象), and with this text it is one (服务对象满意度指标), even where the
    text alone is one too (满意度指标)."""
    vocab = vocabulary()
    known = {**vocab.level1, **vocab.level2}
    return bool(label_key(above)) and label_key(above) not in known and label_key(above + text) in known


def add_indicator(sections: FormSections, row: Row) -> None:
    printed = cells_under(row, sections.indicator_header)
    line = IndicatorLine({f: [c] if c else [] for f, c in printed.items()}, row.page, printed)
    previous = sections.indicators[-1] if sections.indicators else None
    first_on_page = previous is not None and previous.page != row.page
    if previous is not None and _same_values(line, previous):
        # the row band of a value cell that spans it: a label's wrapped lines read as rows of their own
        for name in LABEL_FIELDS:
            cell = printed.get(name)
            held = previous.values.setdefault(name, [])
            if cell is not None and cell.text and all(cell is not c for c in held):
                held.append(cell)
        return
    if first_on_page and (_is_cut_piece(line) or _only_label_tails(line, previous)):
        for name, cells in line.values.items():
            for cell in cells:
                if cell.text and all(cell is not c for c in previous.values.setdefault(name, [])):
                    previous.values[name].append(cell)
        previous.page = row.page
        return
    if previous is not None:
        for name in LABEL_FIELDS:
            cell = printed.get(name)
            if first_on_page and cell is not None and _label_goes_on(previous.text(name), cell.text):
                previous.values[name].append(cell)  # 可持续影响 | 指标 cut by the page break: one label
                line.values[name] = previous.values[name]
                continue
            # A label printed once for a block (a merged cell) applies to every row of it: rows that share
            # the block's cell, and rows below a page break, where the block goes on without its text.
            if cell is not None and (cell is previous.printed.get(name) or (not cell.text and first_on_page)):
                line.values[name] = previous.values.get(name, [])
        if not line.text("level1"):
            line.values["level1"] = previous.values.get("level1", [])
    sections.indicators.append(line)


def is_total_row(row: Row) -> GridCell | None:
    return next((c for c in row.cells if vocabulary().is_total(c.text)), None)


def _total_in_header(sections: FormSections, row: Row) -> None:
    """总分 printed among the form's header cells (填报日期 | … | 总分 | 99): the total score, no weight."""
    label = is_total_row(row)
    if label is None or label_key(label.text) in vocabulary().funding_sources:
        return
    value = next((c for c in sorted(row.cells, key=lambda c: c.x0) if c.x0 >= label.x1 - 1 and c.text.strip()), None)
    if value is not None:
        sections.total = {"score": value, "label": label}


def split_sections(block: FormBlock) -> FormSections:
    s = FormSections()
    mode = None
    for row in block.rows:
        header = indicator_header(row)
        if header:
            if mode == "indicators" and header.keys() == s.indicator_header.keys():
                continue  # the header repeated at the top of a continuation page
            s.indicator_header, mode = header, "indicators"
            continue
        if mode == "indicators":
            label = is_total_row(row)
            if label is not None:
                s.total = cells_under(row, {f: s.indicator_header[f] for f in ("weight", "score") if f in s.indicator_header})
                s.total["label"] = label
                break
            add_indicator(s, row)
            continue
        _total_in_header(s, row)
        header = funding_header(row)
        if header:
            s.funding_header, mode = header, "funding"
            s.funding_context += [c.text for c in row.cells]
            continue
        header = goals_header(row)
        if header and mode != "goals":
            s.goals_header, mode = header, "goals"
            continue
        if take_meta(s, row):
            mode = None if mode == "goals" else mode
            continue
        if mode == "funding":
            line = funding_line(row, s.funding_header)
            if line:
                s.funding.append(line)
                s.funding_context += [c.text for c in row.cells if c.rowspan > 1]
                continue
        if mode == "goals":
            for name, head in s.goals_header.items():
                held = s.goals.setdefault(name, [])
                # every cell with text under the header (a row without inner rules splits the goals' cell);
                # a part's label next to the goals (绩效指标, a column header) is not goals text
                for cell in cells_within(row, head):
                    if cell.text and not vocabulary().is_label(cell.text) and all(cell is not c for c in held):
                        held.append(cell)
    return s
