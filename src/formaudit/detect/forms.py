"""Pages -> forms: find each form's title, and stitch its table across page breaks.

A form starts at a title line naming a form type (部门整体支出绩效自评表, 项目支出绩效自评表)
and owns the grids below it. While its table has not reached the 总分 row, the grids at
the top of the next page continue it; a row cut by the break, and merged labels that go
on without their text, are joined back by the sectionizer (it sees the page change).
"""

from __future__ import annotations

from formaudit.models import FormBlock, PageContent, Row, TextLine
from formaudit.vocabulary import label_key, vocabulary


def _is_total_row(row: Row) -> bool:
    is_total = vocabulary().is_total  # the vocabulary looked up once per row, not per cell
    return any(is_total(c.text) for c in row.cells)


def _has_indicator_header(row: Row) -> bool:
    keys = {vocabulary().indicator_columns.get(label_key(c.text)) for c in row.cells}
    return "level1" in keys and ("level2" in keys or "name" in keys)


def _closed(rows: list[Row]) -> bool:
    """The table reached its 总分 row (after the indicator header)."""
    seen_header = False
    for row in rows:
        seen_header = seen_header or _has_indicator_header(row)
        if seen_header and _is_total_row(row):
            return True
    return False


def _with_line_above(line: TextLine, above: TextLine | None) -> TextLine:
    """A title printed over two lines (2021年度城乡困难群众救助资金 / 项目支出绩效自评表): the line
    just above, centred like it and not a form title itself, is its first half."""
    if above is None or vocabulary().form_type_of(above.text):
        return line
    height = line.bbox[3] - line.bbox[1]
    close = 0 <= line.bbox[1] - above.bbox[3] <= height
    centred = abs((above.bbox[0] + above.bbox[2]) - (line.bbox[0] + line.bbox[2])) / 2 <= height
    if not (close and centred) or len(above.text) > 40:
        return line
    bbox = (min(above.bbox[0], line.bbox[0]), above.bbox[1], max(above.bbox[2], line.bbox[2]), line.bbox[3])
    return TextLine(line.page, bbox, above.text + line.text)


def _titles(page: PageContent) -> list[tuple[TextLine, str]]:
    out = []
    for i, line in enumerate(page.lines):
        kind = vocabulary().form_type_of(line.text)
        if kind:
            out.append((_with_line_above(line, page.lines[i - 1] if i else None), kind))
    return out


def _kind_of(rows: list[Row]) -> str:
    """A title that does not say the form's type: a 项目名称 row makes it a project form."""
    meta = vocabulary().meta
    return "project" if any(meta.get(label_key(c.text)) == "project_name" for row in rows for c in row.cells) else "department"


def _untitled(rows: list[Row]) -> bool:
    """A table that is a form by its structure alone: the indicator header and a total row."""
    return any(_has_indicator_header(r) for r in rows) and any(_is_total_row(r) for r in rows)


def find_forms(pages: list[PageContent]) -> list[FormBlock]:
    """Group the grids of consecutive pages into forms, in page order."""
    forms: list[FormBlock] = []
    open_form: FormBlock | None = None
    for page in pages:
        titles = _titles(page)
        grids = list(page.grids)
        # each grid's rows made once: a grid no title claims is asked again whether it is a form of its own
        rows_of = {id(g): g.rows() for g in grids}
        # grids above the first title on this page continue the open form from the previous page
        first_title_top = titles[0][0].bbox[1] if titles else float("inf")
        continuing = [g for g in grids if g.bbox[1] < first_title_top]
        claimed: set[int] = set()
        if open_form is not None and continuing and open_form.pages[-1] == page.number - 1:
            claimed.update(map(id, continuing))
            for grid in continuing:
                open_form.rows.extend(rows_of[id(grid)])
            open_form.pages.append(page.number)
            if _closed(open_form.rows):
                open_form = None
        elif open_form is not None and not titles:
            open_form = None
        for t, (title, kind) in enumerate(titles):
            next_top = titles[t + 1][0].bbox[1] if t + 1 < len(titles) else float("inf")
            own = [g for g in grids if title.bbox[1] < g.bbox[1] < next_top]
            claimed.update(map(id, own))
            header_lines = [ln for ln in page.lines if title.bbox[1] < ln.bbox[1] < min([g.bbox[1] for g in own] + [next_top])]
            rows = [row for g in own for row in rows_of[id(g)]]
            form = FormBlock(_kind_of(rows) if kind == "any" else kind, title, header_lines, rows, [page.number])
            forms.append(form)
            open_form = None if _closed(rows) else form
        for grid in grids:  # a whole form with no title line: its structure says what it is
            rows = rows_of[id(grid)]
            if id(grid) not in claimed and _untitled(rows):
                title = TextLine(page.number, grid.bbox, "")
                above = [ln for ln in page.lines if ln.bbox[3] <= grid.bbox[1]]
                forms.append(FormBlock(_kind_of(rows), title, above[-3:], rows, [page.number]))
    return [f for f in forms if f.rows]


def form_left_open(pages: list[PageContent]) -> bool:
    """The pages read so far end inside a form whose table has not reached its 总分 row: the next page may go on
    with it. A page after a closed form, or after any other table, need not be read unless it may hold a form
    itself (a report's budget tables after its forms are many pages that hold none)."""
    if not pages:
        return False
    start = len(pages) - 1  # a form open at the end began on the last page with a title, at the earliest
    while start > 0 and not _titles(pages[start]) and pages[start - 1].number == pages[start].number - 1:
        start -= 1
    forms = find_forms(pages[start:])
    return bool(forms) and forms[-1].pages[-1] == pages[-1].number and not _closed(forms[-1].rows)

