#!/bin/sh
# The core's layers, lowest first: records, store, then sync and report side
# by side, then server (the district server's data layer) on top of them all.
# A file may include its own layer and the ones below it, never one above or
# beside it. Outside src/core, nothing includes a core -private.h or
# <sqlite3.h>: the programs reach the database through the core's calls.
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

for f in $(find "$root/src" -name '*.[ch]' -not -path "$root/src/core/*"); do
  if grep -n '#include ".*-private\.h"' "$f" >/dev/null; then
    echo "${f#"$root"/}: includes a core private header" >&2
    status=1
  fi
  if grep -n '#include <sqlite3\.h>' "$f" >/dev/null; then
    echo "${f#"$root"/}: runs SQL outside the core; add a function to src/core instead" >&2
    status=1
  fi
done
exit $status
