# Recall: every task a developer or CI needs. Installs are idempotent and
# skipped when the right version is already present.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := 0.2.130
ADDR ?= 127.0.0.1:3000
DATA_DIR ?= data

# wasm-opt comes from the npm package `binaryen` (Debian's is too old and
# breaks hydration); it must be first on PATH during release builds.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: help tools rust-tools npm-tools chromium wrk test-deps build run dev test test-postgres fmt-check clippy rust-test e2e bench soak storage-faults reliability clean

help:
	@echo "make run    build in release and serve the demo at http://$(ADDR)"
	@echo "make test   fmt, clippy, Rust tests, then the browser suite"
	@echo "make test-postgres  the Rust tests again on a throwaway PostgreSQL (.ci/postgres)"
	@echo "make build  release build; binary at target/release/recall"
	@echo "make dev    cargo leptos watch"
	@echo "make bench  measure every benchmark figure; writes BENCHMARKS.md"
	@echo "make soak   ten minutes of everything at once; writes its part of RELIABILITY.md"
	@echo "make reliability  SIGKILL the binary mid-expiry/restore 200 times; writes RELIABILITY.md"

tools: rust-tools npm-tools

rust-tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)" \
	  || cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked
	@# Without --locked: its lockfile names a crate version the registry lacks.
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" \
	  || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

npm-tools: end2end/node_modules/.package-lock.json

end2end/node_modules/.package-lock.json: end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund
	@touch $@

chromium:
	@command -v chromium >/dev/null \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Servers the Rust tests run on loopback, from PyPI: an S3-protocol
# server (moto) and an SMTP server (aiosmtpd).
MOTO_VERSION := 5.2.1
AIOSMTPD_VERSION := 1.4.6
# schemathesis, for `make hostile`.
SCHEMATHESIS_VERSION := 4.32.5
test-deps:
	@python3 -c "import moto" 2>/dev/null && command -v moto_server >/dev/null \
	  || python3 -m pip install -q "moto[server]==$(MOTO_VERSION)"
	@python3 -c "import aiosmtpd" 2>/dev/null \
	  || python3 -m pip install -q "aiosmtpd==$(AIOSMTPD_VERSION)"

# Only `make hostile` needs schemathesis; `make test` does not install it.
hostile-deps:
	@st --version 2>/dev/null | grep -q "$(SCHEMATHESIS_VERSION)" \
	  || python3 -m pip install -q "schemathesis==$(SCHEMATHESIS_VERSION)"

wrk:
	@command -v wrk >/dev/null \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

build: tools
	cargo leptos build --release

run: build
	./target/release/recall serve --addr $(ADDR) --data-dir $(DATA_DIR) --demo

dev: tools
	cargo leptos watch

test: fmt-check clippy rust-test e2e

fmt-check:
	cargo fmt --all -- --check

clippy: rust-tools
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings

rust-test: test-deps
	cargo test --workspace

# The same tests with RECALL_TEST_DATABASE_URL set: a temporary PostgreSQL
# cluster on loopback (installed with apt if missing), removed afterwards.
test-postgres: test-deps
	.ci/postgres cargo test --workspace

e2e: build chromium
	cd end2end && npx playwright test

# Release binaries, deterministic data, real load (wrk): about 10 minutes
# at full scale. BENCH_SCALE=0.1 gives a quick, not comparable, look.
bench: build wrk
	cargo bench -p server --bench bench

# Ten minutes of ingest, dashboard browsing, segment evaluations, restores
# and expiry passes at once (#10); SOAK_SECONDS and SOAK_INGEST_RATE
# change the run. Writes the "Soak" section of RELIABILITY.md.
soak: build
	cargo bench -p server --bench soak

# Long-term storage on a full and on a read-only disk (small tmpfs mounts,
# so root is needed).
storage-faults:
	cargo test -p recall --features engine --lib storage_fault_tests -- --include-ignored

# Randomized crash trials (#10): the release binary is SIGKILLed at least
# 200 times during expiry, restore and ingest, restarted and left to
# finish; events are counted against what was accepted. About 15 minutes.
# RELIABILITY_TRIALS=N changes the count, RELIABILITY_SEED=S repeats a run.
reliability: build
	RELIABILITY_COMMAND="make reliability" cargo bench -p server --bench reliability

# Hostile input (issue #10): schemathesis against the OpenAPI document of
# a live release server with the demo data; fails on any 5xx, undocumented
# answer, accepted invalid request or logged panic. About 10 minutes;
# HOSTILE_TIME=120 for a quick look. See server/tests/hostile/run.sh.
.PHONY: hostile hostile-deps
hostile: build hostile-deps
	bash server/tests/hostile/run.sh

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/test-results end2end/playwright-report
