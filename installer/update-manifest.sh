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

# write_update_manifest OUT VERSION: signs the packages of VERSION found in OUT, writes
# OUT/manifest.json listing them (size, SHA-256) and signs it. Notes from
# COMPTOIR_RELEASE_NOTES (a file), when set. Prints the manifest's path.
write_update_manifest() {
  local out="$1" version="$2" platform file entries=()
  while IFS=$'\t' read -r platform file; do
    if [[ -f "$out/$file" ]]; then
      minisign_sign "$out/$file"
      entries+=("$platform" "$file" "$(stat -c %s "$out/$file")" "$(sha256sum "$out/$file" | cut -d' ' -f1)")
    fi
  done < <(update_packages "$version")
  local notes=""
  if [[ -n "${COMPTOIR_RELEASE_NOTES:-}" ]]; then
    notes="$(cat "$COMPTOIR_RELEASE_NOTES")"
  fi
  python3 - "$out/manifest.json" "$version" "$(date -u +%Y-%m-%d)" "$notes" "${entries[@]}" <<'PY'
import json, sys
path, version, date, notes, *rest = sys.argv[1:]
packages = {rest[i]: {"file": rest[i + 1], "size": int(rest[i + 2]), "sha256": rest[i + 3]} for i in range(0, len(rest), 4)}
manifest = {"format": 1, "product": "comptoir", "version": version, "date": date, "notes": notes, "packages": packages}
with open(path, "w", encoding="utf-8") as f:
    json.dump(manifest, f, ensure_ascii=False, indent=2)
    f.write("\n")
PY
  minisign_sign "$out/manifest.json"
  echo "$out/manifest.json"
}
