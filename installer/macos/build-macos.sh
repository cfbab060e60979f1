#!/usr/bin/env bash
# Builds Comptoir.app and Comptoir-VERSION.dmg on a Mac, signed and notarised when asked.
#
# Usage: installer/macos/build-macos.sh --out DIR [--arch universal|arm64|x86_64] [--no-build]
#        installer/macos/build-macos.sh --info-plist FILE
#
# It needs macOS with Xcode's command-line tools (cc, lipo, strip, iconutil, codesign,
# hdiutil, xcrun) and rustup, and runs with macOS's own bash 3.2. It cannot run elsewhere
# (no Apple SDK): there only `--info-plist FILE` works, which writes the bundle's
# Info.plist with the version from Cargo (installer/test-linux.sh checks that file and
# runs shellcheck on this script).
#
#   1. rustup targets aarch64-apple-darwin and x86_64-apple-darwin; `cargo build --release`
#      for each, for the macOS named by Info.plist's LSMinimumSystemVersion
#      (MACOSX_DEPLOYMENT_TARGET); `--no-build` takes the binaries already built
#   2. `lipo -create`: one universal binary (default), or one architecture (`--arch`)
#   3. Comptoir.app assembled by hand: Contents/Info.plist, Contents/MacOS/comptoir,
#      Contents/Resources/Comptoir.icns (iconutil, from Comptoir.iconset) and the
#      fr/nl/en.lproj folders (InfoPlist.strings: the texts a user reads)
#   4. signed: with COMPTOIR_MACOS_SIGN_IDENTITY (a "Developer ID Application: …" identity
#      of the keychain) `codesign --options runtime --timestamp`, the hardened runtime that
#      notarisation requires; without it an ad-hoc signature, which Gatekeeper refuses
#      once the app is downloaded to another Mac (for builds to try out)
#   5. `hdiutil create`: Comptoir-VERSION.dmg holding the app and a link to /Applications,
#      signed with the same identity
#   6. with COMPTOIR_NOTARY_PROFILE (a keychain profile saved once by `xcrun notarytool
#      store-credentials`): `xcrun notarytool submit --wait`, then `xcrun stapler staple`,
#      so that Gatekeeper opens the .dmg offline too
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

usage() {
  sed -n '4,5p' "$0" | sed 's/^# //' >&2
  exit 2
}

# The app's version, from Cargo (`…#comptoir@0.1.0`, or `…#0.1.0` with older cargo).
cargo_version() {
  local pkgid
  pkgid="$(cargo pkgid --manifest-path "$root/app/Cargo.toml")"
  echo "${pkgid##*[#@]}"
}

# write_info_plist VERSION FILE: Info.plist with the version filled in.
write_info_plist() {
  local version="$1" file="$2"
  # CFBundleShortVersionString and CFBundleVersion are three numbers for macOS.
  if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "macOS wants a version of three numbers, not $version" >&2
    return 1
  fi
  sed "s/@VERSION@/$version/g" "$here/Info.plist" >"$file"
}

# The oldest macOS the bundle runs on: Info.plist's LSMinimumSystemVersion.
minimum_macos() {
  sed -n '/<key>LSMinimumSystemVersion<\/key>/{n;s/.*<string>\(.*\)<\/string>.*/\1/p;}' "$here/Info.plist"
}

# rust_target ARCH: the Rust target of a macOS architecture.
rust_target() {
  case "$1" in
    arm64) echo aarch64-apple-darwin ;;
    x86_64) echo x86_64-apple-darwin ;;
    *) return 1 ;;
  esac
}

# build_binary ARCH THIN: builds (unless --no-build) the release binary for ARCH and
# writes it, stripped of its local symbols, to THIN.
build_binary() {
  local arch="$1" thin="$2" target
  target="$(rust_target "$arch")"
  if ((build)); then
    if ! rustup target list --installed | grep -qx "$target"; then
      rustup target add "$target"
    fi
    echo "== cargo build --release --target $target" >&2
    (cd "$root" && MACOSX_DEPLOYMENT_TARGET="$minimum" cargo build --locked --release -p comptoir --target "$target")
  fi
  local built="$target_dir/$target/release/comptoir"
  if [[ ! -x "$built" ]]; then
    echo "there is no $built" >&2
    return 1
  fi
  strip -x -o "$thin" "$built"
}

