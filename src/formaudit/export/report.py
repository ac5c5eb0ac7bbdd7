"""The HTML audit report: one self-contained file (no server, no network).

Inline CSS, a few lines of vanilla JS (filter and sort), crops of the PDF pages
embedded as PNG data, a Content-Security-Policy that forbids any request. Every
string taken from a PDF is untrusted and goes through html.escape.

In Chinese (the default) or English: every heading, button and rule comes from the labels
(export/labels.toml) and the rule registry; values are shown as the form prints them.
"""

from __future__ import annotations

import html
import unicodedata
from collections import Counter
from pathlib import Path

from formaudit.export.crops import Cropper, finding_crop
from formaudit.export.labels import DEFAULT_LANGUAGE, Labels, expected_words
from formaudit.record import Form
from formaudit.validate.precision import as_printed
from formaudit.validate.rules import messages_in

CSS = """
:root{--ink:#1d2733;--muted:#5b6b7d;--line:#dde3ea;--bg:#f6f8fa;--err:#c62828;--warn:#b26a00;--ok:#2e7d32;--accent:#1f5fa8}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 "Noto Sans CJK SC","WenQuanYi Zen Hei","PingFang SC","Microsoft YaHei",system-ui,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#16324f;color:#fff;padding:20px 32px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c9d6e3}
main{max-width:1280px;margin:0 auto;padding:24px 32px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:20px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}.card b{display:block;font-size:26px}
.card.err b{color:var(--err)}.card.warn b{color:var(--warn)}.card span{color:var(--muted)}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin-bottom:24px}
.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px}.panel h2{margin:0 0 10px;font-size:16px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600}th.sortable{cursor:pointer;white-space:nowrap}th.sortable:after{content:" ⇅";color:#9aa7b4}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.nowrap{white-space:nowrap}tr.hidden{display:none}
input.filter{width:100%;padding:8px 10px;margin:0 0 10px;border:1px solid var(--line);border-radius:6px;font-size:14px}
.badge{display:inline-block;white-space:nowrap;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff}
.badge.error{background:var(--err)}.badge.warning{background:var(--warn)}.badge.clean{background:var(--ok)}.badge.doc{background:#6a4c93}
section.form{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:20px 0}
section.form h2{margin:0 0 4px;font-size:18px}.meta{color:var(--muted);margin-bottom:12px}
.finding{display:grid;grid-template-columns:minmax(0,2fr) minmax(300px,1fr);gap:16px;border-top:1px solid var(--line);padding:12px 0}
.finding img{max-width:100%;max-height:480px;object-fit:contain;object-position:left top;border:1px solid var(--line);border-radius:4px}.finding .nocrop{color:var(--muted);font-style:italic}
.pv{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:8px 0}.pv dt{color:var(--muted)}.pv dd{margin:0;font-weight:600}
.rule{color:var(--muted);font-size:13px}.uncertain{color:var(--warn);font-weight:600}
td.flag-error{background:#fdecea}td.flag-warning{background:#fff4e0}
details{margin-top:10px}summary{cursor:pointer;color:var(--accent);font-weight:600}
@media (max-width:900px){.charts{grid-template-columns:1fr}.finding{grid-template-columns:1fr}}
"""

