# Handoff: `make run` and `make test` set up everything they need on a fresh Debian machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PG_BIN ?= /usr/lib/postgresql/15/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# install_debs: apt-get install the Debian packages named in $(1) ("check:package" pairs)
# whose check fails; nothing runs (and no network is used) when all are present.
define install_debs
	@missing=""; for pair in $(1); do check="$${pair%%:*}"; pkg="$${pair##*:}"; \
	  eval "$$check" >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

RUN_DEBS  := "command -v dot:graphviz"
TEST_DEBS := $(RUN_DEBS) "test -x $(PG_BIN)/initdb:postgresql-15" "test -x /usr/bin/chromium:chromium"

.PHONY: help run test lint audit bench load system-run system-test clean

help:
	@echo "make run    set up and serve http://$(HOST):$(PORT) with the sample catalogue"
	@echo "make test   set up (Graphviz, PostgreSQL) and run lint and the whole test suite"
	@echo "make lint   ruff, ruff format --check, mypy, pip-audit (warns when it could not audit)"
	@echo "make audit  pip-audit that fails when any dependency could not be audited"
	@echo "make bench  Handoff against plain pm4py, 100k to 20M events (benchmarks/RESULTS.md)"
	@echo "make load   20 people browsing for 60 s while a 1M-event log imports (benchmarks/RESULTS.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $@ $(VENV)/.run-deps

system-run:
	$(call install_debs,$(RUN_DEBS))

system-test:
	$(call install_debs,$(TEST_DEBS))

run: system-run $(VENV)/.run-deps
	$(BIN)/handoff serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.test-deps
	$(BIN)/ruff check app tests benchmarks event_logs .ci
	$(BIN)/ruff format --check app tests benchmarks event_logs .ci
	$(BIN)/mypy
	$(BIN)/python .ci/audit.py

audit: $(VENV)/.test-deps
	HANDOFF_AUDIT_STRICT=1 $(BIN)/python .ci/audit.py

test: system-test $(VENV)/.test-deps lint
	HANDOFF_REQUIRE_POSTGRES=1 HANDOFF_REQUIRE_BROWSER=1 PG_BIN=$(PG_BIN) $(BIN)/pytest

bench: system-test $(VENV)/.test-deps
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

load: system-test $(VENV)/.test-deps
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
