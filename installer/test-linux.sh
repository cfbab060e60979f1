#!/usr/bin/env bash
# Tests the Linux packages as a user gets them: builds them from the debug binary
# (installer/build.sh --profile debug: it tests the packaging, not the optimiser), signed
# with a throwaway GnuPG key, then
#   .deb     lintian, `apt-get install ./….deb`, `comptoir --version`, the installed app
#            started under Xvfb on its demo and its window checked drawn (a screenshot
#            with many colours), `apt-get remove --purge`, nothing of it left in /usr
#   .rpm     `rpm -qlp`, its signature (`rpm -K`), rpmlint
#   .tar.gz  install.sh into a temporary HOME, the installed binary runs, --uninstall
#            removes it all and keeps the app's data
#   updates  the manifest build.sh signs with a throwaway minisign key verifies, and the
#            installed portable app reads it from a local HTTP server (`comptoir update
#            --check`); the update itself is tested by tests/tests/update.rs
#   macOS    (built on a Mac only) shellcheck on the packaging scripts, build-macos.sh
#            among them; the Info.plist it writes parses, with Cargo's version, and the
#            icon set and localisations it names are there (installer/macos/check_bundle.py)
# Prints PASS or FAIL per check; exits 1 when any failed. Needs root or sudo (apt-get).
# Called by scripts/test.sh. Usage: installer/test-linux.sh [--no-build]
#   --no-build  package the debug binary already built (scripts/test.sh's tests built it)
set -euo pipefail

for argument in "$@"; do
  if [[ "$argument" != --no-build ]]; then
    echo "usage: $0 [--no-build]" >&2
    exit 2
  fi
done
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/system-packages.sh
source "$root/scripts/system-packages.sh"
install_packages lintian rpmlint rpm gnupg xvfb xauth imagemagick desktop-file-utils minisign shellcheck python3 dpkg-dev apt-utils >&2

sudo=()
if [[ "$(id -u)" != 0 ]]; then
  sudo=(sudo)
fi

