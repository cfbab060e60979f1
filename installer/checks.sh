#!/usr/bin/env bash
# The PASS/FAIL checks of the packaging tests (installer/test-linux.sh,
# installer/test-windows.sh), sourced by them. Each check prints one line; `failures`
# counts the failed ones, and `finish NAME` ends the script with their summary.

failures=0
pass() { echo "PASS: $1"; }
fail() {
  echo "FAIL: $1" >&2
  failures=$((failures + 1))
}
# check NAME COMMAND...: runs the command, PASS when it succeeds.
check() {
  local name="$1"
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
# finish WHAT: exits 1 when a check failed, saying how many; else says all passed.
finish() {
  if ((failures > 0)); then
    echo "$1: $failures check(s) failed" >&2
    exit 1
  fi
  echo "$1: all checks passed in $SECONDS s"
}
