#!/usr/bin/env bash
# The long soak: CYCLES polls every 3 minutes of mock time against a mock with faults (default 1,000,
# about 50 hours), then every order compared with one clean fetch. The test suite runs 300.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/juchu/target}"
start=$(date +%s)
JUCHU_POLL_CYCLES="${CYCLES:-1000}" cargo test --release --test it -- --exact orders::many_polling_cycles_with_faults_store_every_order_once_with_its_latest_content
echo "soak: ${CYCLES:-1000} polls in $(( $(date +%s) - start )) s"
