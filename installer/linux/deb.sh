# Writes Comptoir's .deb with dpkg-deb (sourced by installer/build.sh).
#
# dpkg-deb and dpkg-shlibdeps come with Debian's dpkg-dev: nothing to compile, where
# `cargo install cargo-deb` costs minutes of CPU on a cold machine.
# shellcheck shell=bash disable=SC2154 # root, work and fast_compression are set by installer/build.sh

# Debian packages the Linux packaging needs on the building machine.
# shellcheck disable=SC2034 # read by installer/build.sh
DEB_TOOLS=(dpkg-dev binutils help2man desktop-file-utils)

# Libraries the app opens at run time with dlopen, which dpkg-shlibdeps cannot see:
# winit's X11 and Wayland back ends, EGL and Mesa's drivers for the window (wgpu's GL
# back end; llvmpipe when there is no GPU), fontconfig, and D-Bus (tray icon, keyring,
# file dialogs through the desktop portal).
DEB_RUNTIME_DEPENDS="libx11-6, libx11-xcb1, libxcb1, libxcursor1, libxi6, libxkbcommon0, libxkbcommon-x11-0, libwayland-client0, libwayland-egl1, libegl1, libgl1-mesa-dri, libfontconfig1, libdbus-1-3"
# Vulkan (wgpu's first choice) and the file dialogs' portal make the app better, not run.
DEB_RECOMMENDS="libvulkan1, mesa-vulkan-drivers, xdg-desktop-portal"

# Installs the app's files under PREFIX (usr/…): the binary, the desktop file, the
# icons, the manual page. Shared with the .rpm.
install_linux_tree() {
  local binary="$1" prefix="$2"
  local linux="$root/installer/linux" icons="$root/resources/icons"
  install -D -m 755 "$binary" "$prefix/bin/comptoir"
  install -D -m 644 "$linux/comptoir.desktop" "$prefix/share/applications/comptoir.desktop"
  local size
  for size in 16 32 48 64 128 256; do
    install -D -m 644 "$icons/comptoir-$size.png" "$prefix/share/icons/hicolor/${size}x${size}/apps/comptoir.png"
  done
  install -D -m 644 "$icons/comptoir.svg" "$prefix/share/icons/hicolor/scalable/apps/comptoir.svg"
  mkdir -p "$prefix/share/man/man1"
  help2man --no-info --name "offline-first invoicing for small businesses" --output "$work/comptoir.1" "$binary"
  gzip -9n <"$work/comptoir.1" >"$prefix/share/man/man1/comptoir.1.gz"
  chmod 644 "$prefix/share/man/man1/comptoir.1.gz"
}

# The machine-readable copyright file: Comptoir's licence and the embedded fonts'.
write_copyright() {
  local file="$1"
  cat >"$file" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Comptoir
Source: https://example.invalid/comptoir

Files: *
Copyright: 2026 Comptoir developers
License: MIT or Apache-2.0

Files: resources/fonts/*
EOF
  # The DejaVu fonts' own paragraph (their Copyright and License fields), without the
  # Debian packaging paragraph that follows it.
  sed -n '/^Files: \*$/,/^Files: debian/{/^Files:/d;p}' "$root/resources/fonts/DejaVu-LICENSE.txt" \
    | sed -e '${/^$/d}' >>"$file"
  cat >>"$file" <<'EOF'

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in
 all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE.

License: Apache-2.0
 On Debian systems, the complete text of the Apache License, Version 2.0, is
 in /usr/share/common-licenses/Apache-2.0.
EOF
}

# The Depends that dpkg-shlibdeps computes from the binary's linked libraries.
shlib_depends() {
  local binary="$1" scratch="$work/shlibdeps"
  # dpkg-shlibdeps reads debian/control from its working directory.
  mkdir -p "$scratch/debian"
  printf 'Source: comptoir\n\nPackage: comptoir\nArchitecture: any\n' >"$scratch/debian/control"
  (cd "$scratch" && dpkg-shlibdeps -O -e"$binary" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}

# build_deb BINARY VERSION OUT WORK: writes the .deb into OUT and prints its path.
build_deb() {
  local binary="$1" version="$2" out="$3" work="$4"
  local tree="$work/deb" changelog="$root/installer/linux/debian/changelog"
  local logged
  logged="$(dpkg-parsechangelog -l "$changelog" -S Version)"
  if [[ "$logged" != "$version" ]]; then
    echo "installer/linux/debian/changelog starts at $logged, the app is $version: add an entry" >&2
    return 1
  fi
  desktop-file-validate "$root/installer/linux/comptoir.desktop"
  rm -rf "$tree"
  install_linux_tree "$binary" "$tree/usr"
  local doc="$tree/usr/share/doc/comptoir"
  mkdir -p "$doc"
  gzip -9n <"$changelog" >"$doc/changelog.gz"
  write_copyright "$doc/copyright"
  install -D -m 644 "$root/installer/linux/debian/lintian-overrides" "$tree/usr/share/lintian/overrides/comptoir"
  chmod 644 "$doc/changelog.gz" "$doc/copyright"

  local arch depends installed_size
  arch="$(dpkg --print-architecture)"
  depends="$(shlib_depends "$tree/usr/bin/comptoir")"
  depends="${depends:+$depends, }$DEB_RUNTIME_DEPENDS"
  installed_size="$(du -sk --exclude=DEBIAN "$tree" | cut -f1)"
  mkdir -p "$tree/DEBIAN"
  cat >"$tree/DEBIAN/control" <<EOF
Package: comptoir
Version: $version
Architecture: $arch
Maintainer: Comptoir developers <dev@comptoir.invalid>
Installed-Size: $installed_size
Depends: $depends
Recommends: $DEB_RECOMMENDS
Section: misc
Priority: optional
Description: offline-first invoicing for small businesses
 Comptoir writes quotes, invoices, credit notes, delivery notes and payments
 for small businesses and freelancers in France, Belgium and Switzerland, with
 numbering without gaps and the legal mentions of each country.
 .
 Each company's books live in a local SQLite file, so the app works without a
 network; a background engine keeps that file in sync with the Comptoir sync
 server, or with another computer of the company on the local network. It
 writes e-invoices (Factur-X, UBL) and accounting exports (FEC).
EOF
  (cd "$tree" && find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
  chmod 644 "$tree/DEBIAN/control" "$tree/DEBIAN/md5sums"
  local deb="$out/comptoir_${version}_${arch}.deb"
  local compression=(-Zxz)
  if ((fast_compression)); then
    compression=(-Zgzip -z1)
  fi
  dpkg-deb --root-owner-group "${compression[@]}" --build "$tree" "$deb" >&2
  echo "$deb"
}
