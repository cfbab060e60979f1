#!/usr/bin/env bash
# Tests the Windows installers under Wine: builds them (installer/build.sh --target
# windows: a cross build of about 27 min when cold, so this script is not part of
# scripts/test.sh), then in a fresh Wine prefix
#   NSIS  `setup.exe /S` installs for the current user, the installed
#         `comptoir.exe --version` runs and draws its window on its demo under Xvfb, the
#         Start-menu and desktop shortcuts exist; the window logs to
#         %LOCALAPPDATA%\Comptoir\logs and, without --data, keeps its files in
#         %APPDATA%\Comptoir;
#         `uninstall.exe /S` removes the program and its shortcuts and keeps the user's
#         data; `uninstall.exe /S /PURGE` removes the data too; `/AllUsers` installs into
#         Program Files and uninstalls;
#         the installed app updates itself: `comptoir.exe update --yes` finds a newer
#         setup.exe in a signed manifest served on this computer, verifies it and runs it
#         silently, which replaces the installed comptoir.exe
#   MSI   `msiexec /i … /qn` installs into Program Files, `msiexec /x … /qn` removes it
# Wine 8 lacks bcryptprimitives.dll!ProcessPrng, which Rust's standard library imports:
# a test-only shim (installer/windows/wine/bcryptprimitives.c) goes beside the installed
# comptoir.exe. Prints PASS or FAIL per check; exits 1 when any failed.
# Usage: installer/test-windows.sh [--profile release|debug] [--packages DIR]
#   --packages DIR  test the installers already in DIR instead of building them
set -euo pipefail
shopt -s inherit_errexit

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/system-packages.sh
source "$root/scripts/system-packages.sh"
install_packages wine wine64 gcc-mingw-w64-x86-64 xvfb xauth imagemagick nsis minisign python3 osslsigncode openssl wixl >&2

profile=release
packages=""
while (($# > 0)); do
  case "$1" in
    --profile) profile="${2:-}"; shift 2 ;;
    --packages) packages="${2:-}"; shift 2 ;;
    *) echo "usage: $0 [--profile release|debug] [--packages DIR]" >&2; exit 2 ;;
  esac
done

