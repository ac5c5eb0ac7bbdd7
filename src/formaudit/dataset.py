"""A batch's tables as pandas DataFrames, whether the batch is a DuckDB file or a Parquet dataset.

`formaudit query`, `stats`, `report` and `validate` read a batch through the same connection
(`open_dataset_connection`): a DuckDB file opened read-only, or DuckDB views over a Parquet
folder's `<table>/*.parquet` parts, read in place.
"""

from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from formaudit.export.duckdb_store import STATS_QUERIES, NotADataset, open_dataset_connection, records_of
from formaudit.export.tables import KEYS, SCHEMAS, frame

if TYPE_CHECKING:
    import pandas as pd

    from formaudit.api import Record

__all__ = ["Dataset", "NotADataset", "frame", "open_dataset"]


class Dataset:
    """The tables of a `formaudit batch` run, read-only.

    `path` is the batch's DuckDB file (``--db``) or its Parquet folder (``--parquet``, or what a
    Dask run writes). Each table attribute reads the table again, ordered by its key.

    >>> ds = formaudit.open_dataset("results.duckdb")
    >>> ds.findings.groupby("code").size()
    >>> ds.sql("SELECT unit_name, count(*) AS n FROM findings GROUP BY unit_name")
    """

    def __init__(self, path: str | PathLike[str]):
        self.path = Path(path)
        self._con = open_dataset_connection(self.path)

    # ------------------------------------------------------------ tables
    @property
    def documents(self) -> "pd.DataFrame":
        """One row per distinct PDF content: sha256, path, pages, status (ok, no_form, failed), error."""
        return self.table("documents")

    @property
    def files(self) -> "pd.DataFrame":
        """Every path seen, with the sha256 of its content."""
        return self.table("files")

    @property
    def forms(self) -> "pd.DataFrame":
        """One row per form: form_id (<sha256>:<index>), unit, year, type, totals, the form as JSON."""
        return self.table("forms")

    @property
    def funding(self) -> "pd.DataFrame":
        """The funding rows of every form (资金来源: total, fiscal, carryover, other)."""
        return self.table("funding")

    @property
    def indicators(self) -> "pd.DataFrame":
        """The performance indicators of every form."""
        return self.table("indicators")

    @property
    def findings(self) -> "pd.DataFrame":
        """Every finding of the audit, with the form's unit, year, type and file."""
        return self.table("findings")

    def table(self, name: str) -> "pd.DataFrame":
        """One table by name (documents, files, forms, funding, indicators, findings), ordered by its key."""
        if name not in SCHEMAS:
            raise ValueError(f"no table {name!r}: the tables are {', '.join(SCHEMAS)}")
        order = ", ".join(f'"{k}"' for k in KEYS[name])
        return self.sql(f"SELECT * FROM {name} ORDER BY {order}")

    def sql(self, query: str, params: list | None = None) -> "pd.DataFrame":
        """The result of a SQL query (DuckDB's dialect) over the tables, as a DataFrame.

        >>> ds.sql("SELECT year, count(*) AS forms FROM forms GROUP BY year ORDER BY year")
        """
        # a cursor of its own: a result left half-read elsewhere on the connection does not block it
        cursor = self._con.cursor()
        try:
            relation = cursor.sql(query, params=params)
            if relation is None:  # a statement that returns no rows
                return frame(pa.table({}))
            # DuckDB 1.4 named it to_arrow_table; older releases call it arrow
            fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
            return frame(fetch())
        finally:
            cursor.close()

    def stats(self) -> "dict[str, pd.DataFrame]":
        """What `formaudit stats` prints: documents by status, forms by type and year, findings by
        code, the units and years with most errors."""
        return {title: self.sql(query) for title, query in STATS_QUERIES.items()}

    def records(self) -> "list[Record]":
        """Every file's form record (the JSON `extract` writes), rebuilt from the tables, by path."""
        from formaudit.api import Record

        return [Record.model_validate(data) for data in records_of(self._con)]

    # ------------------------------------------------------------ lifetime
    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> "Dataset":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={self.sql(f'SELECT count(*) AS n FROM {name}')['n'][0]}"
                           for name in ("documents", "forms", "findings"))
        return f"<formaudit.Dataset {self.path} ({counts})>"


def open_dataset(path: str | PathLike[str]) -> Dataset:
    """Open a batch's tables: its DuckDB file or its Parquet dataset folder.

    Raises `NotADataset` (a ValueError) with a one-line reason when the path is neither.

    >>> import formaudit
    >>> ds = formaudit.open_dataset("out/parquet")
    >>> ds.forms[["unit_name", "year", "rate", "error_findings"]]
    >>> ds.sql("SELECT code, count(*) AS n FROM findings GROUP BY code ORDER BY n DESC")
    """
    return Dataset(path)
