#!/usr/bin/env bash
# Builds Comptoir's installable packages into one folder.
#
# Usage: installer/build.sh --out DIR [--target linux|windows|macos|all] [--profile release|debug] [--no-build]
#
#   linux    comptoir_VERSION_ARCH.deb (dpkg-deb), comptoir-VERSION-1.x86_64.rpm
#            (rpmbuild) and comptoir-VERSION-x86_64-linux.tar.gz (portable, with an
#            install.sh for the user's home)
#   windows  comptoir-VERSION-setup.exe (NSIS: per user, or per machine with /AllUsers;
#            French, Dutch, English) and comptoir-VERSION-x64.msi (wixl, per machine), from
#            comptoir.exe cross-compiled for x86_64-pc-windows-gnu (MinGW-w64) and stripped
#   macos    on a Mac only: Comptoir.app and Comptoir-VERSION.dmg, by
#            installer/macos/build-macos.sh (Apple's SDK, lipo, codesign, hdiutil); `all`
#            is linux and windows, which build here
#
# It installs the Debian packages it lacks (through scripts/system-packages.sh), then
# builds the app with cargo (`--profile debug` packages the debug binary, compressed
# fast: enough to test the packaging). `--no-build` packages the binary already in the
# target folder (scripts/test.sh: the one `cargo test --workspace` built, whose features
# differ from a `cargo build -p comptoir`, which would rebuild half the workspace).
#
# Signing, when asked through the environment (never a key in the repository):
#   COMPTOIR_GPG_KEY_ID  a key of the caller's GnuPG keyring (GNUPGHOME): the .rpm is
#                        signed with it (rpmsign), a detached signature (.asc) is
#                        written beside the .deb and the .tar.gz, and DIR/apt is a signed
#                        apt repository holding the .deb (installer/linux/apt-repo.sh)
#   COMPTOIR_AUTHENTICODE_PKCS12         a PKCS#12 certificate and key: comptoir.exe, the
#   COMPTOIR_AUTHENTICODE_PASSWORD_FILE  setup .exe and the .msi are signed (osslsigncode),
#   COMPTOIR_AUTHENTICODE_TIMESTAMP      its password's file, a timestamping server
#
# Updates (app/src/update): COMPTOIR_UPDATE_URL (the manifest's https:// address) and
# COMPTOIR_UPDATE_KEY (the minisign public key, its base64 line) are built into the app
# when set. COMPTOIR_MINISIGN_KEY (a minisign secret key file; its password, if any, in
# COMPTOIR_MINISIGN_PASSWORD_FILE) signs the portable archive and the setup .exe and writes
# manifest.json (signed too) beside them: publish the folder at that address.
set -euo pipefail
# A failure inside $(…) stops the script too (bash 4.4 and later: macOS's bash 3.2 lacks it,
# and runs only the `--target macos` part, which hands over to build-macos.sh).
shopt -s inherit_errexit 2>/dev/null || [[ "$(uname -s)" == Darwin ]]

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/system-packages.sh
source "$root/scripts/system-packages.sh"
# shellcheck source=installer/linux/deb.sh
source "$root/installer/linux/deb.sh"
# shellcheck source=installer/linux/rpm.sh
source "$root/installer/linux/rpm.sh"
# shellcheck source=installer/linux/portable.sh
source "$root/installer/linux/portable.sh"
# shellcheck source=installer/linux/apt-repo.sh
source "$root/installer/linux/apt-repo.sh"
# shellcheck source=installer/windows/windows.sh
source "$root/installer/windows/windows.sh"
# shellcheck source=installer/update-manifest.sh
source "$root/installer/update-manifest.sh"

usage() {
  sed -n '3p' "$0" | sed 's/^# //' >&2
  exit 2
}

out=""
target="linux"
profile="release"
build=1
while (($# > 0)); do
  case "$1" in
    --out) out="${2:-}"; shift 2 || usage ;;
    --target) target="${2:-}"; shift 2 || usage ;;
    --profile) profile="${2:-}"; shift 2 || usage ;;
    --no-build) build=0; shift ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[[ -n "$out" ]] || usage
