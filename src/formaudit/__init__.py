"""formaudit: digitize and audit Chinese budget-performance self-evaluation forms (绩效自评表).

    >>> import formaudit
    >>> record = formaudit.read_pdf("form.pdf")        # the record `formaudit extract` writes
    >>> record.to_frames()["findings"]                  # forms, funding, indicators, findings as DataFrames
    >>> formaudit.audit(record)                         # findings recomputed after an edit
    >>> ds = formaudit.open_dataset("results.duckdb")   # a batch: DuckDB file or Parquet folder
    >>> ds.forms, ds.sql("SELECT code, count(*) FROM findings GROUP BY code")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Dataset", "Finding", "Form", "NotADataset", "Record", "audit", "open_dataset", "read_pdf", "__version__"]

# Imported on first use: the command line and the batch's workers import this package, and reading
# PDFs pulls in pdfplumber, pandas and friends that `formaudit --help` does not need.
_LAZY = {"read_pdf": "formaudit.api", "audit": "formaudit.api", "Record": "formaudit.api",
         "Finding": "formaudit.record", "Form": "formaudit.record",
         "open_dataset": "formaudit.dataset", "Dataset": "formaudit.dataset", "NotADataset": "formaudit.dataset"}

if TYPE_CHECKING:
    from formaudit.api import Record, audit, read_pdf
    from formaudit.dataset import Dataset, NotADataset, open_dataset
    from formaudit.record import Finding, Form


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'formaudit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
