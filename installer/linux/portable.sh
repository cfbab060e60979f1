# Writes Comptoir's portable archive (sourced by installer/build.sh): the binary, the
# icons, the desktop file and install.sh, which installs them into the user's home.
# shellcheck shell=bash disable=SC2154 # root, work and fast_compression are set by installer/build.sh

# build_portable BINARY VERSION OUT WORK: writes the .tar.gz into OUT and prints its path.
build_portable() {
  local binary="$1" version="$2" out="$3" work="$4"
  local name="comptoir-$version-x86_64-linux"
  local tree="$work/portable/$name" icons="$root/resources/icons"
  rm -rf "$work/portable"
  mkdir -p "$tree/icons"
  install -m 755 "$binary" "$tree/comptoir"
  install -m 755 "$root/installer/linux/install.sh" "$tree/install.sh"
  install -m 644 "$root/installer/linux/comptoir.desktop" "$tree/comptoir.desktop"
  install -m 644 "$icons/comptoir.svg" "$icons"/comptoir-*.png "$tree/icons/"
  local archive="$out/$name.tar.gz"
  local gzip=(gzip -9n)
  if ((fast_compression)); then
    gzip=(gzip -1n)
  fi
  tar --owner=0 --group=0 --numeric-owner --sort=name -C "$work/portable" -cf - "$name" | "${gzip[@]}" >"$archive"
  echo "$archive"
}
