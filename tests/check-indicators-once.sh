#!/bin/sh
# Indicators are described once, in src/core/report/pcmbn-indicators.c:
# the report, the per-commune table, the exports, the dashboard and the app
# read that table. Any other source file naming an indicator's key is a
# second description that a new indicator would have to be added to.
set -eu
root=${1:-.}
table="$root/src/core/report/pcmbn-indicators.c"
keys=$(sed -n 's/^ *\.key = "\([a-z0-9_]*\)",.*/\1/p' "$table")
[ -n "$keys" ] || { echo "no indicator keys found in $table" >&2; exit 1; }
status=0
for key in $keys; do
  found=$(grep -rlF "\"$key\"" "$root/src" | grep -v "pcmbn-indicators.c$" || true)
  for f in $found; do
    echo "${f#"$root"/}: names the indicator $key; read it from pcmbn-indicators.c" >&2
    status=1
  done
done
exit $status