# assemble_app BINARY APP: the bundle, by hand.
assemble_app() {
  local binary="$1" app="$2"
  rm -rf "$app"
  mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
  write_info_plist "$version" "$app/Contents/Info.plist"
  printf 'APPL????' >"$app/Contents/PkgInfo"
  install -m 755 "$binary" "$app/Contents/MacOS/comptoir"
  iconutil --convert icns --output "$app/Contents/Resources/Comptoir.icns" "$here/Comptoir.iconset"
  local language
  for language in fr nl en; do
    mkdir -p "$app/Contents/Resources/$language.lproj"
    cp "$here/$language.lproj/InfoPlist.strings" "$app/Contents/Resources/$language.lproj/"
  done
}

# sign_app APP: with the identity, the hardened runtime and a secure timestamp; ad hoc
# without an identity.
sign_app() {
  if [[ -n "${COMPTOIR_MACOS_SIGN_IDENTITY:-}" ]]; then
    codesign --force --options runtime --timestamp --sign "$COMPTOIR_MACOS_SIGN_IDENTITY" "$1"
  else
    codesign --force --sign - "$1"
  fi
  codesign --verify --strict --verbose=2 "$1"
}

# sign_dmg DMG: the disk image, with the identity and a secure timestamp.
sign_dmg() {
  codesign --force --timestamp --sign "$COMPTOIR_MACOS_SIGN_IDENTITY" "$1"
  codesign --verify --verbose=2 "$1"
}

# make_dmg APP DMG: a compressed disk image with the app and a link to /Applications.
make_dmg() {
  local app="$1" dmg="$2" stage="$work/dmg"
  rm -rf "$stage"
  mkdir -p "$stage"
  cp -R "$app" "$stage/"
  ln -s /Applications "$stage/Applications"
  rm -f "$dmg"
  hdiutil create -volname Comptoir -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"
}

# notarise DMG: Apple's notary service checks the signed image; its ticket is stapled on.
notarise() {
  local dmg="$1" log="$work/notarytool.log"
  local submitted=0
  xcrun notarytool submit "$dmg" --keychain-profile "$COMPTOIR_NOTARY_PROFILE" --wait | tee "$log" || submitted=$?
  if ((submitted != 0)) || ! grep -q 'status: Accepted' "$log"; then
    echo "notarisation refused: \`xcrun notarytool log ID --keychain-profile $COMPTOIR_NOTARY_PROFILE\` says why" >&2
    return 1
  fi
  xcrun stapler staple "$dmg"
  xcrun stapler validate "$dmg"
}

out=""
arch="universal"
build=1
info_plist=""
while (($# > 0)); do
  case "$1" in
    --out) out="${2:-}"; shift 2 || usage ;;
    --arch) arch="${2:-}"; shift 2 || usage ;;
    --no-build) build=0; shift ;;
    --info-plist) info_plist="${2:-}"; shift 2 || usage ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done

version="$(cargo_version)"
if [[ -n "$info_plist" ]]; then
  write_info_plist "$version" "$info_plist"
  exit 0
fi
[[ -n "$out" ]] || usage
case "$arch" in universal | arm64 | x86_64) ;; *) echo "unknown architecture: $arch" >&2; usage ;; esac
if [[ "$(uname -s)" != Darwin ]]; then
  echo "build-macos.sh builds Comptoir.app and its .dmg on macOS only (Apple's SDK, lipo, codesign, hdiutil)." >&2
  exit 1
fi
if [[ -n "${COMPTOIR_NOTARY_PROFILE:-}" && -z "${COMPTOIR_MACOS_SIGN_IDENTITY:-}" ]]; then
  echo "notarisation (COMPTOIR_NOTARY_PROFILE) needs a Developer ID signature: set COMPTOIR_MACOS_SIGN_IDENTITY" >&2
  exit 2
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
minimum="$(minimum_macos)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

binary="$work/comptoir"
if [[ "$arch" == universal ]]; then
  build_binary arm64 "$work/comptoir-arm64"
  build_binary x86_64 "$work/comptoir-x86_64"
  lipo -create -output "$binary" "$work/comptoir-arm64" "$work/comptoir-x86_64"
else
  build_binary "$arch" "$binary"
fi
lipo -info "$binary"

app="$out/Comptoir.app"
assemble_app "$binary" "$app"
sign_app "$app"
dmg="$out/Comptoir-$version.dmg"
if [[ "$arch" != universal ]]; then
  dmg="$out/Comptoir-$version-$arch.dmg"
fi
make_dmg "$app" "$dmg"
if [[ -n "${COMPTOIR_MACOS_SIGN_IDENTITY:-}" ]]; then
  sign_dmg "$dmg"
fi
if [[ -n "${COMPTOIR_NOTARY_PROFILE:-}" ]]; then
  notarise "$dmg"
fi
du -sh "$app" "$dmg"
