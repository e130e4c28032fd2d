# ipamsync — developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# sam build needs the Lambda runtime's Python (3.13) on PATH; pyenv has one on these machines.
PY313  ?= $(shell (pyenv root 2>/dev/null || echo $$HOME/.pyenv))/versions/3.13.0/bin
SAM    := PATH="$(PY313):$(CURDIR)/$(BIN):$$PATH" SAM_CLI_TELEMETRY=0 $(BIN)/sam
PYTEST_ARGS ?=
DEMO_ARGS   ?=
BENCH_ARGS  ?=

.PHONY: help install lint test test-fast demo bench build validate emulator clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/dev.txt requirements/lock.txt src/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check pip==25.3
	$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements/lock.txt -r requirements/dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install ipamsync, its CLI and the pinned dev tools

lint: $(STAMP) ## ruff over the whole tree
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

build: $(STAMP) ## sam build (Python 3.13 from pyenv, no Docker)
	$(SAM) build --parallel

validate: $(STAMP) ## sam validate --lint and sam validate --region us-east-1
	$(SAM) validate --lint
	$(SAM) validate --region us-east-1

test: $(STAMP) lint ## Everything CI checks: lint, unit, contract, template, end-to-end and reliability tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## Tests without the slow end-to-end and template-build suites
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

demo: $(STAMP) ## The main job: a fleet of EC2 instances synced through the full local pipeline into the emulator
	$(BIN)/ipamsync demo $(DEMO_ARGS)

bench: $(STAMP) ## Benchmarks: API calls per event, throughput, cold start, cost, emulator latency
	$(BIN)/ipamsync bench $(BENCH_ARGS)

emulator: $(STAMP) ## Run a seeded SOLIDserver emulator on http://127.0.0.1:8443 (Ctrl-C to stop)
	$(BIN)/ipamsync emulator serve --host 127.0.0.1 --port 8443 --db .ipamsync/emulator.db --seed

clean: ## Remove build outputs and local state (keeps .venv)
	rm -rf .aws-sam .ipamsync build dist .pytest_cache .ruff_cache
