"""The HTML audit report: one self-contained file (no server, no network).

Inline CSS, a few lines of vanilla JS (filter and sort), crops of the PDF pages
embedded as PNG data, a Content-Security-Policy that forbids any request. Every
string taken from a PDF is untrusted and goes through html.escape.
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from pathlib import Path

RULES = {
    "RATE_MISMATCH": "The printed 执行率 must equal 执行数 ÷ 预算数 (or (执行数 − 转移支付) ÷ 预算数 where the form says so), "
                     "rounded to the printed decimals.",
    "SCORE_MISMATCH": "The funding 得分 must equal 分值 × the recomputed 执行率 (at most 100%).",
    "TOTAL_MISMATCH": "The 总分 得分 must equal the sum of every score printed, within half a unit of each score's last decimal.",
    "WEIGHT_SUM_MISMATCH": "The 总分 分值 must equal the sum of every weight printed, exactly.",
    "SCORE_EXCEEDS_WEIGHT": "A score cannot be above its weight.",
    "FUNDING_SUM_MISMATCH": "财政拨款, 上年结转 and 其他资金 cannot exceed the total row, and where all are printed they must add up to it.",
    "EXECUTED_EXCEEDS_BUDGET": "执行数 above 预算数: possible, but worth a look.",
    "MISSING_DEVIATION_REASON": "An indicator scored below its weight should say why (偏差原因).",
    "UNREADABLE_VALUE": "A cell that must hold a number could not be read as one.",
    "INDICATOR_SCORE_INCONSISTENT": "A met target should get full marks, a missed one should not; a partly met quantitative "
                                    "target scores in proportion.",
    "LEVEL1_WEIGHT_MISMATCH": "A weight printed in a first-level label (产出指标（50分）) must equal its rows' weights.",
    "ZERO_BUDGET_RATE": "A rate was printed for a budget of 0, where there is nothing to divide.",
    "UNFILLED_FORM": "Scores or results left blank, or template placeholders (指标1：……) left in.",
    "TARGET_AS_ACTUAL": "The result repeats the target with its operator (≥266米) instead of saying what was achieved.",
}

# what the "expected" value of a finding is, in words
EXPECTED_WORD = {"EXECUTED_EXCEEDS_BUDGET": "budget", "SCORE_EXCEEDS_WEIGHT": "weight", "MISSING_DEVIATION_REASON": "expected",
                 "UNREADABLE_VALUE": "expected", "UNFILLED_FORM": "expected", "TARGET_AS_ACTUAL": "expected",
                 "LEVEL1_WEIGHT_MISMATCH": "rows add up to", "ZERO_BUDGET_RATE": "expected", "INDICATOR_SCORE_INCONSISTENT": "expected"}

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
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.hidden{display:none}
input.filter{width:100%;padding:8px 10px;margin:0 0 10px;border:1px solid var(--line);border-radius:6px;font-size:14px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff}
.badge.error{background:var(--err)}.badge.warning{background:var(--warn)}.badge.clean{background:var(--ok)}.badge.doc{background:#6a4c93}
section.form{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:20px 0}
section.form h2{margin:0 0 4px;font-size:18px}.meta{color:var(--muted);margin-bottom:12px}
.finding{display:grid;grid-template-columns:minmax(280px,420px) 1fr;gap:16px;border-top:1px solid var(--line);padding:12px 0}
.finding img{max-width:100%;max-height:360px;object-fit:contain;object-position:left top;border:1px solid var(--line);border-radius:4px}.finding .nocrop{color:var(--muted);font-style:italic}
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


def fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def pct(value) -> str:
    return "" if value is None else f"{value * 100:.2f}%"


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


# ---------------------------------------------------------------- crops


class Cropper:
    """Crops of PDF pages with the cells of a finding outlined, as PNG data URIs (pypdfium2)."""

    def __init__(self, scale: float = 2.0):
        self.scale = scale
        self.pages: dict[tuple[str, int], object] = {}

    def page_image(self, pdf: str, page: int):
        key = (pdf, page)
        if key not in self.pages:
            import pypdfium2

            doc = pypdfium2.PdfDocument(pdf)
            try:
                self.pages[key] = doc[page - 1].render(scale=self.scale).to_pil().convert("RGB")
            finally:
                doc.close()
        return self.pages[key]

    def crop(self, pdf: str, page: int, boxes: list[tuple[list[float], str]], margin: float = 24) -> str | None:
        from PIL import ImageDraw

        if not boxes or not Path(pdf).exists():
            return None
        try:
            image = self.page_image(pdf, page)
        except Exception:  # noqa: BLE001 - a report without one crop beats no report
            return None
        s = self.scale
        x0 = max(0, min(b[0][0] for b in boxes) - margin) * s
        y0 = max(0, min(b[0][1] for b in boxes) - margin) * s
        x1 = min(image.width, (max(b[0][2] for b in boxes) + margin) * s)
        y1 = min(image.height, (max(b[0][3] for b in boxes) + margin) * s)
        if x1 - x0 > 1400:  # keep crops readable: centre on the finding's own cell
            cx = (boxes[0][0][0] + boxes[0][0][2]) / 2 * s
            x0, x1 = max(0, cx - 700), min(image.width, cx + 700)
        piece = image.crop((int(x0), int(y0), int(x1), int(y1))).copy()
        draw = ImageDraw.Draw(piece)
        for bbox, role in boxes:
            colour, width = ((198, 40, 40), 4) if role == "finding" else ((245, 124, 0), 3)
            draw.rectangle([bbox[0] * s - x0, bbox[1] * s - y0, bbox[2] * s - x0, bbox[3] * s - y0], outline=colour, width=width)
        buf = io.BytesIO()
        piece.save(buf, "PNG", optimize=True)
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def finding_crop(cropper: Cropper, pdf: str, form: dict, finding: dict) -> str | None:
    cells = form.get("cells", {})
    own = cells.get(finding["path"])
    involved = [p for p in finding.get("involved", []) if p in cells and cells[p].get("bbox")]
    page = own["page"] if own and own.get("bbox") else (cells[involved[0]]["page"] if involved else None)
    if page is None:
        return None
    boxes = [(cells[p]["bbox"], "finding" if p == finding["path"] else "involved") for p in involved if cells[p]["page"] == page]
    if own and own.get("bbox") and all(p != finding["path"] for p in involved):
        boxes.insert(0, (own["bbox"], "finding"))
    boxes.sort(key=lambda b: b[1] != "finding")
    return cropper.crop(pdf, page, boxes)


# ---------------------------------------------------------------- charts


def bar_chart(items: list[tuple[str, int, str]], width: int = 520) -> str:
    """Horizontal bars as inline SVG: (label, value, colour)."""
    if not items:
        return '<p class="rule">nothing to show</p>'
    top = max(v for _, v, _ in items) or 1
    row, label_w = 24, 210
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


def rate_buckets(forms: list[dict]) -> list[tuple[str, int, str]]:
    buckets = [("below 80%", 0.0, 0.8), ("80–90%", 0.8, 0.9), ("90–95%", 0.9, 0.95), ("95–100%", 0.95, 1.0),
               ("100%", 1.0, 1.0000001), ("above 100%", 1.0000001, 99)]
    counts = Counter()
    for f in forms:
        total = next((r for r in f["funding"] if r["source"] == "total"), None)
        rate = total and total.get("rate")
        if rate is None:
            counts["no rate printed"] += 1
            continue
        for name, lo, hi in buckets:
            if lo <= rate < hi:
                counts[name] += 1
    order = [b[0] for b in buckets] + ["no rate printed"]
    return [(name, counts[name], "#1f5fa8" if name != "no rate printed" else "#9aa7b4") for name in order if counts[name]]


# ---------------------------------------------------------------- the page


def form_name(form: dict) -> str:
    return form.get("project_name") or form.get("unit_name") or form.get("title") or "form"


def funding_table(form: dict, flagged: dict[str, str]) -> str:
    cols = [("label", "资金来源"), ("initial_budget", "年初预算数"), ("budget", "全年预算数"), ("executed", "全年执行数"),
            ("transfer", "转移支付"), ("weight", "分值"), ("rate", "执行率"), ("score", "得分")]
    cols = [c for c in cols if c[0] == "label" or any(r.get(c[0]) is not None for r in form["funding"])]
    rows = []
    for i, r in enumerate(form["funding"]):
        cells = []
        for key, _ in cols:
            value = pct(r.get(key)) if key == "rate" else fmt(r.get(key))
            css = flagged.get(f"/funding/{i}/{key}")
            cls = f' class="num{" flag-" + css if css else ""}"' if key != "label" else ""
            cells.append(f"<td{cls}>{e(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{e(h)}</th>" for _, h in cols)
    return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def indicator_table(form: dict, flagged: dict[str, str]) -> str:
    cols = [("level1_label", "一级指标"), ("level2_label", "二级指标"), ("name", "三级指标"), ("target", "目标值"),
            ("actual", "完成值"), ("weight", "分值"), ("score", "得分"), ("reason", "偏差原因")]
    rows = []
    for i, r in enumerate(form["indicators"]):
        cells = []
        for key, _ in cols:
            css = flagged.get(f"/indicators/{i}/{key}")
            num = key in ("weight", "score")
            cls = " ".join(c for c in ("num" if num else "", f"flag-{css}" if css else "") if c)
            cells.append(f'<td{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{e(fmt(r.get(key)))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    total = form.get("total") or {}
    if total:
        css_w, css_s = flagged.get("/total/weight"), flagged.get("/total/score")
        rows.append(f'<tr><th colspan="5">总分</th><td class="num{" flag-" + css_w if css_w else ""}">{e(fmt(total.get("weight")))}</td>'
                    f'<td class="num{" flag-" + css_s if css_s else ""}">{e(fmt(total.get("score")))}</td><td></td></tr>')
    head = "".join(f"<th>{e(h)}</th>" for _, h in cols)
    return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def render_finding(cropper: Cropper, pdf: str, form: dict, f: dict) -> str:
    data = finding_crop(cropper, pdf, form, f)
    crop = (f'<img src="{data}" alt="{e(f["code"])} at {e(f["path"])}">' if data
            else '<p class="nocrop">no crop: the PDF is not at its recorded path</p>')
    printed = form.get("cells", {}).get(f["path"], {}).get("text")
    uncertain = (f'<p class="uncertain">uncertain: rests on an OCR reading with confidence {e(f.get("confidence"))}</p>'
                 if f.get("uncertain") else "")
    return (f'<div class="finding" data-code="{e(f["code"])}"><div>{crop}</div><div>'
            f'<span class="badge {e(f["severity"])}">{e(f["severity"])}</span> <b>{e(f["code"])}</b> '
            f'<code>{e(f["path"])}</code>'
            f'<dl class="pv"><dt>printed</dt><dd>{e(printed if printed is not None else fmt(f.get("found")))}</dd>'
            f'<dt>{e(EXPECTED_WORD.get(f["code"], "recomputed"))}</dt><dd>{e(fmt(f.get("expected")))}</dd></dl>'
            f'<p>{e(f["message"])}</p>{uncertain}<p class="rule">{e(RULES.get(f["code"], ""))}</p></div></div>')


def render(records: list[dict], title: str = "formaudit audit report") -> str:
    cropper = Cropper()
    forms = [(r, f) for r in records for f in r["forms"]]
    findings = [x for _, f in forms for x in f["findings"]]
    errors = sum(1 for x in findings if x["severity"] == "error")
    failed = [r for r in records if r["errors"] and not r["forms"]]
    by_code = Counter((x["code"], x["severity"]) for x in findings)
    code_items = [(code, n, "#c62828" if sev == "error" else "#b26a00") for (code, sev), n in by_code.most_common()]
    cards = (f'<div class="cards"><div class="card"><b>{len(records)}</b><span>files</span></div>'
             f'<div class="card"><b>{len(forms)}</b><span>forms</span></div>'
             f'<div class="card err"><b>{errors}</b><span>error findings</span></div>'
             f'<div class="card warn"><b>{len(findings) - errors}</b><span>warnings</span></div>'
             f'<div class="card"><b>{len(failed)}</b><span>files without a form</span></div></div>')
    charts = (f'<div class="charts"><div class="panel"><h2>Findings by code</h2>{bar_chart(code_items)}</div>'
              f'<div class="panel"><h2>Forms by execution rate (total row)</h2>{bar_chart(rate_buckets([f for _, f in forms]))}</div></div>')
    rows = []
    for n, (r, f) in enumerate(forms):
        errs = sum(1 for x in f["findings"] if x["severity"] == "error")
        warns = len(f["findings"]) - errs
        total_row = next((x for x in f["funding"] if x["source"] == "total"), {})
        badge = ('<span class="badge error">errors</span>' if errs else
                 '<span class="badge warning">warnings</span>' if warns else '<span class="badge clean">clean</span>')
        rows.append(f'<tr><td data-v="{n}"><a href="#form-{n}">{e(form_name(f))}</a></td><td>{e(f.get("unit_name"))}</td>'
                    f'<td class="num">{e(f.get("year"))}</td><td>{e(f["form_type"])}</td>'
                    f'<td class="num" data-v="{total_row.get("rate") if total_row.get("rate") is not None else -1}">{e(pct(total_row.get("rate")))}</td>'
                    f'<td class="num">{errs}</td><td class="num">{warns}</td><td>{badge}</td><td>{e(Path(r["source"]["path"]).name)}</td></tr>')
    sortable = "".join(f'<th class="sortable">{h}</th>' for h in
                       ("form", "unit", "year", "type", "execution rate", "errors", "warnings", "status", "file"))
    form_list = (f'<div class="panel"><h2>Forms</h2><input class="filter" data-table="forms" placeholder="filter: unit, year, code, file…">'
                 f'<table id="forms"><thead><tr>{sortable}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
    sections = []
    for n, (r, f) in enumerate(forms):
        flagged = {}
        for x in f["findings"]:
            if flagged.get(x["path"]) != "error":
                flagged[x["path"]] = x["severity"]
        items = "".join(render_finding(cropper, r["source"]["path"], f, x) for x in f["findings"])
        if not items:
            items = '<p><span class="badge clean">clean</span> no finding: the arithmetic of this form adds up.</p>'
        goals = f.get("goals") or {}
        sections.append(
            f'<section class="form" id="form-{n}"><h2>{e(form_name(f))}</h2>'
            f'<div class="meta">{e(f["title"])} · {e(f.get("year"))} · {e(f.get("unit_name"))} · '
            f'{e(Path(r["source"]["path"]).name)}, page(s) {e(", ".join(map(str, f["pages"])))} · amounts in {e(f.get("money_unit"))}</div>'
            f'{items}<details><summary>Funding grid as extracted</summary>{funding_table(f, flagged)}</details>'
            f'<details><summary>Indicators as extracted ({len(f["indicators"])})</summary>{indicator_table(f, flagged)}</details>'
            + (f'<details><summary>Goals</summary><p><b>年初目标</b> {e(goals.get("planned"))}</p>'
               f'<p><b>完成情况</b> {e(goals.get("achieved"))}</p></details>' if goals else "")
            + "</section>")
    doc_rows = "".join(f'<tr><td>{e(r["source"]["path"])}</td><td><span class="badge doc">{e(x["code"])}</span></td>'
                       f'<td>{e(x["message"])}</td></tr>' for r in records for x in r["errors"])
    documents = (f'<div class="panel" style="margin-top:20px"><h2>Documents with errors</h2><table><thead><tr><th>file</th>'
                 f'<th>code</th><th>message</th></tr></thead><tbody>{doc_rows}</tbody></table></div>' if doc_rows else "")
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>'
            f'<style>{CSS}</style></head><body><header><h1>{e(title)}</h1>'
            f'<p>{len(records)} file(s), {len(forms)} form(s), {errors} error finding(s). Red outline: the value found wrong; '
            f'orange: the values it was checked against.</p></header><main>{cards}{charts}{form_list}{"".join(sections)}'
            f'{documents}</main><script>{JS}</script></body></html>')


def write_report(sources: list[Path], out: Path) -> Path:
    from formaudit.export.json_record import write_atomic

    write_atomic(out, render(load_records(sources)))
    return out
