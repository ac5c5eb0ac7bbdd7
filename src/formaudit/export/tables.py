"""A record -> rows of the batch tables. One definition serves DuckDB, Parquet and Dask.

Keys: a document is its content (sha256); `files` maps every path seen to it, so copies
of one PDF under several names are processed once. A form is `<sha256>:<index>`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pyarrow as pa

from formaudit import __version__
from formaudit.export.json_record import record_dict
from formaudit.limits import FAILED_CODES
from formaudit.record import Record

if TYPE_CHECKING:
    import pandas as pd

SCHEMAS: dict[str, pa.Schema] = {
    "documents": pa.schema([
        ("sha256", pa.string()), ("path", pa.string()), ("size_bytes", pa.int64()), ("pages", pa.int32()),
        ("status", pa.string()), ("error_code", pa.string()), ("error_message", pa.string()), ("errors_json", pa.string()),
        ("forms", pa.int32()), ("error_findings", pa.int32()), ("warning_findings", pa.int32()), ("seconds", pa.float64()),
        ("ocr_pages", pa.int32()), ("peak_mb", pa.float64()), ("formaudit_version", pa.string()),
    ]),
    "files": pa.schema([("path", pa.string()), ("sha256", pa.string()), ("size_bytes", pa.int64())]),
    "forms": pa.schema([
        ("form_id", pa.string()), ("sha256", pa.string()), ("form_index", pa.int32()), ("form_type", pa.string()),
        ("title", pa.string()), ("year", pa.int32()), ("unit_name", pa.string()), ("project_name", pa.string()),
        ("implementing_unit", pa.string()), ("money_unit", pa.string()), ("pages", pa.string()),
        ("budget", pa.float64()), ("executed", pa.float64()), ("rate", pa.float64()),
        ("total_weight", pa.float64()), ("total_score", pa.float64()), ("indicators", pa.int32()),
        ("error_findings", pa.int32()), ("warning_findings", pa.int32()), ("record_json", pa.string()),
    ]),
    "funding": pa.schema([
        ("form_id", pa.string()), ("row_index", pa.int32()), ("source", pa.string()), ("label", pa.string()),
        ("initial_budget", pa.float64()), ("budget", pa.float64()), ("executed", pa.float64()), ("transfer", pa.float64()),
        ("weight", pa.float64()), ("rate", pa.float64()), ("score", pa.float64()),
    ]),
    "indicators": pa.schema([
        ("form_id", pa.string()), ("row_index", pa.int32()), ("level1", pa.string()), ("level1_label", pa.string()),
        ("level2", pa.string()), ("level2_label", pa.string()), ("name", pa.string()), ("content", pa.string()),
        ("target", pa.string()), ("actual", pa.string()), ("weight", pa.float64()), ("score", pa.float64()),
        ("reason", pa.string()), ("measures", pa.string()),
    ]),
    "findings": pa.schema([
        ("form_id", pa.string()), ("finding_index", pa.int32()), ("sha256", pa.string()), ("code", pa.string()),
        ("severity", pa.string()), ("path", pa.string()), ("expected", pa.string()), ("found", pa.string()),
        ("message", pa.string()), ("uncertain", pa.bool_()), ("confidence", pa.float64()),
        ("form_type", pa.string()), ("year", pa.int32()), ("unit_name", pa.string()), ("project_name", pa.string()),
        ("file_path", pa.string()),
    ]),
}
KEYS = {
    "documents": ["sha256"], "files": ["path"], "forms": ["form_id"], "funding": ["form_id", "row_index"],
    "indicators": ["form_id", "row_index"], "findings": ["form_id", "finding_index"],
}
DOCUMENT_TABLES = ("forms", "funding", "indicators", "findings")  # rows that belong to one document


def document_status(record: Record) -> tuple[str, str | None, str | None]:
    """ok | no_form | failed, with the first error's code and message."""
    failed = [e for e in record.errors if e.code in FAILED_CODES]
    if failed:
        return "failed", failed[0].code, failed[0].message
    if not record.forms:
        first = record.errors[0] if record.errors else None
        return "no_form", first.code if first else "NO_FORM_FOUND", first.message if first else None
    first = record.errors[0] if record.errors else None
    return "ok", first.code if first else None, first.message if first else None


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def record_rows(record: Record, size_bytes: int, seconds: float, peak_mb: float | None = None) -> dict[str, list[dict]]:
    data = record_dict(record)
    sha = data["source"]["sha256"]
    status, code, message = document_status(record)
    rows: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
    counts = {"error": 0, "warning": 0}
    for i, form in enumerate(data["forms"]):
        form_id = f"{sha}:{i}"
        severities = [f["severity"] for f in form["findings"]]
        total_row = next((r for r in form["funding"] if r["source"] == "total"), None) or (form["funding"][0] if form["funding"] else {})
        rows["forms"].append({
            "form_id": form_id, "sha256": sha, "form_index": i, "form_type": form["form_type"], "title": form["title"],
            "year": form["year"], "unit_name": form["unit_name"], "project_name": form.get("project_name"),
            "implementing_unit": form.get("implementing_unit"), "money_unit": form["money_unit"],
            "pages": ",".join(str(p) for p in form["pages"]), "budget": total_row.get("budget"),
            "executed": total_row.get("executed"), "rate": total_row.get("rate"),
            "total_weight": (form["total"] or {}).get("weight"), "total_score": (form["total"] or {}).get("score"),
            "indicators": len(form["indicators"]), "error_findings": severities.count("error"),
            "warning_findings": severities.count("warning"), "record_json": json.dumps(form, ensure_ascii=False),
        })
        for k, row in enumerate(form["funding"]):
            rows["funding"].append({"form_id": form_id, "row_index": k, **{c: row.get(c) for c in SCHEMAS["funding"].names[2:]}})
        for k, row in enumerate(form["indicators"]):
            rows["indicators"].append({"form_id": form_id, "row_index": k, **{c: row.get(c) for c in SCHEMAS["indicators"].names[2:]}})
        for k, f in enumerate(form["findings"]):
            counts[f["severity"]] += 1
            rows["findings"].append({
                "form_id": form_id, "finding_index": k, "sha256": sha, "code": f["code"], "severity": f["severity"],
                "path": f["path"], "expected": _json(f.get("expected")), "found": _json(f.get("found")), "message": f["message"],
                "uncertain": bool(f.get("uncertain", False)), "confidence": f.get("confidence"),
                "form_type": form["form_type"], "year": form["year"], "unit_name": form["unit_name"],
                "project_name": form.get("project_name"), "file_path": data["source"]["path"],
            })
    rows["documents"].append({
        "sha256": sha, "path": data["source"]["path"], "size_bytes": size_bytes, "pages": data["source"]["pages"],
        "status": status, "error_code": code, "error_message": message, "errors_json": _json(data["errors"]),
        "forms": len(data["forms"]), "error_findings": counts["error"], "warning_findings": counts["warning"],
        "seconds": round(seconds, 3), "ocr_pages": data["source"].get("ocr_pages"),
        "peak_mb": round(peak_mb, 1) if peak_mb else None, "formaudit_version": __version__,
    })
    rows["files"].append({"path": data["source"]["path"], "sha256": sha, "size_bytes": size_bytes})
    return rows


def arrow_table(name: str, rows: list[dict]) -> pa.Table:
    schema = SCHEMAS[name]
    return pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows], schema=schema)


def frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a DataFrame with numbers as numbers: integer columns stay integers where a
    value is missing (pandas' Int32/Int64, not floats), DuckDB's wide sums become plain integers or floats."""
    import pandas as pd

    columns = []
    for column, field in zip(table.columns, table.schema):
        if pa.types.is_decimal(field.type):
            column = column.cast(pa.int64() if field.type.scale == 0 else pa.float64())
        columns.append(column)
    table = pa.Table.from_arrays(columns, names=table.column_names)
    mapping = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
               pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return table.to_pandas(types_mapper=mapping.get)