scratch="$(mktemp -d)"
# Wine links the prefix's Desktop and Documents to the user's home: a home of its own
# keeps the shortcuts the installer writes out of the real one.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export HOME="$scratch/home" WINEPREFIX="$scratch/wine" WINEDEBUG=-all WINEARCH=win64
mkdir -p "$HOME/Desktop"
cleanup() {
  wineserver -k 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

# shellcheck source=installer/checks.sh
source "$root/installer/checks.sh"
# shellcheck source=installer/update-manifest.sh
source "$root/installer/update-manifest.sh"

version="$(cargo pkgid --manifest-path "$root/app/Cargo.toml")"
version="${version##*[#@]}"
if [[ -z "$packages" ]]; then
  packages="$scratch/out"
  started=$SECONDS
  "$root/installer/build.sh" --out "$packages" --target windows --profile "$profile" >"$scratch/build.log" 2>&1 || {
    tail -30 "$scratch/build.log" >&2
    fail "installer/build.sh --target windows"
    exit 1
  }
  pass "installer/build.sh --target windows --profile $profile ($((SECONDS - started)) s)"
fi
setup="$packages/comptoir-$version-setup.exe"
msi="$packages/comptoir-$version-x64.msi"
ls -l "$setup" "$msi"

x86_64-w64-mingw32-gcc -O2 -shared -o "$scratch/bcryptprimitives.dll" \
  "$root/installer/windows/wine/bcryptprimitives.c" -ladvapi32
export WINEDLLOVERRIDES="bcryptprimitives=n,b"

started=$SECONDS
wineboot --init >/dev/null 2>&1
wineserver -w
echo "  Wine prefix ready in $((SECONDS - started)) s"
appdata="$WINEPREFIX/drive_c/users/$(id -un)/AppData/Roaming"
local_appdata="$WINEPREFIX/drive_c/users/$(id -un)/AppData/Local"
start_menu="$appdata/Microsoft/Windows/Start Menu/Programs"

# Where the per-user install went: NSIS's MultiUser picks %LOCALAPPDATA%\Programs.
installed_exe() {
  find "$WINEPREFIX/drive_c" -name comptoir.exe -path '*Comptoir*' 2>/dev/null | head -1
}

nsis_installs() {
  wine "$setup" /S >/dev/null 2>&1
  wineserver -w
  local exe
  exe="$(installed_exe)"
  [[ -n "$exe" ]] || { echo "  comptoir.exe was not installed" >&2; return 1; }
  echo "  installed: ${exe#"$WINEPREFIX/"}"
  [[ -f "$start_menu/Comptoir.lnk" ]] || { echo "  no Start-menu shortcut" >&2; return 1; }
  [[ -f "$HOME/Desktop/Comptoir.lnk" ]] || { echo "  no desktop shortcut" >&2; return 1; }
}
check "NSIS: setup.exe /S installs for the current user, with its Start-menu and desktop shortcuts" nsis_installs

nsis_version() {
  local exe said
  exe="$(installed_exe)"
  [[ -n "$exe" ]] || return 1
  cp "$scratch/bcryptprimitives.dll" "$(dirname "$exe")/"
  said="$(wine "$exe" --version 2>/dev/null | tr -d '\r')"
  rm -f "$(dirname "$exe")/bcryptprimitives.dll"
  echo "  comptoir.exe --version: $said"
  [[ "$said" == "comptoir $version" ]]
}
check "NSIS: the installed comptoir.exe --version prints comptoir $version" nsis_version

# Runs inside xvfb-run: starts the installed comptoir.exe on its demo (seeding the demo
# companies takes about 3 min under Wine, before the window), waits for its first frame,
# saves the screen, stops Wine. wgpu draws through Vulkan (lavapipe) under Wine.
window_check() {
  local exe="$1" shot="$2" log="$3"
  : >"$log"
  WGPU_BACKEND=vulkan wine "$exe" --demo --data 'C:\comptoir-demo' >"$log" 2>&1 &
  local waited=0
  until grep -q "first frame since launch" "$log" || ((waited >= 420)); do
    sleep 1
    waited=$((waited + 1))
  done
  echo "  first frame after ${waited} s"
  sleep 5
  import -window root "$shot"
  wineserver -k
}

nsis_window() {
  local exe colours
  exe="$(installed_exe)"
  [[ -n "$exe" ]] || return 1
  cp "$scratch/bcryptprimitives.dll" "$(dirname "$exe")/"
  # Wine's desktop process must start on the virtual display.
  wineserver -k 2>/dev/null || true
  timeout 600 xvfb-run -a -s "-screen 0 1280x800x24" \
    bash -c "$(declare -f window_check); "'window_check "$@"' _ "$exe" "$scratch/window.png" "$scratch/app.log" || true
  rm -f "$(dirname "$exe")/bcryptprimitives.dll"
  if [[ ! -s "$scratch/window.png" ]]; then
    echo "  no screenshot; the app's log:" >&2
    tail -20 "$scratch/app.log" >&2
    return 1
  fi
  colours="$(identify -format '%k' "$scratch/window.png")"
  echo "  screenshot: $colours distinct colours"
  ((colours > 50))
}
check "NSIS: the installed comptoir.exe draws its window under Wine and Xvfb (demo)" nsis_window
if [[ -n "${COMPTOIR_KEEP_SCREENSHOT:-}" && -s "$scratch/window.png" ]]; then
  cp "$scratch/window.png" "$COMPTOIR_KEEP_SCREENSHOT"
fi

# The window's log, in the platform's log folder (the local application data).
nsis_log_kept() {
  grep -q "first frame since launch" "$local_appdata/Comptoir/logs/comptoir.log"
}
check "NSIS: the window keeps its log in %LOCALAPPDATA%\\Comptoir\\logs" nsis_log_kept

# Runs inside xvfb-run: starts the installed comptoir.exe without --data, waits for its
# first frame, stops Wine.
first_frame() {
  local exe="$1" log="$2"
  WGPU_BACKEND=vulkan wine "$exe" >"$log" 2>&1 &
  local waited=0
  until grep -q "first frame since launch" "$log" || ((waited >= 120)); do
    sleep 1
    waited=$((waited + 1))
  done
  wineserver -k
}

nsis_default_data() {
  local exe
  exe="$(installed_exe)"
  [[ -n "$exe" ]] || return 1
  cp "$scratch/bcryptprimitives.dll" "$(dirname "$exe")/"
  wineserver -k 2>/dev/null || true
  timeout 300 xvfb-run -a -s "-screen 0 1280x800x24" \
    bash -c "$(declare -f first_frame); "'first_frame "$@"' _ "$exe" "$scratch/default.log" || true
  rm -f "$(dirname "$exe")/bcryptprimitives.dll"
  [[ -f "$appdata/Comptoir/comptoir-app.sqlite" ]] || { tail -5 "$scratch/default.log" >&2; return 1; }
}
check "NSIS: without --data, comptoir.exe keeps its files in %APPDATA%\\Comptoir" nsis_default_data

# The installed app updates itself. The newer release is this comptoir.exe told apart by
# bytes appended after its end (a PE file runs with them), in a setup.exe of the next
# version built by the same NSIS script, signed with a throwaway minisign key and listed
# in a signed manifest (installer/update-manifest.sh, as build.sh publishes), served over
# HTTP on this computer. `comptoir.exe update --yes` checks it, downloads and verifies the
# setup, and starts it (/S /CurrentUser /Relaunch) as it exits.
registered_version() {
  wine reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Comptoir' /v DisplayVersion 2>/dev/null |
    tr -d '\r' | awk '/DisplayVersion/ { print $NF }'
}

nsis_self_update() {
  local exe next stage site server port="" tries said status=0 waited=0 started replaced=0
  exe="$(installed_exe)"
  [[ -n "$exe" ]] || return 1
  next="$(python3 -c 'import sys; a, b, c = sys.argv[1].split("-")[0].split("."); print("%s.%s.%d" % (a, b, int(c) + 1))' "$version")"
  stage="$scratch/next-stage"
  site="$scratch/site"
  mkdir -p "$stage" "$site"
  cp "$exe" "$stage/comptoir.exe"
  printf 'comptoir-update-test-%s' "$next" >>"$stage/comptoir.exe"
  cp "$root/resources/icons/comptoir.ico" "$stage/comptoir.ico"
  makensis -V2 -DVERSION="$next" -DSTAGE="$stage" -DOUTFILE="$site/comptoir-$next-setup.exe" \
    "$root/installer/windows/comptoir.nsi" >&2 || return 1
  minisign -G -W -p "$scratch/update.pub" -s "$scratch/update.key" >/dev/null || return 1
  COMPTOIR_MINISIGN_KEY="$scratch/update.key" write_update_manifest "$site" "$next" >/dev/null || return 1
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$site" >"$scratch/http.log" 2>&1 &
  server=$!
  for tries in $(seq 50); do
    port="$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$scratch/http.log")"
    [[ -n "$port" || $tries == 50 ]] && break
    sleep 0.1
  done
  cp "$scratch/bcryptprimitives.dll" "$(dirname "$exe")/"
  started=$SECONDS
  COMPTOIR_UPDATE_URL="http://127.0.0.1:$port/manifest.json" COMPTOIR_UPDATE_KEY="$(cat "$scratch/update.pub")" \
    wine "$exe" update --yes >"$scratch/update.log" 2>&1 || status=1
  # The installer runs on once the app has ended; its last step writes its version into
  # the registry, then it starts the app again (/Relaunch), which finds no display here.
  until [[ "$(registered_version)" == "$next" ]] || ((waited >= 180)); do
    sleep 1
    waited=$((waited + 1))
  done
  timeout 30 wineserver -w 2>/dev/null || true
  wineserver -k 2>/dev/null || true
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  # The app's output, without its progress line redrawn at each percent.
  tr '\r' '\n' <"$scratch/update.log" | grep -v '^Downloading: ' | sed 's/^/  /' >&2 || true
  if cmp -s "$exe" "$stage/comptoir.exe"; then
    replaced=1
    echo "  comptoir.exe $next in place, its installer done, $((SECONDS - started)) s after the update started"
    said="$(wine "$exe" --version 2>/dev/null | tr -d '\r')"
    # The same program, so the same version number: the bytes tell the new one.
    [[ "$said" == "comptoir $version" ]] || replaced=0
  else
    echo "  comptoir.exe was not replaced" >&2
  fi
  rm -f "$(dirname "$exe")/bcryptprimitives.dll"
  ((status == 0 && replaced == 1)) && [[ "$(registered_version)" == "$next" ]] &&
    grep -q "Comptoir $next is available" "$scratch/update.log"
}
check "NSIS: the installed app updates itself from a signed manifest (comptoir.exe update --yes)" nsis_self_update

