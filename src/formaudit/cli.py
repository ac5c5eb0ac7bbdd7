"""formaudit command line: a thin layer over the pipeline, exports and validator."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from formaudit import __version__
from formaudit.cli_checks import DPI, WORKERS, Parser, add_limit_options, limits_of, output_folder, run_command
from formaudit.errors import InputError
from formaudit.limits import FAILED_CODES, GRIDS, OCR_MODES, READERS
from formaudit.paths import find_pdfs, output_path

EPILOG = """\
examples:
  formaudit extract reports/ --out out/json       one JSON record per PDF (folders searched recursively)
  formaudit audit form.pdf                        findings as a table; exit 1 if any error finding
  formaudit validate out/json/*.json              re-audit records without their PDFs
  formaudit batch archive/ --db results.duckdb    a whole archive into DuckDB (resumable, parallel)
  formaudit report results.duckdb --out report.html --xlsx report.xlsx
  formaudit debug form.pdf --out debug/           draw the detected grid and sections on each page
  formaudit query results.duckdb "SELECT * FROM findings"
  formaudit stats out/parquet                     a Parquet dataset (a Dask run's) reads like the DuckDB file
  formaudit import out/parquet --db results.duckdb

exit status: 0 no error finding, 1 error findings, 2 an input could not be used.
Every PDF is read in a separate process under the caps --timeout, --memory-mb, --max-mb, --max-pages
and --max-megapixels: a file that passes one is recorded with a code that says which.
"""


def _extract(pdf: Path, args):
    """One PDF read in a child process under the command's caps (isolate.py), as batch reads it."""
    from formaudit.isolate import extract_guarded, load_settings, reading_options

    limits = limits_of(args)
    options = reading_options(limits, args.grid, args.reader, args.ocr, load_settings(args.settings))
    return extract_guarded(pdf, limits, options, display_path=str(pdf))


def _pdfs_or_fail(paths) -> list[tuple[Path, Path | None]]:
    pdfs = find_pdfs(paths)
    if not pdfs:
        raise InputError(f"no PDF found under {' '.join(paths)}: give PDF files or folders that hold them")
    return pdfs


def cmd_extract(args) -> int:
    from formaudit.export.json_record import record_json
    from formaudit.files import write_atomic

    out_dir = output_folder(args.out)
    pdfs = _pdfs_or_fail(args.paths)
    taken: set[Path] = set()
    status = 0
    for pdf, root in pdfs:
        record = _extract(pdf, args)
        target = output_path(out_dir, pdf, root, taken)
        write_atomic(target, record_json(record))
        status = max(status, exit_status([record]))
        if not args.quiet:
            print(summary_line(pdf, record, target), file=sys.stderr)
    return status


def summary_line(pdf: Path, record, target: Path | None = None) -> str:
    errors = sum(1 for f in record.forms for x in f.findings if x.severity == "error")
    warnings = sum(1 for f in record.forms for x in f.findings if x.severity == "warning")
    parts = [f"{pdf}: {len(record.forms)} form(s), {errors} error(s), {warnings} warning(s)"]
    if record.errors:
        parts.append("; ".join(f"{e.code}: {e.message}" for e in record.errors[:3]))
    if target is not None:
        parts.append(f"-> {target}")
    return "  ".join(parts)


def exit_status(records) -> int:
    if any(e.code in FAILED_CODES for r in records for e in r.errors):
        return 2
    if any(x.severity == "error" for r in records for f in r.forms for x in f.findings):
        return 1
    return 0


def findings_rows(records) -> list[dict]:
    rows = []
    for record in records:
        for i, form in enumerate(record.forms):
            name = form.project_name or form.unit_name or form.title
            for x in form.findings:
                rows.append({"file": record.source.path, "form": i, "name": name, "year": form.year, "code": x.code,
                             "severity": x.severity, "where": x.path, "printed": x.found, "recomputed": x.expected,
                             "message": x.message, "uncertain": bool(getattr(x, "uncertain", False))})
        for e in record.errors:
            rows.append({"file": record.source.path, "form": None, "name": None, "year": None, "code": e.code,
                         "severity": "document", "where": f"page {e.page}" if e.page else "", "printed": None,
                         "recomputed": None, "message": e.message, "uncertain": False})
    return rows


AUDIT_COLUMNS = ("file", "form", "problem", "code", "path", "printed", "recomputed", "message")


def print_findings(records, fmt: str, lang: str = "en") -> None:
    rows = findings_rows(records)
    if fmt == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from formaudit.export.labels import Labels
    from formaudit.validate.precision import as_printed
    from formaudit.validate.rules import messages_in

    labels = Labels(lang)
    forms = {(r.source.path, i): form for r in records for i, form in enumerate(r.forms)}
    said = {key: messages_in(form, lang) for key, form in forms.items()} if lang != "en" else {}
    # a pipe or a file gets wide lines rather than words folded at 80 columns
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 220)
    title = f"{len(rows)} finding(s) in {len(records)} file(s)" if lang == "en" else f"{len(records)} 个文件，{len(rows)} 个问题"
    table = Table(title=title, show_lines=False)
    for col in AUDIT_COLUMNS:
        table.add_column(labels.column(col), overflow="fold")
    style = {"error": "red", "warning": "yellow", "document": "magenta"}
    for r in rows:
        form = forms.get((r["file"], r["form"]))
        shown = [as_printed(form, r["where"], r[k]) if form is not None else r[k] for k in ("printed", "recomputed")]
        uncertain = f" ({labels.column('uncertain')})" if r["uncertain"] else ""
        # Text() never interprets markup: strings from a PDF are untrusted
        cells = [Text(str(v) if v is not None else "") for v in
                 (Path(r["file"]).name, f"{r['form']}" if r["form"] is not None else "", labels.problem(r["code"]), r["code"],
                  r["where"], *shown, said.get((r["file"], r["form"]), {}).get((r["code"], r["where"], r["message"]), r["message"])
                  + uncertain)]
        cells[2].stylize(style.get(r["severity"], ""))
        cells[3].stylize(style.get(r["severity"], ""))
        table.add_row(*cells)
    console.print(table)


def lang_option(p, default: str, what: str) -> None:
    p.add_argument("--lang", choices=("zh", "en"), default=default,
                   help=f"language of {what} (default: {default}); JSON and the database keep their English field names")


def audit_columns_help() -> str:
    from formaudit.export.labels import Labels

    zh, en = Labels("zh"), Labels("en")
    return "; ".join(f"{zh.column(c)} {en.column(c).lower()}" for c in AUDIT_COLUMNS)


def cmd_audit(args) -> int:
    records = [_extract(pdf, args) for pdf, _ in _pdfs_or_fail(args.paths)]
    print_findings(records, args.format, args.lang)
    return exit_status(records)


def cmd_validate(args) -> int:
    from pydantic import ValidationError

    from formaudit.api import Record, audit
    from formaudit.export.duckdb_store import NotADataset, dataset_kind, records_in
    from formaudit.export.json_record import record_json
    from formaudit.files import write_atomic
    from formaudit.validate.schema import load_checked

    records, status = [], 0
    for raw in args.records:
        path = Path(raw)
        if dataset_kind(path) is not None:  # a batch's DuckDB file or Parquet folder: every record in it
            if args.write:
                print(f"formaudit: {path}: --write rewrites JSON records; a batch is only read", file=sys.stderr)
                return 2
            try:
                stored = [Record.model_validate(data) for data in records_in(path)]
            except NotADataset as exc:
                print(f"formaudit: {exc}", file=sys.stderr)
                status = 2
                continue
            for record in stored:
                audit(record)
            records.extend(stored)
            continue
        try:
            record = Record.model_validate(load_checked(path))  # the contract's schema first, then the model
        except InputError as exc:
            print(f"formaudit: {exc}", file=sys.stderr)
            status = 2
            continue
        except ValidationError as exc:
            print(f"formaudit: {path}: not a readable form record: {str(exc).splitlines()[0]}", file=sys.stderr)
            status = 2
            continue
        audit(record)
        records.append(record)
        if args.write:
            write_atomic(path, record_json(record))
    print_findings(records, args.format)
    return max(status, exit_status(records))


def cmd_debug(args) -> int:
    from formaudit.debug import draw_debug
    from formaudit.isolate import load_settings, reading_options, run_guarded, task_for

    pdf, out_dir, limits = Path(args.pdf), output_folder(args.out), limits_of(args)
    task = task_for(pdf, reading_options(limits, args.grid, args.reader, args.ocr, load_settings(args.settings)))
    outcome = run_guarded(lambda t: [str(p) for p in draw_debug(t.path, out_dir, options=t.options, dpi=args.dpi)],
                          task, limits)
    if outcome.error_code:
        raise InputError(f"{pdf}: {outcome.error_code}: {outcome.error_message}")
    for p in outcome.record:
        print(p)
    return 0


def cmd_batch(args) -> int:
    from formaudit.batch import run_batch_cli

    return run_batch_cli(args)


def cmd_stats(args) -> int:
    from formaudit.export.duckdb_store import print_stats

    return print_stats(Path(args.db))


def cmd_report(args) -> int:
    from formaudit.export.report import load_records, render
    from formaudit.files import write_atomic

    records = load_records([Path(p) for p in args.sources])  # NotADataset is an InputError: one line, exit 2
    write_atomic(Path(args.out), render(records, lang=args.lang))
    print(f"report: {args.out} ({len(records)} file(s))", file=sys.stderr)
    if args.xlsx:
        from formaudit.export.xlsx import write_workbook

        write_workbook(records, Path(args.xlsx), lang=args.lang)
        print(f"workbook: {args.xlsx}", file=sys.stderr)
    return 0


def cmd_query(args) -> int:
    from formaudit.export.duckdb_store import print_query

    return print_query(Path(args.db), args.sql, args.format)


def cmd_import(args) -> int:
    from formaudit.export.duckdb_store import NotADataset, import_dataset

    try:
        counts = import_dataset(Path(args.dataset), Path(args.db))
    except NotADataset as exc:
        print(f"formaudit: {exc}", file=sys.stderr)
        return 2
    shown = ", ".join(f"{n} {name}" for name, n in counts.items())
    print(f"imported {args.dataset} into {args.db}: {shown}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = Parser(
        prog="formaudit",
        description="Digitize Chinese budget-performance self-evaluation forms (绩效自评表) from PDFs and audit their arithmetic.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"formaudit {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def grid_option(p):
        p.add_argument("--grid", choices=GRIDS, default="pdfplumber",
                       help="which detector supplies the table cells (default: pdfplumber; camelot's lattice parser as a second opinion)")

    def reader_option(p):
        p.add_argument("--reader", choices=READERS, default="pdfium",
                       help="which parser reads a text-layer page's characters and rules (default: pdfium; pdfminer, "
                            "10-20 times slower, as a second opinion)")
        p.add_argument("--ocr", choices=OCR_MODES, default="auto",
                       help="auto (default): pages with no usable text layer (scans) are read by OCR, about 2 s a page; "
                            "off: such pages are skipped and the record says so (OCR_SKIPPED)")
        p.add_argument("--settings", metavar="TOML",
                       help="thresholds of the reading stages, overriding the defaults: tables [ruled], [text], "
                            "[scan_image], [scan_grid], [page_scan], [scan_text] of settings.py's names (an unknown name or a bad value is refused)")

    p = sub.add_parser("extract", help="write one JSON record per PDF", description="Extract every form of each PDF into "
                       "DIR/<pdf stem>.json (sub-folders of a searched folder are kept). One line per file on stderr.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="PDF files or folders (searched recursively)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the JSON records")
    p.add_argument("-q", "--quiet", action="store_true", help="no line per file")
    grid_option(p)
    reader_option(p)
    add_limit_options(p)
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("audit", help="print the findings of PDFs", description="Extract and audit; print a table of "
                       "findings. Exit 0 when no error finding, 1 when any, 2 when an input cannot be used. "
                       f"The table's columns: {audit_columns_help()}.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="PDF files or folders")
    p.add_argument("--format", choices=("table", "json"), default="table")
    lang_option(p, "en", "the table's headings and problem names")
    grid_option(p)
    reader_option(p)
    add_limit_options(p)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("validate", help="re-audit JSON records without their PDFs",
                       description="Recompute the findings of records (hand-edited ones too) and print them. A batch "
                       "(DuckDB file or Parquet dataset folder) stands for every record in it.")
    p.add_argument("records", nargs="+", metavar="RECORD.json|BATCH")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--write", action="store_true", help="write the recomputed findings back into each record")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("debug", help="draw the detected grid and sections on each page image",
                       description="Render each page that holds a form, outline every detected cell, colour the "
                       "sections and mark each value read; also write the intermediate data as JSON.")
    p.add_argument("pdf", metavar="PDF")
    p.add_argument("--out", default="debug", metavar="DIR", help="folder for the PNG and JSON files (default: debug)")
    p.add_argument("--dpi", type=DPI, default=110, help="resolution of the page images, 36 to 600 (default: 110)")
    grid_option(p)
    reader_option(p)
    add_limit_options(p)
    p.set_defaults(func=cmd_debug)

    p = sub.add_parser("batch", help="convert an archive into DuckDB/Parquet/JSON (resumable, parallel)",
                       description="Process every PDF under PATH into an embedded DuckDB database. Each PDF is keyed "
                       "by its sha256: a run stopped at any point and started again does only what is missing.")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--db", default="results.duckdb", help="DuckDB file (default: results.duckdb)")
    p.add_argument("--json", metavar="DIR", help="also write each record as DIR/<pdf stem>.json")
    p.add_argument("--parquet", metavar="DIR", help="also write the tables as a Parquet dataset in DIR")
    p.add_argument("--workers", type=WORKERS, default=None, help="worker processes (default: the machine's cores)")
    add_limit_options(p)
    p.add_argument("--force", action="store_true", help="process every file again, even those already done")
    p.add_argument("--retry-failed", action=argparse.BooleanOptionalAction, default=True,
                   help="try again the documents that failed in an earlier run for a cause of the run's: a timeout, a "
                        "crash, a cap (default: on; --no-retry-failed to keep them as they are)")
    p.add_argument("--no-retry", dest="retry_failed", action="store_false", help="the same as --no-retry-failed")
    p.add_argument("--dask", metavar="ADDRESS", help="read on the workers of a Dask distributed scheduler (tcp://host:8786); the rows "
                   "go to --parquet DIR, one part per document, or without it to --db")
    p.add_argument("--report", metavar="HTML", help="also write the HTML audit report")
    p.add_argument("--xlsx", metavar="FILE", help="also write the tables and findings as an Excel workbook")
    lang_option(p, "zh", "the report and the workbook")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    grid_option(p)
    reader_option(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("report", help="write the HTML audit report (and an Excel workbook)",
                       description="One self-contained HTML file: a summary, charts, a filterable list of forms, and for "
                       "each finding a crop of the page with the cells outlined, printed and recomputed values and the rule.")
    p.add_argument("sources", nargs="+", metavar="BATCH|RECORDS",
                   help="a batch (DuckDB file or Parquet dataset folder), JSON records or folders of them")
    p.add_argument("--out", default="report.html", help="the HTML file (default: report.html)")
    p.add_argument("--xlsx", metavar="FILE", help="also write the tables and findings as an Excel workbook")
    lang_option(p, "zh", "the report and the workbook")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("query", help="run a read-only SQL query on a batch (DuckDB file or Parquet folder)",
                       description="Tables: documents, files, forms, funding, indicators, findings (see README). "
                       "BATCH is a DuckDB file or a Parquet dataset folder (read in place).")
    p.add_argument("db", metavar="BATCH")
    p.add_argument("sql", metavar="SQL")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("stats", help="summarise a batch (DuckDB file or Parquet folder)", description="Forms, findings "
                       "by code and severity, and the units and years with most errors.")
    p.add_argument("db", metavar="BATCH")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("import", help="copy a Parquet dataset (a Dask run's) into one DuckDB file",
                       description="Copy the tables of a Parquet dataset folder into a DuckDB file; documents already "
                       "in the file are replaced, not duplicated.")
    p.add_argument("dataset", metavar="DIR")
    p.add_argument("--db", default="results.duckdb", help="DuckDB file (default: results.duckdb)")
    p.set_defaults(func=cmd_import)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
