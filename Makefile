# Two commands matter: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The browser libraries the pages load (served by the app from web/node_modules).
WEB_STAMP := web/node_modules/.installed

# Profiles keep `make run` and `make test` on separate ports and data: a test run never
# touches a running shop.
# TEST_SLOT=N gives a further test stack its own ports and data, so two test runs can share
# one machine. `make bench` has a profile of its own too, wiped at the start of every run.
PROFILE ?= run
TEST_SLOT ?= 0
ifeq ($(PROFILE),test)
  STACK_DIR  := $(CURDIR)/.stack/test$(filter-out 0,$(TEST_SLOT))
  MYSQL_PORT := $(shell echo $$(( 3317 + $(TEST_SLOT) )))
  KAFKA_PORT := $(shell echo $$(( 19092 + 100 * $(TEST_SLOT) )))
  PORT       := $(shell echo $$(( 3100 + $(TEST_SLOT) )))
  # The Prometheus the integration test starts against this stack (tests/integration).
  export PROMETHEUS_PORT := $(shell echo $$(( 9190 + $(TEST_SLOT) )))
  # Fixed tokens for the admin API and status change tests; `make run` takes ADMIN_TOKEN and
  # SERVICE_TOKEN from the environment.
  export ADMIN_TOKEN := test-admin-token
  export SERVICE_TOKEN := test-service-token
  # Named admins ada (two tokens: a rotation) and grace: the SHA-256 of the tokens in
  # tests/orders_support.py (NAMED_ADMIN_TOKENS), which a test checks.
  export ADMIN_TOKEN_HASHES := {"ada":["c622d732cce1bb7365f89d48d360872a0daf582ee96b8fb77720d200e311f671","048b0314663b2f6372dd356304e2ae34e0e60aa5d81c3ddd85ee4bbbdcd05024"],"grace":["18a2f198c262bf818bbb92f0a623f4899857688c7de91047e9c32d4e434147ac"]}
  # Secrets no log line contains by chance, so tests/security can search the logs for them.
  export MYSQL_PASSWORD := test-mysql-secret
  export CLICKHOUSE_PASSWORD := test-clickhouse-secret
else ifeq ($(PROFILE),faults)
  # The fault drills need a real cluster: three brokers, replication factor 3, min ISR 2.
  STACK_DIR  := $(CURDIR)/.stack/faults
  MYSQL_PORT := 3347
  KAFKA_PORT := 19992
  PORT       := 3400
  KAFKA_LOCAL_BROKERS := 3
  export FAULT_INJECTION_DIR := $(STACK_DIR)/fault-switches
  export ADMIN_TOKEN := faults-admin-token
else ifeq ($(PROFILE),bench)
  STACK_DIR  := $(CURDIR)/.stack/bench
  MYSQL_PORT := 3337
  KAFKA_PORT := 19892
  PORT       := 3300
else
  STACK_DIR  := $(CURDIR)/.stack/run
  MYSQL_PORT ?= 3307
  KAFKA_PORT ?= 9092
  PORT       ?= 3000
endif
KAFKA_LOCAL_BROKERS ?= 1
# `make run LAYOUT=single` runs one worker instead of an API process and a stream worker;
# STREAM_PORT moves the stream worker (default PORT + 1). See devstack/run.sh.
export LAYOUT STREAM_PORT
export STACK_DIR MYSQL_PORT KAFKA_PORT PORT KAFKA_LOCAL_BROKERS
export MYSQL_HOST := 127.0.0.1
export KAFKA_BROKERS := $(shell for i in $$(seq 0 $$(( $(KAFKA_LOCAL_BROKERS) - 1 ))); do \
	printf '127.0.0.1:%s,' $$(( $(KAFKA_PORT) + 2 * i )); done | sed 's/,$$//')
export KAFKA_REPLICATION_FACTOR := $(shell echo $$(( $(KAFKA_LOCAL_BROKERS) < 3 ? $(KAFKA_LOCAL_BROKERS) : 3 )))
export CLICKHOUSE_DATA_DIR := $(STACK_DIR)/chdb
export FAUST_DATA_DIR := $(STACK_DIR)/faust

.PHONY: help install up down status migrate seed run test test-in-profile test-faults \
	faults-in-profile churn-drill bench bench-in-profile lint

help:
	@echo "make run    install what is missing, start MariaDB + Kafka, seed, serve http://localhost:3000"
	@echo "            (an API process and a stream worker; LAYOUT=single: one worker)"
	@echo "make test   the same stack on its own ports and data, then the whole test suite"
	@echo "make bench  benchmarks on their own stack, beside the original design and raw limits"
	@echo "            (BENCH_QUICK=1: a quick run; results in bench/results/)"
	@echo "make lint   ruff, mypy, the architecture's import contracts (lint-imports) and the"
	@echo "            Prometheus configuration and alert rules (promtool)"
	@echo "make test-faults   the fault drills on a 3-broker stack (CI runs them after make test)"
	@echo "make churn-drill    the rebalancing drill RUNS times (10) with the outbox audit off"

install: $(STAMP) $(WEB_STAMP)
	@devstack/install-system.sh

# Reinstall the Python side only when the project's dependencies change.
$(STAMP): pyproject.toml
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# `npm ci` only when the lock file changed: it wipes node_modules and refetches everything.
$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $(WEB_STAMP)

up: install
	@devstack/stack.sh up

down:
	@devstack/stack.sh down

status:
	@devstack/stack.sh status

migrate: install
	@$(VENV)/bin/ecommerce-stream migrate

seed: install
	@$(VENV)/bin/ecommerce-stream seed

run: install
	@devstack/run.sh

test:
	@$(MAKE) --no-print-directory PROFILE=test test-in-profile

# The fault drills (tests/faults): kill, restart and starve the services under load.
test-faults:
	@$(MAKE) --no-print-directory PROFILE=faults faults-in-profile

# The rebalancing drill RUNS times with the outbox audit off: lost orders per run (a measurement).
RUNS ?= 10
churn-drill: install
	@devstack/churn-drill.sh $(RUNS)

# PYTEST_ARGS, when given, chooses the drills (e.g. tests/faults/test_split_layout.py).
faults-in-profile: install
	@FAULT_TESTS=1 devstack/test.sh $(or $(PYTEST_ARGS),tests/faults)

test-in-profile: install lint
	@devstack/test.sh $(PYTEST_ARGS)

bench:
	@$(MAKE) --no-print-directory PROFILE=bench bench-in-profile

bench-in-profile: install
	@devstack/bench.sh $(if $(filter-out 0,$(BENCH_QUICK)),--quick) $(BENCH_ARGS)

lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check ecommerce_stream bench tests
	$(VENV)/bin/ruff format --check ecommerce_stream bench tests
	$(VENV)/bin/mypy
	promtool check config ops/prometheus/prometheus.yml
	promtool check rules ops/prometheus/alerts.yml
