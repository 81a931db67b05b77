#!/bin/sh
# check-no-gtk.sh — the headless binaries link no GTK, not even through a
# library that pulls it in: their dynamic sections name no libgtk,
# libgdk or libadwaita. TAP output, one test per binary given.
set -u
readelf=$(command -v readelf) || { echo "Bail out! readelf is missing (binutils)"; exit 1; }
echo "1..$#"
n=0
status=0
for binary in "$@"; do
  n=$((n + 1))
  if [ ! -x "$binary" ]; then
    echo "not ok $n - $binary is missing"
    status=1
    continue
  fi
  needed=$("$readelf" -d "$binary" | grep NEEDED)
  if [ -z "$needed" ]; then
    echo "not ok $n - $binary: no NEEDED entries read"
    status=1
  elif printf '%s\n' "$needed" | grep -E -q 'lib(gtk|gdk|adwaita)'; then
    echo "not ok $n - $binary links GTK:"
    printf '%s\n' "$needed" | grep -E 'lib(gtk|gdk|adwaita)' | sed 's/^/# /'
    status=1
  else
    echo "ok $n - $binary links no GTK ($(printf '%s\n' "$needed" | wc -l) libraries)"
  fi
done
exit $status
