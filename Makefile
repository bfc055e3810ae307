# Everyday commands. `make run` and `make test` work on a fresh machine (README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# One PostgreSQL test database per checkout, so checkouts testing at once never share one.
export NEWSARCHIVE_PG_DB ?= newsarchive_test_$(shell pwd | cksum | cut -d' ' -f1)

.PHONY: runtime install migrate seed run serve test test-postgres test-replica test-fast test-browser fuzz lint format bench bench-quick bench-reuters bench-pages bench-relevance bench-scale clean

# Two stamps: serving needs the runtime dependencies only (`make run`); tests, lint and the
# browser suite need the dev extra too (Playwright, mypy, schemathesis: some 500 MB more).
$(VENV)/.runtime: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(VENV)/.runtime $@

runtime: $(VENV)/.runtime

install: $(VENV)/.installed

migrate: runtime
	$(BIN)/newsarchive migrate

# Seeds go into an empty archive only: later runs add nothing and record no import run, and an
# archive whose seed article was deleted does not get it back.
seed: migrate
	$(BIN)/newsarchive import --quiet --if-empty seeds/

run: seed
	$(BIN)/newsarchive check --repair
	$(BIN)/newsarchive serve --host $(HOST) --port $(PORT)

serve: runtime
	$(BIN)/newsarchive serve --host $(HOST) --port $(PORT)

# The PostgreSQL tests run when scripts/ensure-postgres can start a local server; otherwise they
# skip and pytest prints why.
test: install
	NEWSARCHIVE_TEST_POSTGRES_URL="$${NEWSARCHIVE_TEST_POSTGRES_URL:-$$(scripts/ensure-postgres 2>/dev/null)}" \
		$(BIN)/pytest $(PYTEST_ARGS)

# Includes scripts/replica-test (a primary, a streaming replica and two app servers; needs root:
# tests/test_replica_script.py), about a minute of it.
test-postgres: install
	NEWSARCHIVE_REQUIRE_POSTGRES=1 \
	NEWSARCHIVE_TEST_POSTGRES_URL="$${NEWSARCHIVE_TEST_POSTGRES_URL:-$$(scripts/ensure-postgres)}" \
		$(BIN)/pytest -m postgres $(PYTEST_ARGS)

# The replica scenario alone, with its step-by-step output (docs/scaling.md).
test-replica: install
	scripts/replica-test

# Schemathesis with a bigger budget and fresh random inputs (make test runs it with a few each).
FUZZ_EXAMPLES ?= 200
fuzz: install
	NEWSARCHIVE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) NEWSARCHIVE_FUZZ_RANDOM=1 $(BIN)/pytest -m fuzz -q $(PYTEST_ARGS)

test-fast: install
	$(BIN)/pytest -m "not slow and not browser and not fuzz" -x -q $(PYTEST_ARGS)

# Real Chromium (Debian's /usr/bin/chromium) against a live server; screenshots land in
# test-artifacts/screenshots/.
# Without Chromium or Playwright this fails (it would otherwise skip every test and pass).
test-browser: install
	NEWSARCHIVE_REQUIRE_BROWSER=1 $(BIN)/pytest -m browser $(PYTEST_ARGS) tests/browser

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The issue-7 suite on Reuters-21578: import, search in process, SQLite FTS5 baseline, HTTP
# sequential and under load, sizes, server RSS (docs/performance.md); about 5 minutes.
bench: install
	$(BIN)/python -m bench.suite

# The same in under a minute on 2,000 stories (a smoke run, not a figure to quote).
bench-quick: install
	$(BIN)/python -m bench.suite --quick

bench-reuters: install
	$(BIN)/python -m bench.reuters

bench-pages: install
	$(BIN)/python -m bench.pages

bench-relevance: install
	$(BIN)/python -m bench.relevance

# 100k and 300k synthetic articles on PostgreSQL and Whoosh (docs/scaling.md); over an hour.
bench-scale: install
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
