"""Words for people, in Chinese or English: labels.toml for columns, sheets, values and the report,
the rule registry (validate/rules.toml) for the finding codes.

JSON records and the database keep the contract's English field names; only what a person
reads goes through here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from formaudit.validate.catalog import LANGUAGES, WORDS

DEFAULT_LANGUAGE = "zh"


@cache
def _table() -> dict[str, dict[str, list[str]]]:
    data = tomllib.loads(resources.files("formaudit.export").joinpath("labels.toml").read_text(encoding="utf-8"))
    for group, entries in data.items():
        for key, pair in entries.items():
            if not (isinstance(pair, list) and len(pair) == len(LANGUAGES)):
                raise ValueError(f"labels.toml: [{group}] {key} must be [zh, en]")
    return data


@dataclass(frozen=True)
class Labels:
    lang: str = DEFAULT_LANGUAGE

    def __post_init__(self):
        if self.lang not in LANGUAGES:
            raise ValueError(f"unknown language {self.lang!r}: one of {', '.join(LANGUAGES)}")

    @property
    def _i(self) -> int:
        return LANGUAGES.index(self.lang)

    def word(self, group: str, key: str, **fields) -> str:
        text = _table()[group][key][self._i]
        return text.format(**fields) if fields else text

    def column(self, key: str) -> str:
        return self.word("columns", key)

    def sheet(self, key: str) -> str:
        return self.word("sheets", key)

    def ui(self, key: str, **fields) -> str:
        return self.word("report", key, **fields)

    def value(self, column: str, value) -> str:
        """A coded value (severity, form type, source, status) in words; anything else as it is."""
        if value is None:
            return ""
        key = f"{column}.{str(value).lower() if isinstance(value, bool) else value}"
        pair = _table()["values"].get(key)
        return pair[self._i] if pair else str(value)

    def problem(self, code: str) -> str:
        """A finding code's or a document error's name."""
        if code in WORDS:
            return WORDS[code].name[self.lang]
        pair = _table()["document_errors"].get(code)
        return pair[self._i] if pair else code

    def rule(self, code: str) -> str:
        return WORDS[code].rule[self.lang] if code in WORDS else ""

    def expected(self, code: str) -> str:
        return WORDS[code].expected[self.lang] if code in WORDS else self.column("recomputed")


def expected_words(labels: Labels, value) -> str | None:
    """The words of a finding's non-numeric `expected` ("a reason") in the labels' language."""
    if not isinstance(value, str):
        return None
    pair = _table()["expected"].get(value)
    return pair[labels._i] if pair else value
