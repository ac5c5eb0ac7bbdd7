"""Writes explore_batch.ipynb (kept as code so that its cells review like code). Run: python make_notebook.py"""

from pathlib import Path

import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell(
        "# Exploring a formaudit batch\n\n"
        "Loads the tables of a `formaudit batch` run (the DuckDB file, or the Parquet dataset) with pandas, plots "
        "execution rates and findings, and lists the forms with most errors.\n\n"
        "Set `FORMAUDIT_DB` (a `.duckdb` file) or `FORMAUDIT_PARQUET` (a `--parquet` folder); by default it reads "
        "`../out/results.duckdb`, what `make run` writes."),
    nbf.v4.new_code_cell(
        "import os\nfrom pathlib import Path\n\nimport duckdb\nimport matplotlib\nimport pandas as pd\n\n"
        "if not os.environ.get('DISPLAY') and 'inline' not in matplotlib.get_backend():\n    matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n\n"
        "plt.rcParams['font.sans-serif'] = ['WenQuanYi Zen Hei', 'Noto Sans CJK SC', 'DejaVu Sans']\n"
        "plt.rcParams['axes.unicode_minus'] = False"),
    nbf.v4.new_code_cell(
        "TABLES = ['documents', 'files', 'forms', 'funding', 'indicators', 'findings']\n"
        "parquet = os.environ.get('FORMAUDIT_PARQUET')\n"
        "db = Path(os.environ.get('FORMAUDIT_DB', '../out/results.duckdb'))\n"
        "con = duckdb.connect()\n"
        "if parquet:\n"
        "    t = {name: con.sql(f\"SELECT * FROM read_parquet('{parquet}/{name}/*.parquet')\").df() for name in TABLES}\n"
        "else:\n"
        "    con = duckdb.connect(str(db), read_only=True)\n"
        "    t = {name: con.sql(f'SELECT * FROM {name}').df() for name in TABLES}\n"
        "{name: len(df) for name, df in t.items()}"),
    nbf.v4.new_markdown_cell("## Documents: what became of each file"),
    nbf.v4.new_code_cell("t['documents'].groupby(['status', 'error_code'], dropna=False).size().rename('files').reset_index()"),
    nbf.v4.new_markdown_cell("## Execution rates (the total row of each form)"),
    nbf.v4.new_code_cell(
        "rates = t['forms']['rate'].dropna() * 100\n"
        "ax = rates.plot.hist(bins=20, title='执行率 of each form (%)', figsize=(7, 3.5))\n"
        "ax.set_xlabel('execution rate, %')\nplt.tight_layout()\nrates.describe()"),
    nbf.v4.new_markdown_cell("## Findings by code"),
    nbf.v4.new_code_cell(
        "by_code = t['findings'].groupby(['code', 'severity']).size().rename('findings').reset_index()"
        ".sort_values('findings')\n"
        "colors = by_code['severity'].map({'error': '#c62828', 'warning': '#b26a00'})\n"
        "ax = by_code.plot.barh(x='code', y='findings', color=colors, legend=False, figsize=(7, 4), title='findings by code')\n"
        "plt.tight_layout()\nby_code.sort_values('findings', ascending=False)"),
    nbf.v4.new_markdown_cell("## Findings by year and by unit"),
    nbf.v4.new_code_cell(
        "errors = t['findings'][t['findings']['severity'] == 'error']\n"
        "pd.crosstab(errors['unit_name'], errors['year'], margins=True)"),
    nbf.v4.new_markdown_cell("## The forms with most errors"),
    nbf.v4.new_code_cell(
        "worst = t['forms'].sort_values(['error_findings', 'warning_findings'], ascending=False).head(10)\n"
        "worst[['unit_name', 'project_name', 'year', 'form_type', 'rate', 'total_score', 'error_findings', 'warning_findings']]"),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbf.write(nb, Path(__file__).with_name("explore_batch.ipynb"))
