# Everyday commands: `make demo` runs the whole system locally, `make check` is the fast loop
# (lint, types, the unit tests; no root, under a minute), `make test` runs every check (what CI
# runs). Each sets up what it needs on a fresh machine (a virtualenv from the lock files; for
# `make test` also Debian and npm packages), and is cheap to rerun.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-stamp
DEV_STAMP := $(VENV)/.dev-stamp
# The lock files are compiled from requirements/*.in (and pyproject.toml) by pip-tools.
LOCK := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--strip-extras --unsafe-package mesg-pusher --no-emit-index-url --no-emit-find-links \
	--no-emit-trusted-host

.PHONY: demo demo-deps check lint test test-deps bench dist lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# What the service and the demo need, and nothing else.
$(RUNTIME_STAMP): $(BIN)/python pyproject.toml requirements/runtime.txt
	$(BIN)/pip install -q -r requirements/runtime.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# Everything the checks, the benchmark and a release need.
$(DEV_STAMP): $(RUNTIME_STAMP) requirements/dev.txt
	$(BIN)/pip install -q -r requirements/dev.txt
	touch $@

demo-deps: $(RUNTIME_STAMP)

demo: demo-deps
	$(BIN)/mesg-pusher demo

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The unit tests: what neither meets a real counterpart (integration) nor takes a second (slow).
check: lint
	$(BIN)/pytest -q -m "not integration and not slow"

test-deps:
	scripts/install-test-deps

test: $(DEV_STAMP) test-deps lint
	$(BIN)/pytest

bench: $(DEV_STAMP) test-deps
	$(BIN)/python -m bench

# The wheel and the sdist a user installs (in dist/), checked as PyPI would check them.
dist: $(DEV_STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

# The lock files again, from requirements/*.in and pyproject.toml, keeping the versions they
# name where they still fit (`make lock LOCK_OPTIONS=--upgrade` takes the newest instead).
lock: $(DEV_STAMP)
	$(LOCK) $(LOCK_OPTIONS) -o requirements/runtime.txt requirements/runtime.in
	$(LOCK) $(LOCK_OPTIONS) -o requirements/dev.txt requirements/dev.in

clean:
	rm -rf $(VENV) tests/node/node_modules .mypy_cache .ruff_cache .pytest_cache
