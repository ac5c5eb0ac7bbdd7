"""Records as JSON: deterministic bytes (same PDF, same JSON), numbers as a reader expects."""

from __future__ import annotations

import json
from typing import Any

from formaudit.record import Record


def plain(value: Any) -> Any:
    """1763.0 -> 1763; nested containers walked."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 10)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def record_dict(record: Record) -> dict:
    return plain(record.model_dump(mode="json"))


def record_json(record: Record) -> str:
    return json.dumps(record_dict(record), ensure_ascii=False, indent=2) + "\n"