case "$target" in linux | windows | macos | all) ;; *) echo "unknown target: $target" >&2; usage ;; esac
case "$profile" in release | debug) ;; *) echo "unknown profile: $profile" >&2; usage ;; esac

# The macOS bundle is built on a Mac, by its own script.
if [[ "$target" == macos ]]; then
  if [[ "$(uname -s)" != Darwin ]]; then
    echo "--target macos must run on a Mac (Apple's SDK, lipo, codesign, hdiutil are needed):" >&2
    echo "run installer/build.sh --out DIR --target macos, or installer/macos/build-macos.sh, there." >&2
    exit 1
  fi
  if [[ "$profile" != release ]]; then
    echo "--target macos builds the release binary only" >&2
    exit 2
  fi
  macos=(--out "$out")
  if ((!build)); then
    macos+=(--no-build)
  fi
  exec "$root/installer/macos/build-macos.sh" "${macos[@]}"
fi

# A debug package is for tests: compressed fast rather than small.
fast_compression=0
if [[ "$profile" == debug ]]; then
  fast_compression=1
fi
out="$(realpath -m "$out")"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The app's version, from Cargo (`…#comptoir@0.1.0`, or `…#0.1.0` with older cargo).
pkgid="$(cargo pkgid --manifest-path "$root/app/Cargo.toml")"
version="${pkgid##*[#@]}"

# Builds the app for the host, returns the stripped binary's path.
build_linux_binary() {
  local cargo_profile=(--release)
  if [[ "$profile" == debug ]]; then
    cargo_profile=()
  fi
  if ((build)); then
    echo "== cargo build -p comptoir ($profile)" >&2
    (cd "$root" && cargo build --locked -p comptoir "${cargo_profile[@]}")
  elif [[ ! -x "$CARGO_TARGET_DIR/$profile/comptoir" ]]; then
    echo "--no-build: there is no $CARGO_TARGET_DIR/$profile/comptoir" >&2
    return 1
  fi
  strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$work/comptoir" "$CARGO_TARGET_DIR/$profile/comptoir"
  echo "$work/comptoir"
}

# Writes a detached ASCII signature beside FILE when COMPTOIR_GPG_KEY_ID is set.
sign_detached() {
  if [[ -n "${COMPTOIR_GPG_KEY_ID:-}" ]]; then
    gpg --batch --yes --local-user "$COMPTOIR_GPG_KEY_ID" --armor --detach-sign --output "$1.asc" "$1"
  fi
}

build_linux() {
  install_packages "${DEB_TOOLS[@]}" "${RPM_TOOLS[@]}" >&2
  local binary
  binary="$(build_linux_binary)"
  local deb rpm portable
  deb="$(build_deb "$binary" "$version" "$out" "$work")"
  rpm="$(build_rpm "$binary" "$version" "$out" "$work")"
  portable="$(build_portable "$binary" "$version" "$out" "$work")"
  local file
  sign_detached "$deb"
  sign_detached "$portable"
  for file in "$deb" "$rpm" "$portable"; do
    printf '%s\t%s\n' "$(du -h "$file" | cut -f1)" "$file"
  done
  if [[ -n "${COMPTOIR_GPG_KEY_ID:-}" ]]; then
    install_packages "${APT_REPO_TOOLS[@]}" >&2
    local repo
    repo="$(build_apt_repo "$deb" "$out")"
    printf '%s\t%s\n' "$(du -sh "$repo" | cut -f1)" "$repo/"
  fi
}

if [[ "$target" == linux || "$target" == all ]]; then
  build_linux
fi
if [[ "$target" == windows || "$target" == all ]]; then
  install_packages "${WINDOWS_TOOLS[@]}" >&2
  build_windows "$version" "$out" | while IFS= read -r file; do
    printf '%s\t%s\n' "$(du -h "$file" | cut -f1)" "$file"
  done
fi
if [[ -n "${COMPTOIR_MINISIGN_KEY:-}" ]]; then
  install_packages minisign python3 >&2
  manifest="$(write_update_manifest "$out" "$version")"
  printf '%s\t%s\n' "$(du -h "$manifest" | cut -f1)" "$manifest"
fi