# Runs the uninstaller in place (_?= makes it wait instead of copying itself away).
uninstall_nsis() {
  local exe dir
  exe="$(installed_exe)"
  [[ -n "$exe" ]] || { echo "  nothing to uninstall" >&2; return 1; }
  dir="$(dirname "$exe")"
  wine "$dir/uninstall.exe" /S "$@" "_?=$(winepath -w "$dir")" >/dev/null 2>&1
  wineserver -w
  rm -f "$dir/uninstall.exe"
  rmdir "$dir" 2>/dev/null || true
}

nsis_uninstall_keeps_data() {
  mkdir -p "$appdata/Comptoir"
  echo kept >"$appdata/Comptoir/books.sqlite"
  uninstall_nsis || return 1
  [[ -z "$(installed_exe)" ]] || { echo "  comptoir.exe is still there" >&2; return 1; }
  [[ ! -e "$start_menu/Comptoir.lnk" && ! -e "$HOME/Desktop/Comptoir.lnk" ]] || { echo "  a shortcut is still there" >&2; return 1; }
  [[ "$(cat "$appdata/Comptoir/books.sqlite")" == kept ]]
}
check "NSIS: uninstall.exe /S removes the program and keeps the user's data" nsis_uninstall_keeps_data

nsis_purge() {
  wine "$setup" /S >/dev/null 2>&1
  wineserver -w
  uninstall_nsis /PURGE || return 1
  [[ -z "$(installed_exe)" && ! -e "$appdata/Comptoir" ]]
}
check "NSIS: uninstall.exe /S /PURGE removes the data too" nsis_purge

