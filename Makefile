# Two commands set everything up on a fresh machine with Python 3.11-3.13:
#   make demo       create .venv, generate a synthetic PCN, run the whole monthly pipeline
#   make test       lint and run the whole test suite (two workers)
#   make test-fast  the inner loop: Python unit tests and the dbt unit tests, about a minute
#   make render     the latest dashboard workbook, ICB return and PCN comparator as PDF and PNG
#                   pages
#   make docs       the dbt documentation site for analysts, under data/dbt_docs
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

# One data directory holds inbox, warehouse, quarantine, published copy, outputs and the
# Dagster instance; override it with PCNMO_DATA_DIR=/somewhere make demo. Everything else
# (the warehouse path, DAGSTER_HOME, telemetry off) the pcnmo command derives from it.
export PCNMO_DATA_DIR ?= $(CURDIR)/data
# Two workers. In the full run each module's tests stay on one worker, so a module's dbt
# build runs once; the fast tier has no such builds and balances test by test.
PYTEST_PARALLEL := -n 2 --dist loadfile
PYTEST_FAST_PARALLEL := -n 2

.PHONY: install demo run status test test-fast unit lint format ui bench render docs clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 14) else "pcnmo needs Python 3.11, 3.12 or 3.13 (found %d.%d): set PYTHON=/path/to/python3.11" % v)'
	@echo "Creating $(VENV) and installing the pinned packages (a few minutes the first time)..."
	@$(PYTHON) -m venv $(VENV)
	@( $(BIN)/python -m pip install --upgrade pip && $(BIN)/python -m pip install -e ".[dev]" ) \
		> $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; echo "Install failed: see $(VENV)/install.log"; exit 1; }
	@touch $@

demo: install
	$(BIN)/pcnmo init-key
	$(BIN)/pcnmo generate
	$(BIN)/pcnmo run
	@echo
	@echo "Done. Everything lives under $(PCNMO_DATA_DIR):"
	@echo "  inbox (the synthetic extracts)  $(PCNMO_DATA_DIR)/inbox/<YYYY-MM>/"
	@echo "  published copy (for analysts)   $(PCNMO_DATA_DIR)/published/pcnmo.duckdb"
	@echo "  quarantined rows                $(PCNMO_DATA_DIR)/quarantine/<YYYY-MM>/"
	@echo "  working warehouse (pipeline's own: analysts never open it)"
	@echo "                                  $(PCNMO_DATA_DIR)/warehouse/pcnmo.duckdb"
	@echo "  reports                         $(PCNMO_DATA_DIR)/outputs/<PCN>/<YYYY-MM or YYYY-YY-Qn>/"
	@echo "Next: 'make ui' for lineage and checks, 'make render' to see the reports as PDF/PNG,"
	@echo "or query the published copy (see README)."

run: install
	$(BIN)/pcnmo run $(if $(MONTH),--month $(MONTH))

status: install
	$(BIN)/pcnmo status

# sqlfluff's dbt templater compiles the project, so it needs a DuckDB file: an empty
# throwaway one (compiling reads no table).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@lint_dir=$$(mktemp -d) && cd dbt_pcnmo && PCNMO_DUCKDB_PATH=$$lint_dir/lint.duckdb \
		../$(BIN)/sqlfluff lint models tests/singular --processes 2 --disable-progress-bar \
		--nocolor; status=$$?; rm -rf $$lint_dir; exit $$status

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

# Everything but the dbt scenario builds, the end-to-end runs and the Dagster runs (markers dbt,
# e2e, orchestration): Python unit tests, and every dbt unit test against an empty build
# (tests/dbt/test_unit_tests.py, started first). The folders of the last two are not even
# collected: importing their modules (Dagster, dagster-dbt) cost each worker seconds.
test-fast: install
	$(BIN)/python -m pytest $(PYTEST_FAST_PARALLEL) -m "not dbt and not e2e and not orchestration" \
		--ignore=tests/e2e --ignore=tests/orchestration

# The dbt unit tests alone (the SQL inner loop).
unit: install
	$(BIN)/python -m pytest tests/dbt/test_unit_tests.py

# The UI; analysts query $(PCNMO_DATA_DIR)/published/pcnmo.duckdb, never the working warehouse.
ui: install
	$(BIN)/pcnmo ui

bench: install
	$(BIN)/pcnmo bench

# LibreOffice (headless) prints the workbooks to PDF, poppler's pdftoppm turns pages into PNGs.
render: install
	@command -v soffice >/dev/null && command -v pdftoppm >/dev/null || { \
		echo "make render needs LibreOffice Calc and poppler-utils, which are not installed."; \
		echo "On Debian/Ubuntu: sudo apt-get install -y libreoffice-calc poppler-utils fonts-crosextra-carlito"; exit 1; }
	$(BIN)/python -m tools.render

# dbt docs generate --static, offline, with the catalog read from the published copy.
docs: install
	$(BIN)/python -m tools.dbt_docs

clean:
	rm -rf $(PCNMO_DATA_DIR) dbt_pcnmo/target dbt_pcnmo/logs .pytest_cache
