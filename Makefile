# Everyday commands. `make run` and `make test` work on a fresh machine (README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install migrate seed run serve test test-fast test-browser lint format bench bench-pages clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/newsarchive migrate

# Loading seeds twice adds nothing (duplicates are recognised), so this is safe on every run.
seed: migrate
	$(BIN)/newsarchive import --quiet seeds/

run: seed
	$(BIN)/newsarchive check --repair
	$(BIN)/newsarchive serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/newsarchive serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/pytest -m "not slow and not browser" -x -q $(PYTEST_ARGS)

# Real Chromium (Debian's /usr/bin/chromium) against a live server; screenshots land in
# test-artifacts/screenshots/.
test-browser: install
	$(BIN)/pytest -m browser $(PYTEST_ARGS) tests/browser

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m bench.reuters

bench-pages: install
	$(BIN)/python -m bench.pages

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
