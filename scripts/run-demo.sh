#!/usr/bin/env bash
# Builds and starts Comptoir. Usage: scripts/run-demo.sh [extra arguments for the app]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
install_system_packages
exec cargo run --release --locked -p comptoir -- "$@"
