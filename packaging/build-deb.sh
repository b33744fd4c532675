#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Build the Debian packages pcmbn-logbook and pcmbn-district from a clean
# export of the tree, and leave the .deb files in OUTDIR:
#
#   packaging/build-deb.sh [--head] [--nocheck] [--no-lintian] OUTDIR
#
# The export holds the files git knows: tracked ones as they are in the
# working tree (uncommitted edits included) plus untracked ones that are not
# ignored, so that what you see is what gets packaged, and a CI checkout
# (clean) gives exactly HEAD. --head exports the last commit instead
# (git archive HEAD). Outside git, the tree is copied without build dirs.
# Then packaging/debian becomes debian/ and dpkg-buildpackage -us -uc -b
# builds; lintian checks the result and fails on errors.
#
# Needs: dpkg-dev, debhelper, fakeroot, build-essential, lintian, and the
# Build-Depends of packaging/debian/control (dpkg-buildpackage names any
# that are missing).
set -euo pipefail

usage() {
  echo "usage: $0 [--head] [--nocheck] [--no-lintian] OUTDIR" >&2
  exit 2
}

head=0
nocheck=0
lintian=1
outdir=
while [ $# -gt 0 ]; do
  case "$1" in
    --head) head=1 ;;
    --nocheck) nocheck=1 ;;
    --no-lintian) lintian=0 ;;
    -h|--help) usage ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) [ -z "$outdir" ] || usage; outdir=$1 ;;
  esac
  shift
done
[ -n "$outdir" ] || usage

top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/pcmbn-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src="$work/pcmbn-logbook-$version"
mkdir -p "$src"

# 1. A clean export of the tree.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  if [ "$head" -eq 1 ]; then
    echo "Exporting HEAD ($(git -C "$top" rev-parse --short HEAD))"
    git -C "$top" archive --format=tar HEAD | tar -x -C "$src"
  else
    echo "Exporting the working tree (tracked and new files, not ignored ones)"
    (cd "$top" && git ls-files -z --cached --others --exclude-standard \
      | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
      | tar --null -T - -c) | tar -x -C "$src"
  fi
else
  echo "Not a git checkout: copying the tree without build directories"
  tar -c -C "$top" --exclude='./build' --exclude='./build-*' --exclude='./.git' \
      --exclude='*.sqlite' --exclude='*.sqlite-*' . | tar -x -C "$src"
fi
if [ -e "$src/debian" ]; then
  echo "$0: the tree has a debian/ of its own; packaging/debian is the one to use" >&2
  exit 1
fi
cp -a "$src/packaging/debian" "$src/debian"

# 2. Build the binary packages, unsigned.
opts="parallel=$(nproc)"
[ "$nocheck" -eq 0 ] || opts="$opts nocheck"
echo "Building $version (DEB_BUILD_OPTIONS=$opts)"
(cd "$src" && DEB_BUILD_OPTIONS="$opts" dpkg-buildpackage -us -uc -b)

shopt -s nullglob
debs=("$work"/*.deb)
if [ ${#debs[@]} -eq 0 ]; then
  echo "$0: dpkg-buildpackage made no .deb" >&2
  exit 1
fi
cp "${debs[@]}" "$work"/*.buildinfo "$work"/*.changes "$outdir"/

# 3. lintian: errors fail the build, warnings are shown.
if [ "$lintian" -eq 1 ]; then
  if command -v lintian >/dev/null; then
    echo "lintian:"
    lintian --fail-on error --display-info "$outdir"/pcmbn-*_"$version"_*.deb
  else
    echo "$0: lintian is not installed; not checked" >&2
  fi
fi
for f in "${debs[@]}"; do
  echo "$outdir/$(basename "$f")"
done
