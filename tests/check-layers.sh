#!/bin/sh
# The core's layers, lowest first: records, store, then sync and report side
# by side. A file may include its own layer and the ones below it, never one
# above or beside it. Outside src/core, nothing includes a core -private.h.
set -eu
root=${1:-.}
status=0

allowed () {
  case "$1" in
    records) echo "records" ;;
    store) echo "records store" ;;
    sync) echo "records store sync" ;;
    report) echo "records store report" ;;
  esac
}

for layer in records store sync report; do
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
done
exit $status
