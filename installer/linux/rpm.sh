# Writes Comptoir's .rpm with rpmbuild (sourced by installer/build.sh).
#
# rpmbuild comes with Debian's `rpm` package: nothing to compile, where
# `cargo install cargo-generate-rpm` costs 4.5 min of CPU on a cold machine; and
# cargo-generate-rpm cannot write the Packager, Group, BuildHost and %changelog tags whose
# absence rpmlint counts as errors.
# shellcheck shell=bash disable=SC2154 # root and work are set by installer/build.sh

# Debian packages the .rpm needs on the building machine.
# shellcheck disable=SC2034 # read by installer/build.sh
RPM_TOOLS=(rpm)

# The Debian changelog's entries as an RPM %changelog: "* Day Mon DD YYYY Name <mail> - V-1".
rpm_changelog() {
  local changelog="$1" line version="" changes=() stamp
  while IFS= read -r line; do
    if [[ "$line" =~ ^comptoir\ \(([^\)]+)\) ]]; then
      version="${BASH_REMATCH[1]}"
      changes=()
    elif [[ "$line" =~ ^\ \ \*\ (.*)$ ]]; then
      changes+=("- ${BASH_REMATCH[1]}")
    elif [[ "$line" =~ ^\ \ \ \ (.*)$ && ${#changes[@]} -gt 0 ]]; then
      changes[-1]+=" ${BASH_REMATCH[1]}"
    elif [[ "$line" =~ ^\ --\ (.*\>)\ \ (.*)$ ]]; then
      stamp="$(LC_ALL=C date -u -d "${BASH_REMATCH[2]}" '+%a %b %d %Y')"
      printf '* %s %s - %s-1\n' "$stamp" "${BASH_REMATCH[1]}" "$version"
      printf '%s\n' "${changes[@]}"
      echo
    fi
  done <"$changelog"
}

# build_rpm BINARY VERSION OUT WORK: writes the .rpm into OUT and prints its path.
# With COMPTOIR_GPG_KEY_ID set, the package is signed with that key of the GnuPG keyring.
build_rpm() {
  local binary="$1" version="$2" out="$3" work="$4"
  local stage="$work/rpm-stage" top="$work/rpmbuild"
  rm -rf "$stage" "$top"
  install_linux_tree "$binary" "$stage/usr"
  mkdir -p "$stage/usr/share/licenses/comptoir" "$top"
  write_copyright "$stage/usr/share/licenses/comptoir/copyright"
  chmod 644 "$stage/usr/share/licenses/comptoir/copyright"
  local spec="$work/comptoir.spec"
  cat "$root/installer/linux/comptoir.spec" >"$spec"
  rpm_changelog "$root/installer/linux/debian/changelog" >>"$spec"
  local payload="w19.zstdio"
  if ((fast_compression)); then
    payload="w1.gzdio"
  fi
  rpmbuild -bb --quiet \
    --define "_topdir $top" \
    --define "_rpmdir $top/out" \
    --define "_build_name_fmt comptoir-%{VERSION}-%{RELEASE}.%{ARCH}.rpm" \
    --define "_binary_payload $payload" \
    --define "stage $stage" \
    --define "version $version" \
    "$spec" >&2
  local rpm="$out/comptoir-$version-1.x86_64.rpm"
  mv "$top/out/comptoir-$version-1.x86_64.rpm" "$rpm"
  if [[ -n "${COMPTOIR_GPG_KEY_ID:-}" ]]; then
    # rpm's macros name gpg2, which Debian no longer ships under that name.
    rpmsign --define "_gpg_name $COMPTOIR_GPG_KEY_ID" --define "__gpg $(command -v gpg)" --addsign "$rpm" >&2 2>/dev/null
  fi
  echo "$rpm"
}
