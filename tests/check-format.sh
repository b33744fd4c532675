#!/bin/sh
# Every C file of src/ and tests/ is laid out as .clang-format says.
command -v clang-format >/dev/null 2>&1 || { echo "clang-format is not installed"; exit 77; }
cd "$1" || exit 1
find src tests -name '*.[ch]' -print0 | xargs -0 clang-format --dry-run --Werror
