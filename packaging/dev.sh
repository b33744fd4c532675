#!/usr/bin/env bash
# The developer's entry point, and CI's:
#   packaging/dev.sh run    install what is missing, build, start the app on a demo database
#   packaging/dev.sh test   install what is missing, build, run every test
# Extra arguments after `test` go to `meson test` (a test name, --suite, ...).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
builddir=${PCMBN_BUILDDIR:-build}

# Every Debian 12 package the project needs to build, test and run.
packages=(
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libglib2.0-bin libjson-glib-dev libsqlite3-dev sqlite3 libsoup-3.0-dev libsodium-dev
  nettle-dev libdeflate-dev libmimalloc-dev
  libgtk-4-dev libadwaita-1-dev
  libxlsxwriter-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core fonts-noto-core
  libsodium-dev libsecret-1-dev gnome-keyring
  poppler-utils unzip
  xvfb xauth dbus dbus-x11 at-spi2-core python3-gi gir1.2-atspi-2.0 locales
  desktop-file-utils appstream openssl
  debhelper dpkg-dev fakeroot build-essential lintian clang-format
  chromium chromium-driver xdotool imagemagick
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  # The tests run the app in Vietnamese, which needs the locale itself.
  if ! locale -a 2>/dev/null | grep -qi '^vi_VN\.utf-\?8$'; then
    as_root sed -i 's/^# *\(vi_VN.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    grep -q '^vi_VN.UTF-8 UTF-8' /etc/locale.gen || echo 'vi_VN.UTF-8 UTF-8' | as_root tee -a /etc/locale.gen >/dev/null
    as_root locale-gen >/dev/null
  fi
}

build() {
  if [ ! -f "$builddir/build.ninja" ]; then
    # PCMBN_MESON_ARGS: extra options for a new build folder, e.g. CI's
    # sanitizer build (-Db_sanitize=address,undefined).
    # shellcheck disable=SC2086
    meson setup "$builddir" ${PCMBN_MESON_ARGS:-} "$@"
  fi
  ninja -C "$builddir"
}

case "${1:-}" in
  run)
    shift
    install_missing
    build
    db=${PCMBN_DEMO_DB:-$builddir/demo.sqlite}
    if [ ! -f "$db" ]; then
      "$builddir/src/cli/pcmbn" --db "$db" demo --records 2000
    fi
    if [ -x "$builddir/src/app/pcmbn-logbook" ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
      exec "$builddir/src/app/pcmbn-logbook" --db "$db" "$@"
    fi
    echo "No display to open the app on; here is the demo commune's report instead:"
    exec "$builddir/src/cli/pcmbn" --db "$db" report --format json
    ;;
  test)
    shift
    install_missing
    build
    # GUI tests need a display and a session bus; the others ignore them.
    exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
      meson test -C "$builddir" --print-errorlogs --num-processes 2 "$@"
    ;;
  *)
    echo "usage: packaging/dev.sh run|test" >&2
    exit 2
    ;;
esac
