# The front door. `make report` and `make test` work on a fresh machine that has
# only python3 and make: each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The sample warehouse is built from data/samples/*.csv and kept apart from a real one:
# `make report` on a fresh machine uses it; `make report WAREHOUSE=data/warehouse.duckdb`
# renders from the warehouse your `cxlab ingest` runs fill, and never rebuilds it.
SAMPLE_WAREHOUSE := data/samples.duckdb
WAREHOUSE ?= $(SAMPLE_WAREHOUSE)
# The study file (code lists, factors, targets): the samples' for the sample warehouse;
# for yours, `make report WAREHOUSE=… STUDY=study.yml` (default: ./study.yml when present).
STUDY ?= $(if $(filter $(SAMPLE_WAREHOUSE),$(WAREHOUSE)),data/samples/study.yml,)
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with $(CURDIR)/notebooks/nbval_sanitize.cfg
QUARTER ?= latest
LANG_REPORT ?= en
OUT ?= reports

.PHONY: help venv browser test report samples warehouse lab notebooks bench clean

help:
	@echo "make report   build the sample warehouse and render the latest quarter's report"
	@echo "make test     run the test suite (pytest + nbval over notebooks/)"
	@echo "make browser  install Debian's chromium for the browser tests when missing (make test does)"
	@echo "make lab      JupyterLab on the project's environment (kernel 'cxlab')"
	@echo "make notebooks  re-execute notebooks/ on the sample data (refresh committed outputs)"
	@echo "make samples  regenerate data/samples/ from the seeded generator"
	@echo "make bench    run the benchmarks in benchmarks/"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name cxlab --display-name "cxlab (Python 3)" >/dev/null
	touch $(STAMP)

# tests/test_browser.py opens the rendered report in the machine's Chromium through
# Playwright (a Playwright browser download is not used): install Debian's chromium when
# missing, with sudo unless root. Silent when chromium is there.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "make browser: no chromium and no apt-get: install Chromium so that 'chromium' is on PATH" >&2; exit 1; }; \
	  echo "installing Debian's chromium (for tests/test_browser.py)"; \
	  $(SUDO) apt-get update -qq >/dev/null && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# pytest over tests/ and nbval (full output comparison) over every notebook; then the
# ingest contract once more with every CSV and Parquet file sent the DuckDB road first
# (cxlab._duckread; by default only files of 8 MB or more take it): the same rows stored,
# the same messages for every bad file
INGEST_TESTS := tests/test_io.py tests/test_warehouse.py tests/test_mapping.py \
	tests/test_undo.py tests/test_plausible.py tests/test_timezones.py
test: $(STAMP) $(SAMPLE_WAREHOUSE) browser
	MPLBACKEND=Agg $(BIN)/python -m pytest tests notebooks $(NBVAL)
	CXLAB_INGEST_ENGINE=duckdb $(BIN)/python -m pytest -q $(INGEST_TESTS)

$(SAMPLE_WAREHOUSE): $(STAMP) $(wildcard data/samples/*.csv data/samples/telegram/result.json) data/samples/study.yml
	$(BIN)/cxlab ingest-samples --warehouse $@ --replace

warehouse: $(SAMPLE_WAREHOUSE)

report: $(STAMP) $(if $(filter $(SAMPLE_WAREHOUSE),$(WAREHOUSE)),$(SAMPLE_WAREHOUSE))
	$(BIN)/cxlab report --quarter $(QUARTER) --warehouse $(WAREHOUSE) --out $(OUT) --lang $(LANG_REPORT) $(if $(STUDY),--study $(STUDY))

samples: $(STAMP)
	$(BIN)/cxlab samples --out data/samples

# JupyterLab refuses to start as root unless told: allowed only when make runs as root
lab: $(STAMP) $(SAMPLE_WAREHOUSE)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

notebooks: $(SAMPLE_WAREHOUSE)
	$(BIN)/cxlab notebooks

bench: $(STAMP) $(SAMPLE_WAREHOUSE)
	$(BIN)/python benchmarks/drivers.py
	$(BIN)/python benchmarks/metrics.py
	$(BIN)/python benchmarks/ingest.py --rows 1000000
	$(BIN)/python benchmarks/report.py

clean:
	rm -rf $(VENV) $(OUT)/*/ $(OUT)/index.html analyst/ $(SAMPLE_WAREHOUSE)
