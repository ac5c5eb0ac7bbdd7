"""Compare an extracted form with its truth, field by field, as the contract says tests compare."""

from __future__ import annotations

import re
import unicodedata

FORM_FIELDS = ("form_type", "title", "year", "unit_name", "project_name", "implementing_unit", "money_unit", "pages")
FUNDING_FIELDS = ("source", "label", "initial_budget", "budget", "executed", "transfer", "weight", "rate", "score")
INDICATOR_FIELDS = ("level1", "level1_label", "level2", "level2_label", "name", "content", "target", "actual", "weight",
                    "score", "reason", "measures")


def norm(value):
    if isinstance(value, str):
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 9)
    return value


def field_diffs(got: dict, want: dict) -> list[str]:
    """Every field where got differs from want, as readable lines (empty when they agree)."""
    out = []

    def cmp(path, a, b):
        if norm(a) != norm(b):
            out.append(f"{path}: got {a!r}, want {b!r}")

    for f in FORM_FIELDS:
        cmp(f"/{f}", got.get(f), want.get(f))
    for key in ("goals", "total"):
        g, w = got.get(key) or {}, want.get(key) or {}
        for sub in sorted(set(g) | set(w)):
            cmp(f"/{key}/{sub}", g.get(sub), w.get(sub))
    for key, fields in (("funding", FUNDING_FIELDS), ("indicators", INDICATOR_FIELDS)):
        g, w = got.get(key, []), want.get(key, [])
        if len(g) != len(w):
            out.append(f"/{key}: got {len(g)} rows, want {len(w)}")
        for i, (gr, wr) in enumerate(zip(g, w)):
            for f in fields:
                cmp(f"/{key}/{i}/{f}", gr.get(f), wr.get(f))
    if "functions" in want:
        cmp("/functions", got.get("functions"), want.get("functions"))
    return out


def finding_keys(form: dict) -> set[tuple[str, str]]:
    return {(f["code"], f["path"]) for f in form.get("findings", [])}
