# Writes Comptoir's Windows installers (sourced by installer/build.sh): comptoir.exe
# cross-compiled for x86_64-pc-windows-gnu with Debian's MinGW-w64 and stripped, an NSIS
# installer (comptoir.nsi) and an MSI (comptoir.wxs, with wixl).
# The cross build takes about 27 min on a busy two-core machine: not part of the CI test.
# shellcheck shell=bash disable=SC2154 # root, work, profile and build are set by installer/build.sh

# Debian packages the Windows installers need on the building machine.
# shellcheck disable=SC2034 # read by installer/build.sh
WINDOWS_TOOLS=(gcc-mingw-w64-x86-64 nsis wixl osslsigncode)
WINDOWS_TARGET=x86_64-pc-windows-gnu

# Adds the Rust target when the toolchain lacks it.
install_windows_target() {
  if ! (cd "$root" && rustup target list --installed) | grep -qx "$WINDOWS_TARGET"; then
    (cd "$root" && rustup target add "$WINDOWS_TARGET") >&2
  fi
}

# Signs FILE in place with Authenticode when COMPTOIR_AUTHENTICODE_PKCS12 names a PKCS#12
# file (its password in the file COMPTOIR_AUTHENTICODE_PASSWORD_FILE, when it has one);
# COMPTOIR_AUTHENTICODE_TIMESTAMP is a timestamping server's address.
authenticode_sign() {
  local file="$1"
  if [[ -z "${COMPTOIR_AUTHENTICODE_PKCS12:-}" ]]; then
    return 0
  fi
  local options=(-pkcs12 "$COMPTOIR_AUTHENTICODE_PKCS12" -n Comptoir -h sha256)
  if [[ -n "${COMPTOIR_AUTHENTICODE_PASSWORD_FILE:-}" ]]; then
    options+=(-readpass "$COMPTOIR_AUTHENTICODE_PASSWORD_FILE")
  fi
  if [[ -n "${COMPTOIR_AUTHENTICODE_TIMESTAMP:-}" ]]; then
    options+=(-ts "$COMPTOIR_AUTHENTICODE_TIMESTAMP")
  fi
  osslsigncode sign "${options[@]}" -in "$file" -out "$file.signed" >&2
  mv "$file.signed" "$file"
}

# build_windows VERSION OUT: writes the setup .exe and the .msi into OUT, prints their paths.
build_windows() {
  local version="$1" out="$2"
  local stage="$work/windows"
  install_windows_target
  local cargo_profile=(--release)
  if [[ "$profile" == debug ]]; then
    cargo_profile=()
  fi
  if ((build)); then
    echo "== cargo build -p comptoir --target $WINDOWS_TARGET ($profile)" >&2
    (cd "$root" && cargo build --locked -p comptoir --target "$WINDOWS_TARGET" "${cargo_profile[@]}")
  fi
  rm -rf "$stage"
  mkdir -p "$stage"
  x86_64-w64-mingw32-strip -o "$stage/comptoir.exe" "$CARGO_TARGET_DIR/$WINDOWS_TARGET/$profile/comptoir.exe"
  cp "$root/resources/icons/comptoir.ico" "$stage/comptoir.ico"
  authenticode_sign "$stage/comptoir.exe"

  local setup="$out/comptoir-$version-setup.exe" msi="$out/comptoir-$version-x64.msi"
  makensis -V2 -DVERSION="$version" -DSTAGE="$stage" -DOUTFILE="$setup" "$root/installer/windows/comptoir.nsi" >&2
  # wixl reads the files named in the .wxs from its working directory.
  (cd "$stage" && wixl -a x64 -D Version="$version" -o "$msi" "$root/installer/windows/comptoir.wxs") >&2
  authenticode_sign "$setup"
  authenticode_sign "$msi"
  echo "$setup"
  echo "$msi"
}