JS = """
document.querySelectorAll('input.filter').forEach(function(box){box.addEventListener('input',function(){
 var q=box.value.toLowerCase();document.querySelectorAll('#'+box.dataset.table+' tbody tr').forEach(function(tr){
 tr.classList.toggle('hidden',q!==''&&tr.textContent.toLowerCase().indexOf(q)<0);});});});
document.querySelectorAll('th.sortable').forEach(function(th){th.addEventListener('click',function(){
 var table=th.closest('table'),body=table.tBodies[0],i=Array.prototype.indexOf.call(th.parentNode.children,th);
 var asc=th.dataset.dir!=='asc';th.dataset.dir=asc?'asc':'desc';var rows=Array.prototype.slice.call(body.rows);
 rows.sort(function(a,b){var x=a.cells[i].dataset.v||a.cells[i].textContent,y=b.cells[i].dataset.v||b.cells[i].textContent;
 var nx=parseFloat(x),ny=parseFloat(y);var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y,'zh');return asc?c:-c;});
 rows.forEach(function(r){body.appendChild(r);});});});
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def e(value) -> str:
    """Escape anything for HTML (text from a PDF is untrusted)."""
    return html.escape("" if value is None else str(value), quote=True)


# ---------------------------------------------------------------- loading


def load_records(sources: list[Path]) -> list[dict]:
    """Records from batches (a DuckDB file or a Parquet dataset folder) and JSON records (files or
    folders of them, each checked against the contract's schema). A source that is none of these
    raises an InputError that names it (NotADataset for a path with nothing to read): never an empty report."""
    from formaudit.export.duckdb_store import NotADataset, dataset_kind, records_in
    from formaudit.validate.schema import load_checked

    records = []
    for source in sources:
        if not source.exists():
            raise NotADataset(f"{source}: no such file or folder")
        if dataset_kind(source) is not None:
            records.extend(records_in(source))
            continue
        files = sorted(source.rglob("*.json")) if source.is_dir() else [source]
        if not files:
            raise NotADataset(f"{source}: no batch (DuckDB file or Parquet dataset) and no JSON record in this folder")
        records.extend(load_checked(path) for path in files)
    return records


# ---------------------------------------------------------------- charts


def bar_chart(items: list[tuple[str, int, str]], labels: Labels, width: int = 560) -> str:
    """Horizontal bars as inline SVG: (label, value, colour)."""
    if not items:
        return f'<p class="rule">{e(labels.ui("nothing_to_show"))}</p>'
    top = max(v for _, v, _ in items) or 1
    # room for the longest label at 12 px: a CJK character is about 12 px wide, a Latin one about 6.5
    longest = max(sum(12 if unicodedata.east_asian_width(ch) in "WF" else 6.5 for ch in label) for label, _, _ in items)
    row, label_w = 24, int(min(360, max(120, longest + 12)))
    width = max(width, label_w + 300)
    h = row * len(items) + 8
    parts = [f'<svg viewBox="0 0 {width} {h}" width="100%" role="img" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value, colour) in enumerate(items):
        y = 4 + i * row
        bw = (width - label_w - 50) * value / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#1d2733">{e(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{bw:.1f}" height="16" rx="3" fill="{colour}"/>'
                     f'<text x="{label_w + bw + 6:.1f}" y="{y + 15}" font-size="12" fill="#5b6b7d">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def rate_buckets(forms: list[dict], labels: Labels) -> list[tuple[str, int, str]]:
    none = labels.ui("rate_none")
    buckets = [(labels.ui("rate_below_80"), 0.0, 0.8), ("80–90%", 0.8, 0.9), ("90–95%", 0.9, 0.95), ("95–100%", 0.95, 1.0),
               ("100%", 1.0, 1.0000001), (labels.ui("rate_above_100"), 1.0000001, 99)]
    counts = Counter()
    for f in forms:
        total = next((r for r in f["funding"] if r["source"] == "total"), None)
        rate = total and total.get("rate")
        if rate is None:
            counts[none] += 1
            continue
        for name, lo, hi in buckets:
            if lo <= rate < hi:
                counts[name] += 1
    order = [b[0] for b in buckets] + [none]
    return [(name, counts[name], "#1f5fa8" if name != none else "#9aa7b4") for name in order if counts[name]]


# ---------------------------------------------------------------- the page


def form_name(form: dict) -> str:
    return form.get("project_name") or form.get("unit_name") or form.get("title") or "—"


def value_cell(model: Form, path: str, value, flagged: dict[str, str], number: bool) -> str:
    css = " ".join(c for c in ("num" if number else "", f"flag-{flagged[path]}" if path in flagged else "") if c)
    shown = as_printed(model, path, value) if number else value
    return f'<td{f" class={chr(34)}{css}{chr(34)}" if css else ""}>{e(shown)}</td>'


def funding_table(form: dict, model: Form, flagged: dict[str, str], labels: Labels) -> str:
    keys = ["label"] + [k for k in ("initial_budget", "budget", "executed", "transfer", "weight", "rate", "score")
                        if any(r.get(k) is not None for r in form["funding"])]
    rows = ["<tr>" + "".join(value_cell(model, f"/funding/{i}/{k}", r.get(k), flagged, k != "label") for k in keys) + "</tr>"
            for i, r in enumerate(form["funding"])]
    head = "".join(f"<th>{e(labels.column(k))}</th>" for k in keys)
    return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def indicator_table(form: dict, model: Form, flagged: dict[str, str], labels: Labels) -> str:
    keys = ("level1_label", "level2_label", "name", "target", "actual", "weight", "score", "reason")
    rows = ["<tr>" + "".join(value_cell(model, f"/indicators/{i}/{k}", r.get(k), flagged, k in ("weight", "score"))
                             for k in keys) + "</tr>" for i, r in enumerate(form["indicators"])]
    total = form.get("total") or {}
    if total:
        rows.append(f'<tr><th colspan="5">{e(labels.ui("total_row"))}</th>'
                    + "".join(value_cell(model, f"/total/{k}", total.get(k), flagged, True) for k in ("weight", "score"))
                    + "<td></td></tr>")
    head = "".join(f"<th>{e(labels.column(k))}</th>" for k in keys)
    return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def render_finding(cropper: Cropper, pdf: str, form: dict, model: Form, f: dict, labels: Labels, message: str) -> str:
    data = finding_crop(cropper, pdf, form, f)
    crop = (f'<img src="{data}" alt="{e(labels.ui("crop_alt", code=labels.problem(f["code"]), path=f["path"]))}">' if data
            else f'<p class="nocrop">{e(labels.ui("no_crop"))}</p>')
    cell = form.get("cells", {}).get(f["path"]) or {}
    printed = cell.get("text") if cell.get("text") is not None else as_printed(model, f["path"], f.get("found"))
    printed = printed if printed.strip() else labels.ui("blank")
    words = expected_words(labels, f.get("expected"))
    recomputed = words if words is not None else as_printed(model, f["path"], f.get("expected"))
    uncertain = (f'<p class="uncertain">{e(labels.ui("uncertain", confidence=f.get("confidence")))}</p>'
                 if f.get("uncertain") else "")
    return (f'<div class="finding" data-code="{e(f["code"])}"><div>{crop}</div><div>'
            f'<span class="badge {e(f["severity"])}">{e(labels.value("severity", f["severity"]))}</span> '
            f'<b>{e(labels.problem(f["code"]))}</b> <code>{e(f["code"])}</code> <code>{e(f["path"])}</code>'
            f'<dl class="pv"><dt>{e(labels.ui("printed"))}</dt><dd>{e(printed)}</dd>'
            f'<dt>{e(labels.expected(f["code"]))}</dt><dd>{e(recomputed)}</dd></dl>'
            f'<p>{e(message)}</p>{uncertain}<p class="rule">{e(labels.rule(f["code"]))}</p></div></div>')


def summary_cards(records: list[dict], forms: list, findings: list[dict], labels: Labels) -> str:
    errors = sum(1 for x in findings if x["severity"] == "error")
    failed = [r for r in records if r["errors"] and not r["forms"]]
    cards = [("", len(records), "files"), ("", len(forms), "forms"), (" err", errors, "error_findings"),
             (" warn", len(findings) - errors, "warnings"), ("", len(failed), "files_without_form")]
    return '<div class="cards">' + "".join(f'<div class="card{css}"><b>{n}</b><span>{e(labels.ui(key))}</span></div>'
                                           for css, n, key in cards) + "</div>"


def form_list(forms: list, labels: Labels) -> str:
    rows = []
    for n, (r, f) in enumerate(forms):
        errs = sum(1 for x in f["findings"] if x["severity"] == "error")
        warns = len(f["findings"]) - errs
        k = next((i for i, x in enumerate(f["funding"]) if x["source"] == "total"), None)
        rate = f["funding"][k].get("rate") if k is not None else None
        shown = as_printed(Form.model_validate(f), f"/funding/{k}/rate", rate) if rate is not None else ""
        status = "error" if errs else "warning" if warns else "clean"
        badge = f'<span class="badge {status}">{e(labels.ui({"error": "status_errors", "warning": "status_warnings"}.get(status, "status_clean")))}</span>'
        rows.append(f'<tr><td data-v="{n}"><a href="#form-{n}">{e(form_name(f))}</a></td><td>{e(f.get("unit_name"))}</td>'
                    f'<td class="num">{e(f.get("year"))}</td><td class="nowrap">{e(labels.value("form_type", f["form_type"]))}</td>'
                    f'<td class="num" data-v="{rate if rate is not None else -1}">{e(shown)}</td>'
                    f'<td class="num">{errs}</td><td class="num">{warns}</td><td>{badge}</td><td>{e(Path(r["source"]["path"]).name)}</td></tr>')
    sortable = "".join(f'<th class="sortable">{e(labels.ui(k))}</th>' for k in
                       ("col_form", "col_unit", "col_year", "col_type", "col_rate", "col_errors", "col_warnings", "col_status", "col_file"))
    return (f'<div class="panel"><h2>{e(labels.ui("forms_heading"))}</h2>'
            f'<input class="filter" data-table="forms" placeholder="{e(labels.ui("filter"))}">'
            f'<table id="forms"><thead><tr>{sortable}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def form_section(cropper: Cropper, n: int, record: dict, f: dict, labels: Labels) -> str:
    model = Form.model_validate(f)
    flagged: dict[str, str] = {}
    for x in f["findings"]:
        if flagged.get(x["path"]) != "error":
            flagged[x["path"]] = x["severity"]
    said = messages_in(model, labels.lang) if labels.lang != "en" else {}
    items = "".join(render_finding(cropper, record["source"]["path"], f, model, x, labels,
                                   said.get((x["code"], x["path"], x["message"]), x["message"])) for x in f["findings"])
    if not items:
        items = f'<p><span class="badge clean">{e(labels.ui("status_clean"))}</span> {e(labels.ui("clean_form"))}</p>'
    goals = f.get("goals") or {}
    pages = labels.ui("pages", pages=", ".join(map(str, f["pages"])))
    return (f'<section class="form" id="form-{n}"><h2>{e(form_name(f))}</h2>'
            f'<div class="meta">{e(f["title"])} · {e(f.get("year"))} · {e(f.get("unit_name"))} · '
            f'{e(Path(record["source"]["path"]).name)} · {e(pages)} · {e(labels.ui("money_unit", unit=f.get("money_unit") or "—"))}</div>'
            f'{items}<details><summary>{e(labels.ui("funding_grid"))}</summary>{funding_table(f, model, flagged, labels)}</details>'
            f'<details><summary>{e(labels.ui("indicators_grid", n=len(f["indicators"])))}</summary>'
            f'{indicator_table(f, model, flagged, labels)}</details>'
            + (f'<details><summary>{e(labels.ui("goals"))}</summary><p><b>{e(labels.ui("goal_planned"))}</b> {e(goals.get("planned"))}</p>'
               f'<p><b>{e(labels.ui("goal_achieved"))}</b> {e(goals.get("achieved"))}</p></details>' if goals else "")
            + "</section>")


def render(records: list[dict], title: str | None = None, lang: str = DEFAULT_LANGUAGE) -> str:
    labels = Labels(lang)
    title = title or labels.ui("title")
    cropper = Cropper()
    forms = [(r, f) for r in records for f in r["forms"]]
    findings = [x for _, f in forms for x in f["findings"]]
    errors = sum(1 for x in findings if x["severity"] == "error")
    by_code = Counter((x["code"], x["severity"]) for x in findings)
    code_items = [(labels.problem(code), n, "#c62828" if sev == "error" else "#b26a00") for (code, sev), n in by_code.most_common()]
    charts = (f'<div class="charts"><div class="panel"><h2>{e(labels.ui("chart_by_code"))}</h2>{bar_chart(code_items, labels)}</div>'
              f'<div class="panel"><h2>{e(labels.ui("chart_by_rate"))}</h2>'
              f'{bar_chart(rate_buckets([f for _, f in forms], labels), labels)}</div></div>')
    sections = "".join(form_section(cropper, n, r, f, labels) for n, (r, f) in enumerate(forms))
    doc_rows = "".join(f'<tr><td>{e(r["source"]["path"])}</td><td><span class="badge doc">{e(labels.problem(x["code"]))}</span> '
                       f'<code>{e(x["code"])}</code></td><td>{e(x["message"])}</td></tr>' for r in records for x in r["errors"])
    documents = (f'<div class="panel" style="margin-top:20px"><h2>{e(labels.ui("documents_heading"))}</h2><table><thead><tr>'
                 f'<th>{e(labels.ui("doc_file"))}</th><th>{e(labels.ui("doc_code"))}</th><th>{e(labels.ui("doc_message"))}</th>'
                 f'</tr></thead><tbody>{doc_rows}</tbody></table></div>' if doc_rows else "")
    summary = labels.ui("summary", files=len(records), forms=len(forms), errors=errors)
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>'
            f'<style>{CSS}</style></head><body><header><h1>{e(title)}</h1><p>{e(summary)}</p></header>'
            f'<main>{summary_cards(records, forms, findings, labels)}{charts}{form_list(forms, labels)}{sections}'
            f'{documents}</main><script>{JS}</script></body></html>')


def write_report(sources: list[Path], out: Path, lang: str = DEFAULT_LANGUAGE) -> Path:
    from formaudit.files import write_atomic

    write_atomic(out, render(load_records(sources), lang=lang))
    return out
