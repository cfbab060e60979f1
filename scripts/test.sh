#!/usr/bin/env bash
# Runs everything CI runs: formatting, clippy with warnings denied, the whole test suite,
# and the Linux packages built, installed, started and removed (installer/test-linux.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
install_system_packages
# Saxon and the official e-invoice rules (einvoice_rules), aiosmtpd (mail_smtp).
source scripts/einvoice-venv.sh
einvoice_venv

# UI tests run headless: no display, and a private runtime dir for Mesa.
unset DISPLAY WAYLAND_DISPLAY
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 0700 "$XDG_RUNTIME_DIR"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings denied)"
cargo clippy --locked --workspace --all-targets -- -D warnings
echo "== cargo test"
# Libraries, binaries and test targets; benchmarks are run by hand (see README.md).
log="$(mktemp)"
set +e
cargo test --locked --workspace --lib --bins --tests 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole suite.
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "Total: %d passed, %d failed\n", passed, failed }' "$log"
rm -f "$log"
echo "== Linux packages (installer/test-linux.sh, from the debug binary the tests built)"
set +e
installer/test-linux.sh --no-build
packaging=$?
set -e
if ((status == 0)); then
  status=$packaging
fi
exit "$status"
