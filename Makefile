# formaudit — `make run` and `make test` are all a fresh Debian machine with Python 3.11 needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    := out

.PHONY: run test test-fast bench fixtures lint install clean help browser

help:
	@echo "make run       install into .venv, then convert fixtures/pdfs into $(OUT)/ (DuckDB, Parquet, JSON, report)"
	@echo "make test      the whole test suite"
	@echo "make test-fast the fast tier (under a minute: no OCR, browser, Dask or archive-sized batches)"
	@echo "make bench     speed and memory figures"
	@echo "make fixtures  regenerate the fixture PDFs and their truth files (needs CJK fonts, LibreOffice)"
	@echo "make lint      ruff, and the layers: an import may only point down the list in pyproject.toml"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "formaudit needs Python 3.11 or newer"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed: installing Debian's python3-venv"; \
	  rm -rf $(VENV); apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/formaudit batch fixtures/pdfs --db $(OUT)/results.duckdb --json $(OUT)/json --parquet $(OUT)/parquet --report $(OUT)/report.html --xlsx $(OUT)/report.xlsx

test: $(STAMP) browser
	$(PY) -m pytest -q

FAST := not (slow or ocr or browser or dask)

# both cores: the fast tier is many small tests, each independent of the others (own tmp_path, no shared output)
test-fast: $(STAMP)
	$(PY) -m pytest -q -n 2 -m "$(FAST)"

# The report's browser test drives Debian's chromium; installed here where missing and possible (root, apt).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the report's browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	  else echo "chromium is not installed: the report's browser test will be skipped"; fi; }

bench: $(STAMP)
	$(PY) bench/bench.py

fixtures: $(STAMP)
	$(PY) fixtures/make_fixtures.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests fixtures bench
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(OUT) .pytest_cache