scratch="$(mktemp -d)"
cleanup() {
  GNUPGHOME="$scratch/gnupg" gpgconf --kill gpg-agent 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

# shellcheck source=installer/checks.sh
source "$root/installer/checks.sh"

# A throwaway signing key: exercises the signing hooks, and rpmlint counts an unsigned
# .rpm as an error.
export GNUPGHOME="$scratch/gnupg"
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "Comptoir test <test@comptoir.invalid>" ed25519 sign never 2>/dev/null
gpg --batch --armor --export test@comptoir.invalid >"$scratch/signing-key.asc"

# A throwaway minisign key (no password): build.sh signs the update manifest with it.
minisign -G -W -p "$scratch/minisign.pub" -s "$scratch/minisign.key" >/dev/null
version="$(cargo pkgid --manifest-path "$root/app/Cargo.toml")"
version="${version##*[#@]}"

# --- macOS: what can be checked without a Mac

packaging_scripts_lint() {
  local started=$SECONDS
  # From the root: the scripts name what they source relative to it.
  (cd "$root" && shellcheck -x installer/*.sh installer/linux/*.sh installer/windows/*.sh installer/macos/*.sh) || return 1
  echo "  shellcheck in $((SECONDS - started)) s"
}
check "shellcheck: the packaging scripts, build-macos.sh among them" packaging_scripts_lint

macos_bundle_defined() {
  "$root/installer/macos/build-macos.sh" --info-plist "$scratch/Info.plist" || return 1
  python3 "$root/installer/macos/check_bundle.py" "$scratch/Info.plist" "$version"
}
check "macOS: Info.plist parses with Cargo's version; its icon set and localisations are there" macos_bundle_defined

out="$scratch/out"
started=$SECONDS
COMPTOIR_MINISIGN_KEY="$scratch/minisign.key" COMPTOIR_GPG_KEY_ID=test@comptoir.invalid "$root/installer/build.sh" --out "$out" --profile debug "$@" >"$scratch/build.log" 2>&1 || {
  tail -30 "$scratch/build.log" >&2
  fail "installer/build.sh --profile debug"
  exit 1
}
pass "installer/build.sh --profile debug ($((SECONDS - started)) s)"
deb="$(echo "$out"/comptoir_"$version"_*.deb)"
rpm="$out/comptoir-$version-1.x86_64.rpm"
portable="$out/comptoir-$version-x86_64-linux.tar.gz"
ls -l "$out"

# --- signatures

check "detached signature of the .deb" \
  gpg --batch --quiet --verify "$deb.asc" "$deb" 2>/dev/null
check "detached signature of the .tar.gz" gpg --batch --quiet --verify "$portable.asc" "$portable" 2>/dev/null

# --- .deb

lintian_no_error() {
  lintian --tag-display-limit 0 "$deb" >"$scratch/lintian.log" 2>&1 || true
  grep -E '^[EW]:' "$scratch/lintian.log" || true
  ! grep -q '^E:' "$scratch/lintian.log"
}
check "lintian: no error" lintian_no_error

installed_packages() {
  dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' | sort
}

deb_installs() {
  if dpkg-query -W -f='${Status}' comptoir 2>/dev/null | grep -q "install ok installed"; then
    "${sudo[@]}" apt-get remove --purge -y -qq comptoir >/dev/null
  fi
  find /usr -xdev \( -type f -o -type l \) ! -name '*.cache' 2>/dev/null | sort >"$scratch/usr-before"
  installed_packages >"$scratch/packages-before"
  # Without the Recommends (the desktop portal pulls in pipewire): a CI machine needs them
  # not, and each one would be left behind.
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$deb" \
    >"$scratch/apt-install.log" 2>&1 || { tail -20 "$scratch/apt-install.log" >&2; return 1; }
  # Dependencies this machine lacked, to purge with the package.
  installed_packages | comm -13 "$scratch/packages-before" - | grep -vx comptoir >"$scratch/packages-pulled" || true
  if [[ -s "$scratch/packages-pulled" ]]; then
    echo "  pulled in: $(tr '\n' ' ' <"$scratch/packages-pulled")"
  fi
  [[ "$(command -v comptoir)" == /usr/bin/comptoir ]]
}
check "apt-get install ./$(basename "$deb")" deb_installs

installed_version() {
  local said
  said="$(/usr/bin/comptoir --version)"
  echo "  /usr/bin/comptoir --version: $said"
  [[ "$said" == "comptoir $version" ]]
}
check "comptoir --version prints comptoir $version" installed_version

check "the installed desktop file is valid" desktop-file-validate /usr/share/applications/comptoir.desktop

# Runs inside xvfb-run: starts the installed app on its demo, waits for its first frame,
# lets it draw, saves the screen, stops the app.
window_check() {
  local data="$1" shot="$2" log="$3"
  /usr/bin/comptoir --demo --data "$data" >"$log" 2>&1 &
  local app=$!
  local waited=0
  until grep -q "first frame since launch" "$log" || ((waited >= 120)); do
    if ! kill -0 "$app" 2>/dev/null; then
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  sleep 3
  import -window root "$shot"
  kill "$app"
  wait "$app" || true
}

# draw_window NAME [VAR=VALUE...]: runs window_check under Xvfb with those variables
# set, its screenshot in $scratch/NAME.png and the app's output in $scratch/NAME.log;
# succeeds when the screenshot shows a drawn window.
draw_window() {
  local name="$1"
  shift
  local runtime="$scratch/runtime-$name"
  mkdir -m 0700 "$runtime"
  env -u WAYLAND_DISPLAY XDG_RUNTIME_DIR="$runtime" XDG_STATE_HOME="$scratch/state" "$@" timeout 300 \
    xvfb-run -a -s "-screen 0 1280x800x24" \
    bash -c "$(declare -f window_check); "'window_check "$@"' _ "$scratch/data" "$scratch/$name.png" "$scratch/$name.log" || true
  if [[ ! -s "$scratch/$name.png" ]]; then
    echo "  no screenshot; the app's log:" >&2
    tail -20 "$scratch/$name.log" >&2
    return 1
  fi
  local colours
  colours="$(identify -format '%k' "$scratch/$name.png")"
  echo "  screenshot: $colours distinct colours"
  # A blank or black screen has one; the wizard has text, buttons and shading.
  ((colours > 50))
}
window_drawn() {
  draw_window window
}
check "the installed app draws its window under Xvfb (demo)" window_drawn
# The window's log, in the platform's log folder ($XDG_STATE_HOME/comptoir/logs).
log_kept() {
  grep -q "first frame since launch" "$scratch/state/comptoir/logs/comptoir.log"
}
check "the window keeps its log in the platform's log folder" log_kept
if [[ -n "${COMPTOIR_KEEP_SCREENSHOT:-}" && -s "$scratch/window.png" ]]; then
  cp "$scratch/window.png" "$COMPTOIR_KEEP_SCREENSHOT"
fi
# The app draws with Vulkan alone when it finds a Vulkan adapter (OpenGL's driver is not
# loaded for nothing). Told to draw with Vulkan where the Vulkan loader finds no driver,
# it cannot open the window so, and opens it again with OpenGL too.
window_falls_back_to_opengl() {
  draw_window opengl WGPU_BACKEND=vulkan VK_DRIVER_FILES=/nonexistent.json VK_ICD_FILENAMES=/nonexistent.json &&
    grep -q "trying again with OpenGL too" "$scratch/opengl.log"
}
check "without a working Vulkan driver, the window opens again with OpenGL" window_falls_back_to_opengl

# The signed apt repository build.sh wrote: apt refuses it altered, and installs the
# package from it (the dependencies the .deb pulled in are still there; only this
# repository is read, so no network is needed).
apt_repository() {
  local served list="$scratch/comptoir.list" status=0
  # Where apt's unprivileged downloader can read it, as from a web server.
  served="$(mktemp -d)"
  chmod 755 "$served"
  cp -r "$out/apt" "$served/good"
  cp -r "$out/apt" "$served/altered"
  sed -i 's/^Label: Comptoir$/Label: Altered/' "$served/altered/InRelease"
  local apt=(-o Dir::Etc::SourceList="$list" -o Dir::Etc::SourceParts=/dev/null
    -o APT::Get::List-Cleanup=0 -o APT::Update::Error-Mode=any)
  echo "deb [signed-by=$served/altered/comptoir-archive-keyring.gpg] file:$served/altered ./" >"$list"
  if "${sudo[@]}" apt-get "${apt[@]}" update >"$scratch/apt-altered.log" 2>&1; then
    echo "  apt read the altered repository" >&2
    status=1
  elif ! grep -q "BADSIG" "$scratch/apt-altered.log"; then
    tail -5 "$scratch/apt-altered.log" >&2
    status=1
  fi
  echo "deb [signed-by=$served/good/comptoir-archive-keyring.gpg] file:$served/good ./" >"$list"
  if ((status == 0)) && ! {
    "${sudo[@]}" dpkg --remove comptoir >/dev/null &&
      "${sudo[@]}" apt-get "${apt[@]}" update >"$scratch/apt-repo.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${apt[@]}" install -y -qq --no-install-recommends comptoir \
        >>"$scratch/apt-repo.log" 2>&1
  }; then
    tail -10 "$scratch/apt-repo.log" >&2
    status=1
  fi
  if ((status == 0)) && [[ "$(/usr/bin/comptoir --version)" != "comptoir $version" ]]; then
    status=1
  fi
  "${sudo[@]}" rm -f /var/lib/apt/lists/*"$(tr / _ <<<"${served#/}")"*
  rm -rf "$served"
  return "$status"
}
check "apt repository: signed (an altered one is refused), comptoir installs from it" apt_repository

deb_purged() {
  local pulled=()
  if [[ -s "$scratch/packages-pulled" ]]; then
    mapfile -t pulled <"$scratch/packages-pulled"
  fi
  "${sudo[@]}" apt-get remove --purge -y -qq comptoir "${pulled[@]}" >/dev/null 2>&1 || return 1
  if dpkg-query -W -f='${Status}' comptoir 2>/dev/null | grep -q "installed"; then
    echo "  dpkg still knows comptoir" >&2
    return 1
  fi
  find /usr -xdev \( -type f -o -type l \) ! -name '*.cache' 2>/dev/null | sort >"$scratch/usr-after"
  local left
  left="$(comm -13 "$scratch/usr-before" "$scratch/usr-after")"
  if [[ -n "$left" ]]; then
    echo "  left in /usr after the purge:" >&2
    echo "$left" >&2
    return 1
  fi
  local file
  while IFS= read -r file; do
    if [[ -e "/$file" && ! -d "/$file" ]]; then
      echo "  /$file is still there" >&2
      return 1
    fi
  done < <(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./||')
}
check "apt-get remove --purge leaves nothing in /usr" deb_purged

# --- .rpm

rpm_lists() {
  rpm -qlp --nosignature "$rpm" >"$scratch/rpm-files"
  local wanted
  for wanted in /usr/bin/comptoir /usr/share/applications/comptoir.desktop \
    /usr/share/icons/hicolor/256x256/apps/comptoir.png /usr/share/icons/hicolor/scalable/apps/comptoir.svg \
    /usr/share/man/man1/comptoir.1.gz /usr/share/licenses/comptoir/copyright; do
    grep -qx "$wanted" "$scratch/rpm-files" || { echo "  $wanted missing from the .rpm" >&2; return 1; }
  done
}
check "rpm -qlp lists the binary, desktop file, icons, manual and licence" rpm_lists

rpm_signed() {
  local db="$scratch/rpmdb"
  mkdir -p "$db"
  rpm --dbpath "$db" --import "$scratch/signing-key.asc"
  rpm --dbpath "$db" -K "$rpm" | tee "$scratch/rpm-k.log"
  grep -q "signatures OK" "$scratch/rpm-k.log"
}
check "the .rpm's signature verifies (rpm -K)" rpm_signed

rpmlint_no_error() {
  # rpmlint checks the signature against the rpm database: the one holding the test key.
  mkdir -p "$scratch/rpmlint-home"
  echo "%_dbpath $scratch/rpmdb" >"$scratch/rpmlint-home/.rpmmacros"
  HOME="$scratch/rpmlint-home" rpmlint "$rpm" >"$scratch/rpmlint.log" 2>&1 || true
  grep -E ': [EW]: |badness' "$scratch/rpmlint.log" || true
  ! grep -q ': E: ' "$scratch/rpmlint.log"
}
check "rpmlint: no error" rpmlint_no_error

# --- portable .tar.gz

home="$scratch/home"
unpacked="$scratch/portable"
mkdir -p "$home" "$unpacked"
tar -xzf "$portable" -C "$unpacked"
install_sh="$unpacked/comptoir-$version-x86_64-linux/install.sh"
user_files=(
  .local/bin/comptoir
  .local/share/applications/comptoir.desktop
  .local/share/icons/hicolor/48x48/apps/comptoir.png
  .local/share/icons/hicolor/256x256/apps/comptoir.png
  .local/share/icons/hicolor/scalable/apps/comptoir.svg
)

portable_installs() {
  env -u XDG_DATA_HOME HOME="$home" "$install_sh" >"$scratch/install.log" || return 1
  local file
  for file in "${user_files[@]}"; do
    [[ -f "$home/$file" ]] || { echo "  ~/$file was not installed" >&2; return 1; }
  done
  grep -qxF "Exec=\"$home/.local/bin/comptoir\"" "$home/.local/share/applications/comptoir.desktop" || return 1
  desktop-file-validate "$home/.local/share/applications/comptoir.desktop" || return 1
  [[ "$("$home/.local/bin/comptoir" --version)" == "comptoir $version" ]]
}
check "tar.gz: install.sh installs into ~/.local and the binary runs" portable_installs

manifest_signed() {
  minisign -Vq -p "$scratch/minisign.pub" -m "$out/manifest.json" || return 1
  minisign -Vq -p "$scratch/minisign.pub" -m "$portable" || return 1
  python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); sys.exit(m["version"] != sys.argv[2] or m["packages"]["linux-x86_64-portable"]["file"] != sys.argv[3])' \
    "$out/manifest.json" "$version" "$(basename "$portable")"
}
check "updates: build.sh signs manifest.json and the portable archive (minisign)" manifest_signed

portable_reads_manifest() {
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$out" >"$scratch/http.log" 2>&1 &
  local server=$! port="" tries
  for tries in $(seq 50); do
    port="$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$scratch/http.log")"
    [[ -n "$port" || $tries == 50 ]] && break
    sleep 0.1
  done
  local said=0
  env -u XDG_DATA_HOME HOME="$home" COMPTOIR_UPDATE_URL="http://127.0.0.1:$port/manifest.json" \
    COMPTOIR_UPDATE_KEY="$(cat "$scratch/minisign.pub")" \
    "$home/.local/bin/comptoir" update --check >"$scratch/update.log" 2>&1 || said=1
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  cat "$scratch/update.log" >&2
  ((said == 0)) && grep -q "Comptoir $version is up to date" "$scratch/update.log"
}
check "updates: the installed portable app verifies and reads that manifest over HTTP" portable_reads_manifest

manifest_resigned() {
  # As if a month had passed: the manifest signed again holds 60 days from today, and
  # still verifies; the release in it is unchanged.
  cp "$out/manifest.json" "$scratch/manifest.before.json"
  COMPTOIR_MINISIGN_KEY="$scratch/minisign.key" COMPTOIR_MANIFEST_DAYS=60 "$root/installer/resign-manifest.sh" "$out/manifest.json" "$scratch/minisign.pub" >&2 || return 1
  minisign -Vq -p "$scratch/minisign.pub" -m "$out/manifest.json" || return 1
  python3 - "$scratch/manifest.before.json" "$out/manifest.json" <<'PY' || return 1
import datetime, json, sys
before, after = (json.load(open(p)) for p in sys.argv[1:])
today = datetime.datetime.now(datetime.timezone.utc).date()
assert after["signed"] == today.isoformat(), after
assert after["expires"] == (today + datetime.timedelta(days=60)).isoformat(), after
assert {k: v for k, v in after.items() if k not in ("signed", "expires")} == {k: v for k, v in before.items() if k not in ("signed", "expires")}
PY
  # More than the app accepts: refused, the manifest left as it was.
  cp "$out/manifest.json" "$scratch/manifest.60.json"
  if COMPTOIR_MINISIGN_KEY="$scratch/minisign.key" COMPTOIR_MANIFEST_DAYS=94 "$root/installer/resign-manifest.sh" "$out/manifest.json" "$scratch/minisign.pub" 2>/dev/null; then
    return 1
  fi
  cmp -s "$out/manifest.json" "$scratch/manifest.60.json" || return 1
  # A manifest changed after it was signed is not signed again.
  sed 's/"notes": "/"notes": "changed /' "$out/manifest.json" >"$scratch/changed.json"
  cp "$out/manifest.json.minisig" "$scratch/changed.json.minisig"
  if COMPTOIR_MINISIGN_KEY="$scratch/minisign.key" "$root/installer/resign-manifest.sh" "$scratch/changed.json" "$scratch/minisign.pub" 2>/dev/null; then
    return 1
  fi
  cmp -s "$out/manifest.json.minisig" "$scratch/changed.json.minisig" && portable_reads_manifest
}
check "updates: resign-manifest.sh signs the manifest again for longer (never a changed one), and the app still reads it" manifest_resigned

portable_uninstalls() {
  mkdir -p "$home/.local/share/comptoir"
  echo kept >"$home/.local/share/comptoir/books.sqlite"
  env -u XDG_DATA_HOME HOME="$home" "$install_sh" --uninstall >>"$scratch/install.log" || return 1
  local file
  for file in "${user_files[@]}"; do
    [[ ! -e "$home/$file" ]] || { echo "  ~/$file is still there" >&2; return 1; }
  done
  if find "$home" -name 'comptoir*' ! -path "$home/.local/share/comptoir*" | grep .; then
    echo "  files above are left" >&2
    return 1
  fi
  [[ "$(cat "$home/.local/share/comptoir/books.sqlite")" == kept ]]
}
check "tar.gz: install.sh --uninstall removes it all and keeps the data" portable_uninstalls

finish "Linux packaging"
