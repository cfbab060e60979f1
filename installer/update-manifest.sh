# Writes the update manifest of a release and signs it and its packages with minisign
# (sourced by installer/build.sh when COMPTOIR_MINISIGN_KEY is set). The app reads it
# (app/src/update/manifest.rs says its format); publish the folder's manifest.json, its
# packages and every .minisig at the address built into the app (COMPTOIR_UPDATE_URL).
# shellcheck shell=bash

# The packages that update themselves, by the manifest's platform name.
update_packages() {
  local version="$1"
  printf '%s\t%s\n' \
    linux-x86_64-portable "comptoir-$version-x86_64-linux.tar.gz" \
    windows-x86_64-nsis "comptoir-$version-setup.exe"
}

# minisign_sign FILE: FILE.minisig beside it, with the key COMPTOIR_MINISIGN_KEY (its
# password, if it has one, from COMPTOIR_MINISIGN_PASSWORD_FILE).
minisign_sign() {
  local file="$1"
  if [[ -n "${COMPTOIR_MINISIGN_PASSWORD_FILE:-}" ]]; then
    minisign -S -s "$COMPTOIR_MINISIGN_KEY" -m "$file" -t "comptoir $(basename "$file")" <"$COMPTOIR_MINISIGN_PASSWORD_FILE" >/dev/null
  else
    minisign -S -s "$COMPTOIR_MINISIGN_KEY" -m "$file" -t "comptoir $(basename "$file")" </dev/null >/dev/null
  fi
}

# How many days a manifest holds after it is signed (COMPTOIR_MANIFEST_DAYS, 45 by
# default; the app accepts at most 93): sign it again before then, with
# installer/resign-manifest.sh (monthly leaves two weeks to spare), or the apps refuse it
# as an old manifest kept served (update_expired).
manifest_days() {
  local days="${COMPTOIR_MANIFEST_DAYS:-45}"
  if [[ ! "$days" =~ ^[0-9]{1,3}$ ]] || ((10#$days < 1 || 10#$days > 93)); then
    echo "COMPTOIR_MANIFEST_DAYS must be a number of days from 1 to 93, not '$days'" >&2
    return 1
  fi
  echo "$((10#$days))"
}

# write_update_manifest OUT VERSION: signs the packages of VERSION found in OUT, writes
# OUT/manifest.json listing them (size, SHA-256), signed today and holding
# manifest_days days, and signs it. Notes from COMPTOIR_RELEASE_NOTES (a file), when
# set. Prints the manifest's path.
write_update_manifest() {
  local out="$1" version="$2" platform file entries=()
  while IFS=$'\t' read -r platform file; do
    if [[ -f "$out/$file" ]]; then
      minisign_sign "$out/$file" || return 1
      entries+=("$platform" "$file" "$(stat -c %s "$out/$file")" "$(sha256sum "$out/$file" | cut -d' ' -f1)")
    fi
  done < <(update_packages "$version")
  local notes=""
  if [[ -n "${COMPTOIR_RELEASE_NOTES:-}" ]]; then
    notes="$(cat "$COMPTOIR_RELEASE_NOTES")"
  fi
  local days
  days="$(manifest_days)" || return 1
  python3 - "$out/manifest.json" "$version" "$days" "$notes" "${entries[@]}" <<'PY'
import datetime, json, sys
path, version, days, notes, *rest = sys.argv[1:]
today = datetime.datetime.now(datetime.timezone.utc).date()
expires = today + datetime.timedelta(days=int(days))
packages = {rest[i]: {"file": rest[i + 1], "size": int(rest[i + 2]), "sha256": rest[i + 3]} for i in range(0, len(rest), 4)}
manifest = {"format": 1, "product": "comptoir", "version": version, "date": today.isoformat(),
            "signed": today.isoformat(), "expires": expires.isoformat(), "notes": notes, "packages": packages}
with open(path, "w", encoding="utf-8") as f:
    json.dump(manifest, f, ensure_ascii=False, indent=2)
    f.write("\n")
PY
  minisign_sign "$out/manifest.json" || return 1
  echo "$out/manifest.json"
}

# resign_update_manifest MANIFEST PUBLIC_KEY: the same release, signed again today and
# holding manifest_days days more (its version, date, notes and packages unchanged). The
# manifest must verify with PUBLIC_KEY first: a copy changed on the way is never signed
# again. The new manifest and its signature are written beside, then put in place.
resign_update_manifest() {
  local manifest="$1" public="$2" days
  days="$(manifest_days)" || return 1
  minisign -Vq -p "$public" -m "$manifest" || {
    echo "$manifest does not verify with $public: it is not signed again" >&2
    return 1
  }
  python3 - "$manifest" "$days" <<'PY' || return 1
import datetime, json, sys
path, days = sys.argv[1:]
with open(path, encoding="utf-8") as f:
    manifest = json.load(f)
if manifest.get("format") != 1 or manifest.get("product") != "comptoir":
    sys.exit(f"{path} is not a Comptoir update manifest (format 1)")
today = datetime.datetime.now(datetime.timezone.utc).date()
manifest["signed"] = today.isoformat()
manifest["expires"] = (today + datetime.timedelta(days=int(days))).isoformat()
with open(path + ".new", "w", encoding="utf-8") as f:
    json.dump(manifest, f, ensure_ascii=False, indent=2)
    f.write("\n")
PY
  local password=/dev/null
  if [[ -n "${COMPTOIR_MINISIGN_PASSWORD_FILE:-}" ]]; then
    password="$COMPTOIR_MINISIGN_PASSWORD_FILE"
  fi
  minisign -S -s "$COMPTOIR_MINISIGN_KEY" -m "$manifest.new" -x "$manifest.minisig.new" \
    -t "comptoir $(basename "$manifest")" <"$password" >/dev/null || {
    rm -f "$manifest.new" "$manifest.minisig.new"
    return 1
  }
  mv "$manifest.new" "$manifest"
  mv "$manifest.minisig.new" "$manifest.minisig"
}
