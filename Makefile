# The two commands of the README, and the steps they are made of.
#   make run   — build the release and serve it on 127.0.0.1:3000 with demo data
#   make test  — every check CI runs: format, lints for both targets, Rust tests, Playwright on the
#                release build that `make run` serves
.PHONY: run test setup setup-test build-release fmt-check lint rust-test e2e dev bench

run: setup build-release
	./target/release/leadwire

test: setup-test fmt-check lint rust-test e2e

setup:
	./scripts/setup.sh --release

setup-test:
	./scripts/setup.sh --test

# The release server and target/site, with cargo, wasm-bindgen and wasm-opt (no cargo-leptos).
build-release:
	./scripts/build-release.sh

fmt-check:
	cargo fmt --check

lint:
	cargo clippy --features bench --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

# Unit and integration tests on SQLite, then the integration suite again on PostgreSQL.
rust-test:
	cargo test --features ssr
	./scripts/test-postgres.sh

# Playwright starts the release server itself (see end2end/playwright.config.ts) on a fresh
# database, serving the very target/site that `make run` serves.
e2e: build-release
	cd end2end && npx playwright test

# Development: rebuilds and reloads the browser on every change.
dev:
	./scripts/setup.sh --dev
	cargo leptos watch

# Benchmarks (release build, fresh database): figures quoted in the README.
bench: setup
	./scripts/bench.sh
