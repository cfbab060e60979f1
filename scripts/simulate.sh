#!/usr/bin/env bash
# Runs the seeded sync simulation (tests/tests/simulation.rs) on N more seeds (default
# 10000), in release, after its regression seeds and the suite's own seeds. The first
# seed is random unless COMPTOIR_SIM_START is set; it is printed, so that a run can be
# repeated. A failing seed prints its steps and is appended to
# tests/tests/simulation_seeds.txt, where every later run replays it first.
#
#   scripts/simulate.sh            # 10,000 seeds
#   scripts/simulate.sh 500        # 500 seeds
#   COMPTOIR_SIM_START=1000 scripts/simulate.sh 200
set -euo pipefail
cd "$(dirname "$0")/.."

seeds="${1:-10000}"
start="${COMPTOIR_SIM_START:-$(( ($(date +%s%N) / 1000) % 100000000000000 ))}"
echo "== simulation: ${seeds} seeds from ${start} (release)"
cargo test --locked --release -p comptoir-tests --test simulation --no-run
began=$(date +%s)
set +e
COMPTOIR_SIM_SEEDS="$seeds" COMPTOIR_SIM_START="$start" \
    cargo test --locked --release -p comptoir-tests --test simulation -- --nocapture 2>&1 \
    | grep -v -E '^[0-9]+ commits, '
status=${PIPESTATUS[0]}
set -e
echo "== ${seeds} seeds from ${start}: $(( $(date +%s) - began )) s, $([ "$status" = 0 ] && echo passed || echo FAILED)"
exit "$status"
