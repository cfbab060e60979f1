#!/usr/bin/env bash
# Installs Comptoir for the current user, from the portable archive it comes in:
#   ~/.local/bin/comptoir, its menu entry in ~/.local/share/applications and its icons in
#   ~/.local/share/icons (XDG_DATA_HOME when set). No root, no system files.
#
# Usage: ./install.sh              install (or replace) this version
#        ./install.sh --uninstall  remove what install.sh installed; the app's data
#                                  (~/.local/share/comptoir) stays
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bin_dir="$HOME/.local/bin"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
applications="$data_home/applications"
icon_theme="$data_home/icons/hicolor"
sizes=(16 32 48 64 128 256)

# Refreshes the desktop's caches when their tools exist; a missing tool is no failure.
refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$applications" || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [[ -f "$icon_theme/index.theme" ]]; then
    gtk-update-icon-cache -q -t "$icon_theme" || true
  fi
}

install_files() {
  install -D -m 755 "$here/comptoir" "$bin_dir/comptoir"
  local size
  for size in "${sizes[@]}"; do
    install -D -m 644 "$here/icons/comptoir-$size.png" "$icon_theme/${size}x${size}/apps/comptoir.png"
  done
  install -D -m 644 "$here/icons/comptoir.svg" "$icon_theme/scalable/apps/comptoir.svg"
  # The menu entry names the binary by its full path, quoted (a home may have spaces):
  # ~/.local/bin is not on every PATH.
  mkdir -p "$applications"
  local exec_line="Exec=\"$bin_dir/comptoir\""
  awk -v exec_line="$exec_line" '/^Exec=/ { print exec_line; next } { print }' \
    "$here/comptoir.desktop" >"$applications/comptoir.desktop"
  chmod 644 "$applications/comptoir.desktop"
  refresh_caches
  echo "Comptoir is installed: $bin_dir/comptoir, and in the applications menu."
  case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "Add $bin_dir to your PATH to start it as \`comptoir\` from a terminal." ;;
  esac
}

uninstall_files() {
  rm -f "$bin_dir/comptoir" "$applications/comptoir.desktop" "$icon_theme/scalable/apps/comptoir.svg"
  local size
  for size in "${sizes[@]}"; do
    rm -f "$icon_theme/${size}x${size}/apps/comptoir.png"
  done
  refresh_caches
  echo "Comptoir is removed. Its data stays in $data_home/comptoir: delete that folder to remove it too."
}

case "${1:-}" in
  "") install_files ;;
  --uninstall) uninstall_files ;;
  *)
    echo "usage: $0 [--uninstall]" >&2
    exit 2
    ;;
esac