nsis_all_users() {
  local dir="$WINEPREFIX/drive_c/Program Files/Comptoir"
  local menu="$WINEPREFIX/drive_c/ProgramData/Microsoft/Windows/Start Menu/Programs/Comptoir.lnk"
  wine "$setup" /S /AllUsers >/dev/null 2>&1
  wineserver -w
  [[ -f "$dir/comptoir.exe" && -f "$menu" ]] || { echo "  not installed for all users" >&2; return 1; }
  wine "$dir/uninstall.exe" /S /AllUsers "_?=$(winepath -w "$dir")" >/dev/null 2>&1
  wineserver -w
  rm -f "$dir/uninstall.exe"
  rmdir "$dir" 2>/dev/null || true
  [[ ! -e "$dir/comptoir.exe" && ! -e "$menu" ]] || { echo "  left after the uninstall" >&2; return 1; }
}
check "NSIS: setup.exe /S /AllUsers installs into Program Files for every user, and uninstalls" nsis_all_users

# Authenticode: with a certificate given (a throwaway self-signed one here), build.sh
# signs comptoir.exe, the setup and the MSI; osslsigncode verifies the setup and the MSI
# against it. Packages the comptoir.exe already built (--no-build).
authenticode_signed() {
  local signed="$scratch/signed" file status=0
  openssl req -x509 -newkey rsa:3072 -nodes -days 2 -subj "/CN=Comptoir test/O=Comptoir" \
    -addext "extendedKeyUsage=codeSigning" -keyout "$scratch/code.key" -out "$scratch/code.pem" 2>/dev/null || return 1
  printf 'un mot de passe\n' >"$scratch/code.pass"
  openssl pkcs12 -export -inkey "$scratch/code.key" -in "$scratch/code.pem" -out "$scratch/code.p12" \
    -passout "file:$scratch/code.pass" || return 1
  COMPTOIR_AUTHENTICODE_PKCS12="$scratch/code.p12" COMPTOIR_AUTHENTICODE_PASSWORD_FILE="$scratch/code.pass" \
    "$root/installer/build.sh" --out "$signed" --target windows --profile "$profile" --no-build >"$scratch/signed.log" 2>&1 || {
    tail -10 "$scratch/signed.log" >&2
    return 1
  }
  for file in "$signed/comptoir-$version-setup.exe" "$signed/comptoir-$version-x64.msi"; do
    osslsigncode verify -CAfile "$scratch/code.pem" -in "$file" >"$scratch/verify.log" 2>&1 || {
      tail -5 "$scratch/verify.log" >&2
      status=1
    }
    echo "  $(basename "$file"): $(grep -m1 -o 'Signature verification: .*' "$scratch/verify.log")"
  done
  return "$status"
}
check "Authenticode: with a certificate, build.sh signs the setup and the MSI (osslsigncode verify)" authenticode_signed

msi_installs() {
  wine msiexec /i "$(winepath -w "$msi")" /qn >/dev/null 2>&1
  wineserver -w
  [[ -f "$WINEPREFIX/drive_c/Program Files/Comptoir/comptoir.exe" ]]
}
check "MSI: msiexec /i /qn installs into Program Files" msi_installs

msi_removes() {
  wine msiexec /x "$(winepath -w "$msi")" /qn >/dev/null 2>&1
  wineserver -w
  [[ ! -e "$WINEPREFIX/drive_c/Program Files/Comptoir/comptoir.exe" ]]
}
check "MSI: msiexec /x /qn removes it" msi_removes

finish "Windows installers"
