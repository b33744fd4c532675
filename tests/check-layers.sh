#!/bin/sh
# The core's layers, lowest first: records, store, then sync and report side
# by side, then server (the district server's data layer) on top of them all.
# A file may include its own layer and the ones below it, never one above or
# beside it. Outside src/core, nothing includes a core -private.h or
# <sqlite3.h>: the programs reach the database through the core's calls.
# The app's own -private.h headers (getters for tests) are included by
# their own .c file only.
set -eu
root=${1:-.}
status=0

allowed () {
  case "$1" in
    records) echo "records" ;;
    store) echo "records store" ;;
    sync) echo "records store sync" ;;
    report) echo "records store report" ;;
    server) echo "records store sync report server" ;;
  esac
}

for layer in records store sync report server; do
  ok=$(allowed "$layer")
  for f in "$root"/src/core/"$layer"/*.[ch]; do
    for used in $(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' "$f" | sort -u); do
      case " $ok " in
        *" $used "*) ;;
        *) echo "${f#"$root"/}: the $layer layer includes from $used/" >&2; status=1 ;;
      esac
    done
  done
done

# One grep over all the files each, not one per file: the check must stay
# quick on a busy machine.
outside=$(find "$root/src" -name '*.[ch]' -not -path "$root/src/core/*")
for f in $(grep -l '#include "\([a-z]*/\)\{0,1\}pcmbn-[^"]*-private\.h"' $outside); do
  echo "${f#"$root"/}: includes a core private header" >&2
  status=1
done
for f in $(grep -l '#include <sqlite3\.h>' $outside); do
  echo "${f#"$root"/}: runs SQL outside the core; add a function to src/core instead" >&2
  status=1
done
# An app's logbook-X-private.h declares what only tests use: in the app,
# only logbook-X.c itself includes it.
for hit in $(grep -o '^#include *"logbook-[a-z-]*-private\.h"' $outside | tr -d ' '); do
  f=${hit%%:*}
  h=${hit#*\"}
  h=${h%-private.h\"}
  base=${f##*/}
  base=${base%.[ch]}
  if [ "$h" != "$base" ]; then
    echo "${f#"$root"/}: includes $h-private.h, which only tests and $h.c may use" >&2
    status=1
  fi
done
exit $status
