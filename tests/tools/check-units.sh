#!/bin/sh
# check-units.sh SYSTEM-UNIT USER-UNIT — systemd accepts shoald's units:
# `systemd-analyze verify` reads each as the manager would (unknown keys,
# bad values, a missing ExecStart binary). TAP output.
set -u
analyze=$(command -v systemd-analyze) || { echo "Bail out! systemd-analyze is missing (package systemd)"; exit 1; }
runtime=$(mktemp -d) || exit 1
trap 'rm -rf "$runtime"' EXIT
echo "1..2"
status=0

# verify wants the unit under its real name.
verify () {
  n=$1; shift; unit=$1; shift
  copy="$runtime/shoald.service"
  cp "$unit" "$copy"
  if out=$("$analyze" "$@" verify "$copy" 2>&1); then
    echo "ok $n - $(basename "$unit") verifies"
  else
    echo "not ok $n - $(basename "$unit"):"
    printf '%s\n' "$out" | sed 's/^/# /'
    status=1
  fi
}

verify 1 "$1"
# A user manager's unit, checked without a user session of our own.
XDG_RUNTIME_DIR="$runtime" verify 2 "$2" --user
exit $status
