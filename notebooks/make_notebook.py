"""Writes explore_batch.ipynb (kept as code so that its cells review like code). Run: python make_notebook.py"""

from pathlib import Path

import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell(
        "# Exploring a formaudit batch\n\n"
        "Opens the tables of a `formaudit batch` run with `formaudit.open_dataset` (the DuckDB file, or the Parquet "
        "dataset that `--parquet` or a Dask run writes: both read alike), plots execution rates and findings, and "
        "lists the forms with most errors.\n\n"
        "Set `FORMAUDIT_DB` to the batch (a `.duckdb` file or a Parquet folder); by default it reads "
        "`../out/results.duckdb`, what `make run` writes."),
    nbf.v4.new_code_cell(
        "import os\n\nimport matplotlib\nimport pandas as pd\n\nimport formaudit\n\n"
        "if not os.environ.get('DISPLAY') and 'inline' not in matplotlib.get_backend():\n    matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n\n"
        "plt.rcParams['font.sans-serif'] = ['WenQuanYi Zen Hei', 'Noto Sans CJK SC', 'DejaVu Sans']\n"
        "plt.rcParams['axes.unicode_minus'] = False"),
    nbf.v4.new_code_cell(
        "batch = os.environ.get('FORMAUDIT_DB') or os.environ.get('FORMAUDIT_PARQUET') or '../out/results.duckdb'\n"
        "ds = formaudit.open_dataset(batch)\n"
        "ds"),
    nbf.v4.new_markdown_cell("## Documents: what became of each file"),
    nbf.v4.new_code_cell("ds.documents.groupby(['status', 'error_code'], dropna=False).size().rename('files').reset_index()"),
    nbf.v4.new_markdown_cell("## Execution rates (the total row of each form)"),
    nbf.v4.new_code_cell(
        "rates = ds.forms['rate'].dropna() * 100\n"
        "ax = rates.plot.hist(bins=20, title='执行率 of each form (%)', figsize=(7, 3.5))\n"
        "ax.set_xlabel('execution rate, %')\nplt.tight_layout()\nrates.describe()"),
    nbf.v4.new_markdown_cell("## Findings by code"),
    nbf.v4.new_code_cell(
        "by_code = ds.findings.groupby(['code', 'severity']).size().rename('findings').reset_index()"
        ".sort_values('findings')\n"
        "colors = by_code['severity'].map({'error': '#c62828', 'warning': '#b26a00'})\n"
        "ax = by_code.plot.barh(x='code', y='findings', color=colors, legend=False, figsize=(7, 4), title='findings by code')\n"
        "plt.tight_layout()\nby_code.sort_values('findings', ascending=False)"),
    nbf.v4.new_markdown_cell("## Findings by year and by unit"),
    nbf.v4.new_code_cell(
        "findings = ds.findings\n"
        "errors = findings[findings['severity'] == 'error']\n"
        "pd.crosstab(errors['unit_name'], errors['year'], margins=True)"),
    nbf.v4.new_markdown_cell(
        "## One record in detail\n\n"
        "Each file's form record (what `formaudit extract` writes) comes back typed; `to_frames()` gives its tables, "
        "and `formaudit.audit` recomputes the findings after an edit. `formaudit.read_pdf('form.pdf')` returns the "
        "same record straight from a PDF."),
    nbf.v4.new_code_cell(
        "records = ds.records()\n"
        "record = max(records, key=lambda r: sum(len(f.findings) for f in r.forms))\n"
        "print(record.source.path, [f.code for f in formaudit.audit(record)])\n"
        "record.to_frames()['funding'][['source', 'label', 'budget', 'executed', 'rate', 'score']]"),
    nbf.v4.new_markdown_cell("## The forms with most errors"),
    nbf.v4.new_code_cell(
        "worst = ds.forms.sort_values(['error_findings', 'warning_findings'], ascending=False).head(10)\n"
        "worst[['unit_name', 'project_name', 'year', 'form_type', 'rate', 'total_score', 'error_findings', 'warning_findings']]"),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbf.write(nb, Path(__file__).with_name("explore_batch.ipynb"))
