"""The label vocabulary: printed labels, titles and section words mapped to fields (vocabulary.toml).

The bottom of the house beside the models: detect and normalize both read it, and it imports
nothing of formaudit."""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_LEADING_OF_WHICH = re.compile(r"^(其中)[:：]?")
_WEIGHT_IN_LABEL = re.compile(r"(\d+(?:\.\d+)?)\s*分")


@lru_cache(maxsize=65536)
def label_key(text: str | None) -> str:
    """The form of a label used for matching: NFKC, no whitespace, no brackets, no 其中:/trailing colon."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"\s+", "", t)
    t = _LEADING_OF_WHICH.sub("", t)
    previous = None
    while previous != t:  # nested brackets: "执行率((B-C)/A)"
        previous, t = t, _BRACKETED.sub("", t)
    return t.rstrip(":").strip()


def weight_in_label(text: str | None) -> float | None:
    """A weight printed inside a label: 产出指标（50分）, 得分（20分*执行率）."""
    if not text:
        return None
    m = _WEIGHT_IN_LABEL.search(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    value = float(m.group(1))
    return int(value) if value.is_integer() else value


_TITLE_TAIL = re.compile(r"[\s(（\[【]*(?:\d{4}\s*年度?)?[)）\]】]*[:：]?$")
TITLE_MAX_CHARS = 40
LABEL_PREFIX_MIN = 5  # a wrapped label's first line is known as a label from this many characters


def _ends_title(squeezed: str, label: str) -> bool:
    """A title line: short, and the form's name ends it (a year in brackets may follow)."""
    if len(squeezed) > TITLE_MAX_CHARS:
        return False
    tail = squeezed[squeezed.rindex(label) + len(label):]
    return _TITLE_TAIL.fullmatch(tail) is not None


@dataclass(frozen=True)
class Vocabulary:
    form_type: dict[str, str]
    meta: dict[str, str]
    meta_priority: dict[str, int]
    funding_columns: dict[str, str]
    funding_sources: dict[str, str]
    goals: dict[str, str]
    indicator_columns: dict[str, str]
    level1: dict[str, str]
    level2: dict[str, str]
    total: frozenset[str]
    empty: frozenset[str]
    section_labels: frozenset[str] = frozenset()

    def is_label(self, text: str | None) -> bool:
        """Text that is a label of the form (a column header, a section's name), never a value."""
        key = label_key(text)
        if not key:
            return False
        labels = (self.section_labels, self.indicator_columns, self.funding_columns, self.goals, self.meta)
        if any(key in group for group in labels):
            return True
        # a long label wrapped in a narrow cell, its last characters on the next row (偏差原因分析及改进措 | 施)
        return len(key) >= LABEL_PREFIX_MIN and any(lbl.startswith(key) for group in labels for lbl in group)

    def is_total(self, text: str | None) -> bool:
        """The label of a form's total row (总分, 合计)."""
        return label_key(text) in self.total

    def form_type_of(self, title: str) -> str | None:
        """department/project for a title line, matched on its whitespace-free text; "any" for a
        self-evaluation title that does not say which (the table tells)."""
        squeezed = re.sub(r"\s+", "", unicodedata.normalize("NFKC", title))
        for label, kind in sorted(self.form_type.items(), key=lambda kv: -len(kv[0])):
            if label in squeezed:
                if kind == "any" and not _ends_title(squeezed, label):
                    continue  # prose naming a 自评表 is not a title
                return kind
        return None


def _invert(groups: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for field, labels in groups.items():
        for label in labels:
            out.setdefault(label_key(label), field)
    return out


def _extend(base: dict, extra: dict) -> dict:
    """A user's vocabulary file adds variants to the built-in lists (same tables and keys)."""
    for key, value in extra.items():
        if isinstance(value, dict):
            _extend(base.setdefault(key, {}), value)
        elif isinstance(value, list):
            base[key] = list(base.get(key, [])) + [v for v in value if v not in base.get(key, [])]
    return base


@cache
def vocabulary() -> Vocabulary:
    """The built-in vocabulary, extended by the file named in FORMAUDIT_VOCABULARY if set."""
    data = tomllib.loads(resources.files("formaudit.vocabulary").joinpath("vocabulary.toml").read_text("utf-8"))
    extra = os.environ.get("FORMAUDIT_VOCABULARY")
    if extra:
        with open(extra, "rb") as fh:
            data = _extend(data, tomllib.load(fh))
    meta_priority = {label_key(lbl): i for i, lbl in enumerate(data["meta"]["unit_name"])}
    return Vocabulary(
        form_type={re.sub(r"\s+", "", unicodedata.normalize("NFKC", lbl)): kind
                   for kind, labels in data["form_type"].items() for lbl in labels},
        meta=_invert(data["meta"]),
        meta_priority=meta_priority,
        funding_columns=_invert(data["funding"]["columns"]),
        funding_sources=_invert(data["funding"]["sources"]),
        goals=_invert(data["goals"]),
        indicator_columns=_invert(data["indicators"]["columns"]),
        level1=_invert(data["indicators"]["level1"]),
        level2=_invert(data["indicators"]["level2"]),
        total=frozenset(label_key(x) for x in data["total"]["labels"]),
        empty=frozenset(re.sub(r"\s+", "", x) for x in data["numbers"]["empty"]),
        section_labels=frozenset(label_key(x) for x in data.get("sections", {}).get("labels", [])),
    )
