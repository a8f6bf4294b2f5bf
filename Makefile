# Workbench: the two quick-start commands are `make lab` and `make test`.
# Everything they need is installed here: a venv in .venv, npm packages for the
# labextension (built by the Python build), and Debian's Chromium for the browser tests.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8888
DEMO_DIR ?= demo
EXTRAS := lab,demo,test,dask,postgres,widgets
STAMP := $(VENV)/.workbench-installed
SOURCES := pyproject.toml labextension/package.json labextension/package-lock.json \
	$(wildcard labextension/src/*) $(wildcard labextension/style/*)

PG_URL := postgresql+psycopg://workbench:workbench@127.0.0.1:5432/postgres

.PHONY: lab test test-python test-browser setup chromium postgres bench lint clean

## make lab: set everything up and start JupyterLab with Workbench on the demo notebooks
lab: setup
	@mkdir -p $(DEMO_DIR)
	@for f in templates/*.ipynb; do [ -e "$(DEMO_DIR)/$$(basename $$f)" ] || cp "$$f" $(DEMO_DIR)/; done
	cd $(DEMO_DIR) && ../$(BIN)/python -m workbench init >/dev/null && \
		../$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) --no-browser \
		$$( [ "$$(id -u)" = 0 ] && echo --allow-root ) demo.ipynb

## make test: set everything up, check the house, and run the whole test suite (what CI runs)
test: setup chromium postgres lint test-python test-browser

test-python:
	WORKBENCH_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/python -m pytest --ignore=tests/browser

test-browser:
	$(BIN)/python -m pytest -p no:asyncio tests/browser

setup: $(STAMP)
	@# Workbench's own bytecode, as a pip-installed wheel has it: an editable install gets
	@# none where PYTHONDONTWRITEBYTECODE is set, and every process (each cold kernel that
	@# imports workbench) would compile its modules again. Up-to-date files are skipped.
	@$(BIN)/python -m compileall -q workbench

$(STAMP): $(SOURCES)
	@command -v node >/dev/null || { echo "node (>=20.19) is needed to build the labextension"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade "pip>=24"
	rm -rf workbench/labextension
	$(BIN)/python -m pip install -e ".[$(EXTRAS)]"
	touch $@

## Debian's Chromium for the browser tests (Playwright's own download cannot work here)
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "install Debian's chromium (sudo apt-get install chromium)"; exit 1; fi; \
	fi

## Debian's PostgreSQL on loopback, for the store and sweep tests against a real server
postgres:
	@if ! command -v pg_lsclusters >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql; \
		else echo "install Debian's postgresql (sudo apt-get install postgresql)"; exit 1; fi; \
	fi
	@[ -n "$$(pg_lsclusters -h)" ] || pg_createcluster $$(ls /usr/lib/postgresql | sort -n | tail -1) main >/dev/null
	@pg_lsclusters -h | awk '{print $$1, $$2, $$4}' | while read v c st; do \
		[ "$$st" = online ] || pg_ctlcluster $$v $$c start; done
	@su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='workbench'\"" | grep -q 1 || \
		su postgres -c "psql -qc \"CREATE ROLE workbench LOGIN SUPERUSER PASSWORD 'workbench'\""

## make bench: speed against the peers (MLflow lives in its own venv: its pins clash)
bench: setup
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install -q "mlflow>=2.15,<4"
	$(BIN)/python benchmarks/tracking.py --mlflow-python .venv-bench/bin/python
	$(BIN)/python benchmarks/rest.py
	$(BIN)/python benchmarks/widgets.py
	$(BIN)/python benchmarks/cells.py
	$(BIN)/python benchmarks/sweeps.py

## make lint: ruff (lint, format), the import contracts of DESIGN.md's layers, mypy (strict on
## the store and jobs layers), and the labextension's eslint, prettier and unit tests
lint: setup
	$(BIN)/ruff check workbench tests benchmarks
	$(BIN)/ruff format --check workbench tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	test -d labextension/node_modules || npm --prefix labextension ci
	npm --prefix labextension run lint
	npm --prefix labextension run prettier:check
	npm --prefix labextension run test

clean:
	rm -rf $(VENV) workbench/labextension labextension/node_modules labextension/lib dist build
