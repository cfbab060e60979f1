#!/usr/bin/env bash
# Refreshes the pictures of docs/ from the real window: builds the app, starts it on its
# embedded demo under Xvfb (a virtual display, software rendering), and lets it walk
# itself through the wizard, the large company's invoice list and dashboard, an invoice
# written in the small company's editor, and the offline banner (`--screenshots`),
# saving a picture of its window at each stop.
# Usage: scripts/screenshots.sh [output folder, default docs/]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
install_system_packages
out="$(realpath -m "${1:-docs}")"
mkdir -p "$out"
cargo build --release --locked -p comptoir
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
unset WAYLAND_DISPLAY
export XDG_RUNTIME_DIR="$data/runtime"
mkdir -m 0700 "$XDG_RUNTIME_DIR"
# A fresh demo each time: the wizard shows from its first step.
timeout 600 xvfb-run -a -s "-screen 0 1280x800x24" \
  "$CARGO_TARGET_DIR/release/comptoir" --demo --data "$data" --screenshots "$out" 2>&1 | tee "$data/app.log" | grep -E "screenshot|first frame|ERROR" || true
for picture in wizard invoices dashboard editor offline; do
  if [[ ! -s "$out/$picture.png" ]]; then
    echo "$picture.png was not taken; the app's log:" >&2
    tail -40 "$data/app.log" >&2
    exit 1
  fi
done
echo "Pictures saved in $out: wizard.png invoices.png dashboard.png editor.png offline.png"
