#!/usr/bin/env bash
# Runs every test of npmx: formatting, lints, unit and integration tests, and
# the end-to-end suite that runs the real npm against real servers on
# 127.0.0.1. Anything those servers need is installed by tests/e2e/provision.sh
# (idempotent); the suite starts and stops the servers itself.
set -euo pipefail
cd "$(dirname "$0")"

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
if [ -x tests/e2e/provision.sh ]; then
  tests/e2e/provision.sh
fi
cargo test --locked
