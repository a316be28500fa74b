# The front door. `make report` and `make test` work on a fresh machine that has
# only python3 and make: each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WAREHOUSE ?= data/warehouse.duckdb
QUARTER ?= latest
LANG_REPORT ?= en
OUT ?= reports

.PHONY: help venv test report samples warehouse lab notebooks bench clean

help:
	@echo "make report   build the sample warehouse and render the latest quarter's report"
	@echo "make test     run the test suite (pytest + nbval over notebooks/)"
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

test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest

warehouse: $(STAMP)
	$(BIN)/cxlab ingest-samples --warehouse $(WAREHOUSE) --replace

report: warehouse
	$(BIN)/cxlab report --quarter $(QUARTER) --warehouse $(WAREHOUSE) --out $(OUT) --lang $(LANG_REPORT)

samples: $(STAMP)
	$(BIN)/cxlab samples --out data/samples

lab: $(STAMP)
	$(BIN)/jupyter lab

notebooks: warehouse
	$(BIN)/cxlab notebooks --warehouse $(WAREHOUSE)

bench: $(STAMP)
	$(BIN)/python benchmarks/drivers.py

clean:
	rm -rf $(VENV) $(OUT)/*/ $(OUT)/index.html $(WAREHOUSE)
