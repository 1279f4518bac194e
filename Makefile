# Two commands set everything up on a fresh machine with Python 3.11-3.13:
#   make demo   create .venv, generate a synthetic PCN, run the whole monthly pipeline
#   make test   lint and run the test suite
#   make render the latest dashboard workbook and ICB return as PDF and PNG pages
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

# One data directory holds inbox, warehouse, quarantine, published copy, outputs and the
# Dagster instance; override it with PCNMO_DATA_DIR=/somewhere make demo.
export PCNMO_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(PCNMO_DATA_DIR)/dagster
export PCNMO_DUCKDB_PATH ?= $(PCNMO_DATA_DIR)/warehouse/pcnmo.duckdb
# dbt and dagster are called as commands by the pipeline: use the project's own.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Telemetry off for every tool, so runs are quiet and work offline.
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := False
export DAGSTER_DISABLE_TELEMETRY := true

.PHONY: install demo run status test lint format ui bench render clean

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
	@echo "  warehouse (DuckDB)              $(PCNMO_DATA_DIR)/warehouse/pcnmo.duckdb"
	@echo "  quarantined rows                $(PCNMO_DATA_DIR)/quarantine/<YYYY-MM>/"
	@echo "  published copy (for analysts)   $(PCNMO_DATA_DIR)/published/pcnmo.duckdb"
	@echo "  reports                         $(PCNMO_DATA_DIR)/outputs/<PCN>/<YYYY-MM or YYYY-YY-Qn>/"
	@echo "Next: 'make ui' for lineage and checks, 'make render' to see the reports as PDF/PNG,"
	@echo "or query the published copy (see README)."

run: install
	$(BIN)/pcnmo run $(if $(MONTH),--month $(MONTH))

status: install
	$(BIN)/pcnmo status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python -m pytest

ui: install
	$(BIN)/pcnmo init-key >/dev/null  # also prepares DAGSTER_HOME with dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install
	$(BIN)/pcnmo bench

# LibreOffice (headless) prints the workbooks to PDF, poppler's pdftoppm turns pages into PNGs.
render: install
	@command -v soffice >/dev/null && command -v pdftoppm >/dev/null || { \
		echo "make render needs LibreOffice Calc and poppler-utils, which are not installed."; \
		echo "On Debian/Ubuntu: sudo apt-get install -y libreoffice-calc poppler-utils"; exit 1; }
	$(BIN)/python -m tools.render

clean:
	rm -rf $(PCNMO_DATA_DIR) dbt_pcnmo/target dbt_pcnmo/logs .pytest_cache
