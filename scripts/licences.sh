#!/usr/bin/env bash
# Writes resources/licences.txt.gz, the crates and fonts the app ships with their licence
# texts, which the « À propos de Comptoir » dialog shows (app/src/licences.rs). Run it
# after any change to Cargo.lock: the test `licences::tests::the_list_matches_cargo_lock`
# fails until the file is written again. Needs cargo and python3 (standard library only);
# the crates' sources come from cargo's registry cache (`cargo fetch` fills it).
#
#   scripts/licences.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fetch --locked --quiet
python3 scripts/licences.py
