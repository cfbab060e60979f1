#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Comptoir needs to build, test and run, when missing.
# Sourced by run-demo.sh, test.sh and installer/build.sh; safe to run again (installs nothing twice).
#
# On other systems install the equivalents by hand (see README.md), or set
# COMPTOIR_SKIP_SYSTEM_PACKAGES=1 to skip this step.
set -euo pipefail

COMPTOIR_PACKAGES=(
  build-essential pkg-config   # C parts of crates (bundled SQLite)
  libgtk-3-dev                 # tray-icon → muda → gtk3 (build time)
  libayatana-appindicator3-1   # tray icon (run time)
  libxkbcommon-x11-0 libegl1 libgl1-mesa-dri mesa-vulkan-drivers  # window and software rendering
  xvfb xauth                   # a display for smoke runs on headless machines
  python3 python3-venv         # the e-invoice rules run in Saxon from Python (einvoice-venv.sh)
  poppler-utils                # pdftotext, pdffonts, pdftoppm: the PDF tests read what they render
  qpdf                         # qpdf --check / --json: the Factur-X tests read the PDF/A structure
  time                         # GNU time: the PDF batch benchmark reads the command's peak memory
  minisign                     # signs update manifests and packages (the updater tests, installer/build.sh)
  postgresql                   # initdb/postgres: the tests start their own PostgreSQL (tests/src/postgres.rs)
)

# Installs the missing ones among COMPTOIR_PACKAGES.
install_system_packages() {
  install_packages "${COMPTOIR_PACKAGES[@]}"
}

# Installs the missing ones among the given Debian packages.
install_packages() {
  local wanted=("$@")
  if [[ "${COMPTOIR_SKIP_SYSTEM_PACKAGES:-0}" == 1 ]]; then
    return 0
  fi
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "Not a Debian/Ubuntu system: install the packages listed in README.md yourself." >&2
    return 0
  fi
  local missing=()
  for package in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  echo "Installing system packages: ${missing[*]}" >&2
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# One build directory per machine, shared by every checkout: CI's fresh clones and a
# developer's worktrees then rebuild only what changed.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/comptoir/target}"
