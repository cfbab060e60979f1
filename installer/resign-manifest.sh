#!/usr/bin/env bash
# Signs a published update manifest again, so that it holds COMPTOIR_MANIFEST_DAYS more
# days (45 by default, at most 93): run it before the manifest's `expires` (monthly, from
# a scheduled job), else the apps refuse it as an old manifest kept served.
#
# Usage: COMPTOIR_MINISIGN_KEY=release.key installer/resign-manifest.sh DIR/manifest.json release.pub
#
# The manifest must verify with the public key first. Only `signed` and `expires`
# change; the release (version, date, notes, packages) is the same. Upload the manifest
# and its .minisig again (and let caches keep manifest.json a few hours at most).
set -euo pipefail
shopt -s inherit_errexit

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=installer/update-manifest.sh
source "$root/installer/update-manifest.sh"

if [[ $# -ne 2 || ! -f "$1" || ! -f "$2" ]]; then
  sed -n '6p' "$0" | sed 's/^# //' >&2
  exit 2
fi
if [[ -z "${COMPTOIR_MINISIGN_KEY:-}" ]]; then
  echo "COMPTOIR_MINISIGN_KEY (a minisign secret key file) is needed to sign" >&2
  exit 2
fi
resign_update_manifest "$1" "$2"
python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print("%s: Comptoir %s, signed %s, holds until %s" % (sys.argv[1], m["version"], m["signed"], m["expires"]))' "$1"
