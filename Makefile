# Two everyday commands: `make demo` runs the whole system locally, `make test` runs every check.
# Both set up what they need on a fresh machine (a virtualenv from the lock files; for the tests
# also Debian and npm packages), and are cheap to rerun.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint test-deps bench dist clean

$(STAMP): pyproject.toml requirements/runtime.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mesg-pusher demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-deps:
	scripts/install-test-deps

test: $(STAMP) test-deps lint
	$(BIN)/pytest

bench: $(STAMP) test-deps
	$(BIN)/python -m bench

# The wheel and the sdist a user installs (in dist/), checked as PyPI would check them.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) tests/node/node_modules .mypy_cache .ruff_cache .pytest_cache
