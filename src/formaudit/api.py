"""formaudit's Python API: what the command line calls, for notebooks and scripts.

    >>> import formaudit
    >>> record = formaudit.read_pdf("form.pdf")
    >>> record.to_frames()["funding"]
    >>> formaudit.open_dataset("results.duckdb").findings
"""

from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from formaudit import record as contract
from formaudit.limits import DEFAULT_MAX_MB, GRIDS, OCR_MODES, READERS
from formaudit.record import Finding, Form
from formaudit.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

    from formaudit.pipeline import Options

__all__ = ["FRAME_TABLES", "GRIDS", "OCR_MODES", "READERS", "Record", "audit", "read_pdf"]

FRAME_TABLES = ("forms", "funding", "indicators", "findings")


class Record(contract.Record):
    """The form record of one PDF (the JSON that `formaudit extract` writes), typed.

    `source` (path, sha256, pages), `forms` (each with `funding`, `indicators`, `total`, `findings`
    and the page, box and printed text of every value in `cells`) and `errors` (what went wrong
    with the document: a broken file or page is an entry here, never an exception).

    >>> record = formaudit.read_pdf("form.pdf")
    >>> form = record.forms[0]
    >>> form.unit_name, form.year, form.funding[0].rate
    ('中国人民政治协商会议湖南省长沙市望城区委员会办公室', 2020, 0.96)
    """

    def to_frames(self) -> "dict[str, pd.DataFrame]":
        """The record as the batch's tables: forms, funding, indicators and findings, with the
        columns of the database tables (numbers as numbers, `form_id` = "<sha256>:<index>").

        >>> frames = formaudit.read_pdf("form.pdf").to_frames()
        >>> frames["funding"][["source", "budget", "executed", "rate"]]
        """
        from formaudit.export.tables import arrow_table, frame, record_rows

        rows = record_rows(self, 0, 0.0)
        return {name: frame(arrow_table(name, rows[name])) for name in FRAME_TABLES}

    def to_json(self) -> str:
        """The record as `formaudit extract` writes it (the same bytes for the same PDF)."""
        from formaudit.export.json_record import record_json

        return record_json(self)


def pipeline_options(grid: str = "pdfplumber", max_mb: int = DEFAULT_MAX_MB, reader: str = "pdfium",
                     ocr: str = "auto", settings: Settings | None = None) -> "Options":
    """The pipeline's options, checked as the command line checks them (ValueError otherwise): Options checks
    grid, reader and ocr itself."""
    from formaudit.pipeline import Options

    if isinstance(max_mb, bool) or not isinstance(max_mb, int) or max_mb <= 0:
        raise ValueError(f"max_mb must be a positive whole number of megabytes, not {max_mb!r}")
    from formaudit.settings import DEFAULT

    return Options(grid=grid, reader=reader, max_bytes=max_mb * 1024 * 1024, ocr=ocr,
                   settings=DEFAULT if settings is None else settings)


def read_pdf(path: str | PathLike[str], *, grid: str = "pdfplumber", ocr: str = "auto", reader: str = "pdfium",
             max_mb: int = DEFAULT_MAX_MB, settings: Settings | None = None) -> Record:
    """Read every self-evaluation form (绩效自评表) of a PDF and audit its arithmetic.

    Returns the same record as ``formaudit extract`` (``record.to_json()`` gives its bytes).
    Pages without a usable text layer (scans, fonts without a Unicode map) are read by OCR.

    Parameters
    ----------
    path : str or os.PathLike
        The PDF file.
    grid : {"pdfplumber", "camelot"}, default "pdfplumber"
        Which detector supplies the table cells (``--grid``); camelot's lattice parser is a
        second opinion for ruled tables.
    ocr : {"auto", "off"}, default "auto"
        ``"auto"`` reads pages with no usable text layer (scans) by OCR, about 2 s a page; ``"off"``
        skips them, and ``record.errors`` says which (``OCR_SKIPPED``) (``--ocr``).
    reader : {"pdfium", "pdfminer"}, default "pdfium"
        Which parser reads a text-layer page's characters and rules (``--reader``); pdfminer is
        a slower second opinion.
    max_mb : int, default 512
        Larger files are not read: the record carries a TOO_LARGE error (``--max-mb``).
    settings : formaudit.settings.Settings, optional
        The reading stages' thresholds (``--settings``), e.g.
        ``Settings.from_mapping({"text": {"chunk_gap_em": 0.8}})``; the defaults when not given.

    Returns
    -------
    Record
        ``record.forms`` (each with its ``findings``), ``record.errors`` for what could not be read
        (a broken PDF is an error entry, not an exception), ``record.to_frames()`` for pandas.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When an option is not one the command line accepts.

    Examples
    --------
    >>> import formaudit
    >>> record = formaudit.read_pdf("form.pdf")
    >>> [(f.code, f.path, f.found, f.expected) for f in record.forms[0].findings]
    [('RATE_MISMATCH', '/funding/0/rate', 0.96, 0.9582), ...]
    >>> record.to_frames()["indicators"][["name", "target", "actual", "score"]]
    """
    from formaudit.pipeline import extract

    options = pipeline_options(grid, max_mb, reader, ocr, settings)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    return _as_api_record(extract(path, display_path=str(path), options=options))


def _as_api_record(base: contract.Record) -> Record:
    """The pipeline's record as the API's Record, sharing its parts (nothing copied or re-read)."""
    fields = {name: getattr(base, name) for name in type(base).model_fields}
    return Record.model_construct(_fields_set=base.model_fields_set, **fields, **(base.model_extra or {}))


def audit(record: contract.Record | Form) -> list[Finding]:
    """Recompute the findings of a record (or of one form), for instance after editing values in Python.

    Each form's ``findings`` are replaced by the recomputed ones, which are also returned, form by
    form. This is what ``formaudit validate`` does to a JSON record.

    >>> record = formaudit.read_pdf("form.pdf")
    >>> record.forms[0].total.weight = 70
    >>> [f.code for f in formaudit.audit(record)]
    ['RATE_MISMATCH', 'RATE_MISMATCH']
    """
    from formaudit.validate.rules import audit as audit_form

    forms = [record] if isinstance(record, Form) else record.forms
    found: list[Finding] = []
    for form in forms:
        form.findings = audit_form(form)
        found.extend(form.findings)
    return found
