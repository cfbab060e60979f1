#!/usr/bin/env bash
# Builds and starts Comptoir on its embedded demo (a sync server inside the app, with the
# demo account): the wizard walks through sign-in, company choice and first download.
# Usage: scripts/run-demo.sh [extra arguments for the app]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
install_system_packages
exec cargo run --release --locked -p comptoir -- --demo "$@"
