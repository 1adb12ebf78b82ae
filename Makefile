# onconet: `make run` starts the API with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO ?= cargo
DATA_DIR ?= .onconet
BIND ?= 127.0.0.1:8080
TEST_PG_DIR := target/onconet-test-pg
TEST_LOG_DIR := $(or $(ONCONET_TEST_LOG_DIR),target/test-logs)
export ONCONET_REFERENCE_DATA ?= $(abspath ../shared/data/nl)

.PHONY: help setup build run test check fmt lint unit check-logs schemathesis browser faults check-fhir fuzz openapi db-stop clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## Install PostgreSQL and build tools from Debian packages when missing
	@scripts/setup.sh

build: setup ## Build the release binary
	$(CARGO) build --release --locked --bin onconet

run: build ## Start the API with its own PostgreSQL and demo networks
	./target/release/onconet serve --data-dir $(DATA_DIR) --bind $(BIND) --demo

fmt: ## Check formatting
	$(CARGO) fmt --all --check

lint: ## Clippy with warnings as errors
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

check: ## The architecture: domain and spatial free of HTTP and SQL, the registry free of HTTP, the HTTP adapter free of SQL
	@for crate in onconet_domain onconet_spatial; do \
	  if $(CARGO) tree --locked -p $$crate -e normal | grep -E '^.*(actix-web|diesel|utoipa) ' ; then \
	    echo "$$crate must not depend on actix-web, diesel or utoipa" >&2; exit 1; fi; done
	@if $(CARGO) tree --locked -p onconet_registry -e normal | grep -E '^.*(actix-web|actix-http|utoipa) ' ; then \
	  echo "onconet_registry (the use cases) must not depend on actix or utoipa" >&2; exit 1; fi
	@if $(CARGO) tree --locked -p onconet_api -e normal --depth 1 | grep -E '^.*(onconet_db|diesel|diesel-async) ' ; then \
	  echo "onconet_api must not call the database directly: go through onconet_registry" >&2; exit 1; fi
	@scripts/check-modules.py crates/*/
	@echo "architecture: domain, spatial < registry (no HTTP) < api (no SQL); no module circle"

unit: ## All Rust tests against a real PostgreSQL and OpenID provider (stopped afterwards); their logs go to target/test-logs
	@scripts/npm-deps.sh tests/oidc
	@scripts/venv.sh fhir > /dev/null
	@scripts/venv.sh webhooks > /dev/null
	@df -Ph . | awk 'NR==2 {print "unit: " $$4 " free on the disk of the build (a full disk takes the test cluster down)"}'
	@rm -rf "$(TEST_LOG_DIR)"; status=0; $(CARGO) test --locked --workspace || status=$$?; \
	  $(CARGO) run --quiet --locked --bin onconet -- db stop --data-dir $(TEST_PG_DIR) || true; \
	  [ $$status -eq 0 ] || df -Ph . | awk 'NR==2 {print "unit: failed with " $$4 " free on the disk"}' >&2; \
	  exit $$status

check-logs: ## No non-public contact data in the logs of the Rust tests (run after `unit`)
	scripts/check-logs.sh

schemathesis: ## schemathesis against a real server with its own OpenAPI document
	scripts/schemathesis.sh

browser: ## The widget, /docs and the coverage map in headless Chromium, from a foreign origin
	scripts/browser-test.sh

faults: ## Database faults under 4 writers and 1 reader: immediate stop, SIGKILL, external restart; no acknowledged write lost
	$(CARGO) build --quiet --locked --bin onconet
	scripts/check-faults.py --seconds 60

check-fhir: ## Every FHIR document of the demo data and of a 500-network registry validates against R4 (fhir.resources)
	scripts/check-fhir.sh

# Not part of `make test`: nightly Rust and cargo-fuzz. The issue's long run is
# `make fuzz FUZZ_RUNS=10000000` (hours on two cores).
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
fuzz: ## Fuzz each target (fuzz/) for FUZZ_SECONDS (60) s, or FUZZ_RUNS executions; stats per target
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz.sh

test: setup fmt lint check unit check-logs schemathesis browser faults ## The whole suite: format, lints, architecture, tests, their logs, schemathesis, browser, database faults

openapi: ## Regenerate openapi/openapi.json from the code
	$(CARGO) run --quiet --locked --bin onconet -- openapi > openapi/openapi.json

db-stop: ## Stop the embedded PostgreSQL of `make run` and of the tests
	-$(CARGO) run --quiet --bin onconet -- db stop --data-dir $(DATA_DIR)
	-$(CARGO) run --quiet --bin onconet -- db stop --data-dir $(TEST_PG_DIR)

clean: db-stop ## Remove build outputs and the test cluster
	$(CARGO) clean
