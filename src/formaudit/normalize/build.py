"""Sections -> the form record: labels to codes, printed numbers to values, provenance for each value."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from formaudit.models import FormBlock, FormSections, GridCell, IndicatorLine
from formaudit.normalize.numbers import comma_for_point, parse_number, repair_ocr_number
from formaudit.normalize.text import clean_text, is_unreadable
from formaudit.record import CellRef, DocumentError, Form, FundingRow, Goals, Indicator, Total
from formaudit.vocabulary import label_key, vocabulary, weight_in_label

COMPARISONS = {"=", "≥", "≤", ">", "<", "﹦", ">=", "<="}
# A bare number above this in an execution-rate column is a percentage (97 -> 0.97): rates run near 1.
BARE_PERCENT_ABOVE = 2.0
_SPACE = re.compile(r"\s+")
_YUAN = re.compile(r"(单位[:：]?元|\(元\))")  # the money unit printed as 元
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
LEVEL1_OF_LEVEL2 = {
    "quantity": "output", "quality": "output", "timeliness": "output", "cost": "output",
    "economic": "benefit", "social": "benefit", "ecological": "benefit", "sustainability": "benefit",
    "satisfaction": "satisfaction", "economic_cost": "cost", "social_cost": "cost", "ecological_cost": "cost",
}


@dataclass
class FormBuilder:
    """Collects values and their provenance for one form."""

    block: FormBlock
    sections: FormSections
    cells: dict[str, CellRef] = field(default_factory=dict)
    errors: list[DocumentError] = field(default_factory=list)

    def note(self, path: str, cell: GridCell | None, text: str | None = None, *, joined: list[GridCell] | None = None,
             **extra) -> None:
        """The value's CELL; `joined`: every cell its text was read from (a row a page break cut, a target printed
        over columns), when more than one."""
        if cell is None:
            return
        if cell.repairs and "ocr_repairs" not in extra:
            extra["ocr_repairs"] = cell.repairs
        if joined:
            read = [c for c in joined if c.text.strip()] or [cell]
            confirmed = all(c.confirmed_by_layer for c in read)
        else:
            confirmed = cell.confirmed_by_layer  # (the cell alone, with text or not)
        if confirmed:
            # a searchable scan's text layer read the same text: two readers agree (validate/rules.mark_uncertain)
            extra["confirmed_by_text_layer"] = True
        self.cells[path] = CellRef(page=cell.page, bbox=list(cell.page_bbox or cell.bbox), text=cell.text if text is None else text,
                                   confidence=round(cell.confidence, 4), **extra)

    def number(self, path: str, cell: GridCell | None, *, percent_header: bool = False,
               rate_column: bool = False) -> float | int | None:
        if cell is None:
            return None
        text, repairs = cell.text, list(cell.repairs)
        parsed = parse_number(text, percent_header=percent_header)
        if cell.confidence < 1.0 and not parsed.empty and (parsed.value is None or comma_for_point(text)):
            # read by OCR, and unreadable or read wrong: try the safe repairs
            repaired = repair_ocr_number(text)
            if repaired is not None:
                repairs.append(f"{text} -> {repaired}")
                text, parsed = repaired, parse_number(repaired, percent_header=percent_header)
        if rate_column and not percent_header and parsed.value is not None and "%" not in text \
                and abs(parsed.value) > BARE_PERCENT_ABOVE:
            # an execution rate of 97 is 97%, never 9700%: the column says what its numbers are (a % that the
            # OCR dropped, or a header that says 执行率 without its unit)
            percent_header, parsed = True, parse_number(text, percent_header=True)
        if not parsed.empty:  # a value, or text that should have been one (the validator flags it)
            extra = {"percent": True} if percent_header and parsed.value is not None else {}
            if repairs:
                extra["ocr_repairs"] = repairs
            self.note(path, cell, text, **extra)
        return parsed.value

    def text(self, path: str, cells: list[GridCell]) -> str | None:
        raw = "".join(c.text for c in cells)
        if is_unreadable(raw):
            page = cells[0].page if cells else None
            self.errors.append(DocumentError(code="UNREADABLE_TEXT", page=page,
                                             message=f"{path}: the font has no Unicode map, text not guessed: {raw[:40]!r}"))
            if cells:
                self.note(path, cells[0], raw, joined=cells)
            return None
        value = clean_text(raw)
        if value is not None and cells:
            self.note(path, cells[0], raw, joined=cells)
        return value

    # ------------------------------------------------------------------ parts
    def year(self) -> int | None:
        for line in [self.block.title, *self.block.header_lines]:
            m = _YEAR.search(_SPACE.sub("", unicodedata.normalize("NFKC", line.text)))  # OCR reads "20 20 年"
            if m:
                return int(m.group(1))
        return None

    def money_unit(self) -> str | None:
        context = self.sections.funding_context + [ln.text for ln in self.block.header_lines]
        for text in context:
            t = _SPACE.sub("", unicodedata.normalize("NFKC", text))  # a narrow cell wraps "万\n元"
            if "万元" in t:
                return "万元"
            if _YUAN.search(t):
                return "元"
        return None

    def meta_text(self, name: str) -> str | None:
        cell = self.sections.meta.get(name)
        return self.text(f"/{name}", [cell]) if cell else None

    def funding(self) -> list[FundingRow]:
        header = self.sections.funding_header
        rate_head = header.get("rate")
        percent_header = bool(rate_head and "%" in unicodedata.normalize("NFKC", rate_head.text))
        rows = []
        for i, line in enumerate(self.sections.funding):
            base = f"/funding/{i}"
            values = {f: self.number(f"{base}/{f}", line.values.get(f), percent_header=(f == "rate" and percent_header),
                                     rate_column=(f == "rate"))
                      for f in ("initial_budget", "budget", "executed", "transfer", "weight", "rate", "score")}
            rows.append(FundingRow(source=line.source, label=_SPACE.sub("", line.label.text), **values))
        self._weights_from_header(rows)
        return rows

    def _weights_from_header(self, rows: list[FundingRow]) -> None:
        """得分（20分*执行率）: the weight printed in a header applies where no cell holds one."""
        header = self.sections.funding_header
        if "weight" in header:
            return
        for name in ("score", "rate"):
            cell = header.get(name)
            weight = weight_in_label(cell.text) if cell else None
            if weight is None:
                continue
            scored = [i for i, r in enumerate(rows) if r.score is not None] or [i for i, r in enumerate(rows) if r.source == "total"][:1]
            for i in scored:
                rows[i].weight = weight
                self.note(f"/funding/{i}/weight", cell)
            return

    def rate_basis(self) -> str | None:
        head = self.sections.funding_header.get("rate")
        if not head:
            return None
        t = _SPACE.sub("", unicodedata.normalize("NFKC", head.text))
        if "B-C" in t:
            return "(B-C)/A"
        if "B/A" in t:
            return "B/A"
        return None

    def goals(self) -> Goals | None:
        if not self.sections.goals_header:
            return None
        return Goals(planned=self.text("/goals/planned", self.sections.goals.get("planned", [])),
                     achieved=self.text("/goals/achieved", self.sections.goals.get("achieved", [])))

    def indicator(self, i: int, line: IndicatorLine) -> Indicator | None:
        vocab = vocabulary()
        base = f"/indicators/{i}"
        level1_label = _SPACE.sub("", line.text("level1")) or None
        level2_label = _SPACE.sub("", line.text("level2")) or None
        level2 = vocab.level2.get(label_key(level2_label))
        level1 = vocab.level1.get(label_key(level1_label)) or LEVEL1_OF_LEVEL2.get(level2 or "")
        if level1 is None:
            self.errors.append(DocumentError(code="UNKNOWN_INDICATOR_LEVEL", page=self._page_of(line),
                                             message=f"indicator row {i}: first-level label {level1_label!r} is not in the vocabulary"))
            return None
        if level1 == "cost" and level2 == "cost":
            level2 = None if level2_label and label_key(level2_label) == label_key(level1_label) else level2
        for name in ("level1", "level2"):  # provenance of the labels too (a finding may rest on one)
            cells = [c for c in line.values.get(name, []) if c.text]
            if cells:
                self.note(f"{base}/{name}_label", cells[0])
        # 年初指标值 | 调整指标值: the adjusted value where one is printed, else the initial one
        target_name = "target" if line.text("target") or "target_initial" not in line.values else "target_initial"
        target = self._joined(base + "/target", line, ["operator", target_name, "unit"])
        actual = self._joined(base + "/actual", line, ["actual", "unit"] if line.text("actual") else ["actual"])
        weight_cells, score_cells = line.values.get("weight", []), line.values.get("score", [])
        return Indicator(
            level1=level1, level1_label=level1_label, level2=level2, level2_label=level2_label,
            name=self.text(base + "/name", line.values.get("name", [])),
            content=self.text(base + "/content", line.values.get("content", [])) if "content" in line.values else None,
            target=target, actual=actual,
            weight=self.number(base + "/weight", weight_cells[0] if weight_cells else None),
            score=self.number(base + "/score", score_cells[0] if score_cells else None),
            reason=self.text(base + "/reason", line.values.get("reason", [])),
            measures=self.text(base + "/measures", line.values.get("measures", [])),
        )

    def _joined(self, path: str, line: IndicatorLine, names: list[str]) -> str | None:
        """指标性质 | 指标值 | 度量单位 printed apart, joined in that order: ≥266米."""
        cells = [c for n in names for c in line.values.get(n, [])]
        parts = [clean_text(line.text(n)) for n in names]
        if names[0] == "operator" and unicodedata.normalize("NFKC", parts[0] or "") not in COMPARISONS:
            parts[0] = None  # 定性/定量 say what kind of indicator it is; they are not part of the value
        if not any(parts):
            return None
        if is_unreadable("".join(p or "" for p in parts)):
            return self.text(path, cells)
        first = next(c for n in names for c in line.values.get(n, []) if c.text)
        self.note(path, first, "".join(c.text for c in cells), joined=cells)
        return "".join(p for p in parts if p)

    @staticmethod
    def _page_of(line: IndicatorLine) -> int | None:
        return next((c.page for cells in line.values.values() for c in cells), None)

    def total(self) -> Total | None:
        total = self.sections.total
        if not total:
            return None
        return Total(weight=self.number("/total/weight", total.get("weight")),
                     score=self.number("/total/score", total.get("score")))

    def build(self) -> Form:
        funding = self.funding()
        indicators: list[Indicator] = []
        for line in self.sections.indicators:  # a dropped row notes nothing, so paths stay aligned
            ind = self.indicator(len(indicators), line)
            if ind:
                indicators.append(ind)
        form = Form(
            form_type=self.block.form_type,
            title=_SPACE.sub("", self.block.title.text),
            year=self.year(),
            unit_name=self.meta_text("unit_name"),
            project_name=self.meta_text("project_name"),
            implementing_unit=self.meta_text("implementing_unit"),
            money_unit=self.money_unit(),
            pages=self.block.pages,
            funding=funding,
            goals=self.goals(),
            indicators=indicators,
            total=self.total(),
            findings=[],
            cells={},
        )
        functions = self.meta_text("functions")
        if functions is not None:
            form.functions = functions
        basis = self.rate_basis()
        if basis:
            form.rate_basis = basis
        form.cells = self.cells
        return form


def build_form(block: FormBlock, sections: FormSections) -> tuple[Form, list[DocumentError]]:
    builder = FormBuilder(block, sections)
    form = builder.build()
    return form, builder.errors
