#!/bin/sh
# run-fuzzer.sh FUZZER SEEDER TARGET VECTORS SECONDS ARTIFACTS
#
# A short libFuzzer run seeded from the captured gtk-gnutella traffic. The
# seeds are cut out of the vectors for each target (a GGEP target gets GGEP
# blocks, not whole messages); a finding is kept in ARTIFACTS.
set -eu
fuzzer=$1 seeder=$2 target=$3 vectors=${SHOAL_VECTORS_DIR:-$4} seconds=$5 artifacts=$6

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/seeds" "$artifacts"

"$seeder" "$target" "$vectors" "$work/seeds"
count=$(find "$work/seeds" -type f | wc -l)
if [ "$count" -eq 0 ]; then
  echo "no seeds for $target from $vectors" >&2
  exit 1
fi
echo "$target: $count seeds from $vectors"

exec "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
  -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 \
  -artifact_prefix="$artifacts/$target-" \
  "$work/corpus" "$work/seeds"
