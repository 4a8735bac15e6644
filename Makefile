# sloscope: every target creates the virtualenv when it is missing and is safe to re-run.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# The most cyclomatic complexity one function may have (radon's count; see scripts/complexity.py).
MAX_COMPLEXITY := 15
# Folders the complexity check leaves out, e.g. while another branch splits their functions.
# Empty on main: every function in src/ is checked.
COMPLEXITY_SKIP ?=

.PHONY: venv demo test unit lint services bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sloscope needs Python 3.11+"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

## demo: sample specs and 30 days of telemetry in .demo/, then the report
demo: venv
	$(VENV)/bin/sloscope demo --workspace .demo

## lint: ruff (lint + format), mypy --strict, the layers check, no function above 15
lint: venv
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) scripts/complexity.py --max $(MAX_COMPLEXITY) $(addprefix --skip ,$(COMPLEXITY_SKIP)) src

## services: install and start what the integration tests need (Prometheus, promtool, Alertmanager, PostgreSQL)
services:
	@bash scripts/ensure-services

## test: everything CI runs
test: venv services lint
	$(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)

## unit: the fast tests only (no integration or slow marker, no CLI subprocess), no lint
unit: venv
	$(VENV)/bin/pytest -n 2 -m "not integration and not slow" tests/unit $(PYTEST_ARGS)

## bench: benchmarks, printed side by side (never assertions in the test suite)
bench: venv
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache .hypothesis
