#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Smoke test of the Debian packages, without systemctl:
#   deb-smoke.sh SOURCE_ROOT
# builds both packages with packaging/build-deb.sh (lintian included; set
# PCMBN_DEBS=DIR to test .deb files built before instead), checks that apt
# could install them, unpacks them into a scratch root with dpkg -x, and
# starts what they hold: the CLI on a new logbook, the district server on a
# loopback port, /api/v1/health, an enrolment and a sync between the two.
# Exit 77 (skip) when the tools are missing or the server cannot serve yet.
set -euo pipefail

top=${1:?usage: deb-smoke.sh SOURCE_ROOT}
skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

for tool in dpkg-buildpackage dh dpkg-deb python3; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (packaging/dev.sh lists the packages)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/pcmbn-deb-smoke.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${PCMBN_DEBS:-}" ]; then
  debs=$PCMBN_DEBS
else
  debs=$work/debs
  # The tree's own tests ran before this one; --nocheck keeps this to the build.
  "$top/packaging/build-deb.sh" --nocheck "$debs" || fail "build-deb.sh failed"
fi
logbook_deb=$(ls "$debs"/pcmbn-logbook_*.deb 2>/dev/null | head -n1)
district_deb=$(ls "$debs"/pcmbn-district_*.deb 2>/dev/null | head -n1)
common_deb=$(ls "$debs"/pcmbn-common_*.deb 2>/dev/null | head -n1)
[ -f "$logbook_deb" ] || fail "no pcmbn-logbook .deb in $debs"
[ -f "$district_deb" ] || fail "no pcmbn-district .deb in $debs"
[ -f "$common_deb" ] || fail "no pcmbn-common .deb in $debs"
echo "packages: $(basename "$logbook_deb") $(basename "$district_deb") $(basename "$common_deb")"

# Could apt install them here? (a simulation: it resolves Depends against
# the archive's lists and changes nothing)
if command -v apt-get >/dev/null; then
  if ! apt-get install -s -qq "$logbook_deb" "$district_deb" "$common_deb" >"$work/apt.log" 2>&1; then
    cat "$work/apt.log" >&2
    fail "apt-get cannot install the packages"
  fi
  echo "apt-get install --simulate: ok"
fi

# A server-only install (the server and what it depends on) has its
# messages: the reports it writes are Vietnamese under any locale.
server_root=$work/server-root
mkdir -p "$server_root"
dpkg -x "$district_deb" "$server_root"
dpkg -x "$common_deb" "$server_root"
dpkg-deb -f "$district_deb" Depends | grep -q 'pcmbn-common' || fail "pcmbn-district does not depend on pcmbn-common"
dpkg-deb -f "$logbook_deb" Depends | grep -q 'pcmbn-common' || fail "pcmbn-logbook does not depend on pcmbn-common"
[ -e "$server_root/usr/share/locale/vi/LC_MESSAGES/pcmbn-logbook.mo" ] \
  || fail "a server-only install lacks the Vietnamese messages"

root=$work/root
mkdir -p "$root"
dpkg -x "$logbook_deb" "$root"
dpkg -x "$district_deb" "$root"
dpkg -x "$common_deb" "$root"

for f in usr/bin/pcmbn usr/bin/pcmbn-logbook usr/bin/pcmbn-district \
         usr/share/applications/org.pcmbn.Logbook.desktop \
         usr/share/metainfo/org.pcmbn.Logbook.metainfo.xml \
         usr/share/glib-2.0/schemas/org.pcmbn.Logbook.gschema.xml \
         usr/share/icons/hicolor/scalable/apps/org.pcmbn.Logbook.svg \
         usr/share/icons/hicolor/symbolic/apps/org.pcmbn.Logbook-symbolic.svg \
         usr/share/pcmbn-logbook/guide/vi.html usr/share/pcmbn-logbook/guide/en.html \
         usr/share/locale/vi/LC_MESSAGES/pcmbn-logbook.mo \
         usr/share/man/man1/pcmbn.1.gz usr/share/man/man1/pcmbn-logbook.1.gz \
         usr/share/man/man1/pcmbn-district.1.gz \
         lib/systemd/system/pcmbn-district.service \
         etc/pcmbn-district/pcmbn-district.conf; do
  [ -e "$root/$f" ] || fail "/$f is in no package"
done
ls "$root"/usr/lib/sysusers.d/pcmbn-district.conf >/dev/null 2>&1 \
  || fail "no sysusers.d entry for the pcmbn-district user"
dpkg-deb -c "$district_deb" | grep -q 'usr/bin/pcmbn-logbook' && fail "pcmbn-district ships the app"
dpkg-deb -f "$district_deb" Depends | grep -Eq 'libgtk|libadwaita' && fail "pcmbn-district depends on GTK"
dpkg-deb --ctrl-tarfile "$district_deb" | tar -t | grep -q conffiles || fail "pcmbn-district has no conffiles"
echo "package contents: ok"

# What the postinst does, against the scratch root: the system user, then
# its state directory. (systemd-sysusers and -tmpfiles, as root only.)
if [ "$(id -u)" -eq 0 ] && command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
  mkdir -p "$root/etc"
  touch "$root/etc/passwd" "$root/etc/group" "$root/etc/shadow" "$root/etc/gshadow"
  systemd-sysusers --root="$root" pcmbn-district.conf || fail "systemd-sysusers"
  entry=$(grep '^pcmbn-district:' "$root/etc/passwd") || fail "no pcmbn-district user made"
  case "$entry" in
    *:/var/lib/pcmbn-district:/usr/sbin/nologin|*:/var/lib/pcmbn-district:/sbin/nologin) ;;
    *) fail "the pcmbn-district user is not a system user without a shell: $entry" ;;
  esac
  uid=$(echo "$entry" | cut -d: -f3)
  [ "$uid" -lt 1000 ] || fail "pcmbn-district got uid $uid, not a system uid"
  systemd-tmpfiles --root="$root" --create pcmbn-district.conf || fail "systemd-tmpfiles"
  [ "$(stat -c '%a %u' "$root/var/lib/pcmbn-district")" = "750 $uid" ] \
    || fail "/var/lib/pcmbn-district is not 0750 and owned by pcmbn-district"
  echo "system user and state directory: ok ($entry)"
fi

bin=$root/usr/bin
export LC_ALL=C.UTF-8 LANGUAGE=en
unset PCMBN_LOCALEDIR
"$bin/pcmbn" --version | grep -q '^pcmbn ' || fail "pcmbn --version"
"$bin/pcmbn-district" --version | grep -q '^pcmbn-district ' || fail "pcmbn-district --version"
"$bin/pcmbn-logbook" --version | grep -q '^pcmbn-logbook ' || fail "pcmbn-logbook --version"
# The packaged translations are found (pointed at the scratch root): the
# usage reads differently in Vietnamese.
usage_en=$(PCMBN_LOCALEDIR=$root/usr/share/locale LANGUAGE=en "$bin/pcmbn" --help 2>&1)
usage_vi=$(PCMBN_LOCALEDIR=$root/usr/share/locale LANGUAGE=vi "$bin/pcmbn" --help 2>&1)
[ "$usage_en" != "$usage_vi" ] || fail "pcmbn --help is not translated by the packaged .mo"
man -l "$root/usr/share/man/man1/pcmbn-district.1.gz" >/dev/null 2>&1 || fail "man pcmbn-district"
# The server alone, in the C locale of a systemd service, writes its report
# in Vietnamese from the packaged catalogue.
LC_ALL=C "$server_root/usr/bin/pcmbn-district" init --db "$work/lang.sqlite" --org-unit 001 >/dev/null \
  || fail "pcmbn-district init (server-only install)"
report_vi=$(LC_ALL=C PCMBN_LOCALEDIR=$server_root/usr/share/locale \
  "$server_root/usr/bin/pcmbn-district" report --db "$work/lang.sqlite" --format csv)
case "$report_vi" in
  *"Chỉ tiêu"*) ;;
  *) fail "a server-only install writes its report in English under LC_ALL=C" ;;
esac
echo "binaries start: ok"

# The unit, pointed at the unpacked binary, passes systemd-analyze verify.
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/bin/pcmbn-district|$bin/pcmbn-district|" "$root/lib/systemd/system/pcmbn-district.service" \
    >"$work/pcmbn-district.service"
  if ! systemd-analyze verify --man=no "$work/pcmbn-district.service" >"$work/verify.log" 2>&1; then
    # Only the host's lack of the package's user is acceptable here.
    if grep -v 'pcmbn-district' "$work/verify.log" | grep -q .; then
      cat "$work/verify.log" >&2
      fail "systemd-analyze verify"
    fi
  fi
  echo "systemd-analyze verify: ok"
fi

# The district server: init, serve on a free loopback port, health.
db=$work/district.sqlite
if ! "$bin/pcmbn-district" init --db "$db" --org-unit 001 >"$work/init.log" 2>&1; then
  grep -q 'not a verb' "$work/init.log" && skip "pcmbn-district has no init verb yet"
  cat "$work/init.log" >&2
  fail "pcmbn-district init"
fi
"$bin/pcmbn-district" serve --db "$db" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
url=
for _ in $(seq 1 200); do
  url=$(sed -n 's/^Listening on \(http[^ ]*\).*/\1/p' "$work/serve.out" | head -n1)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  grep -q 'not a verb' "$work/serve.err" && skip "pcmbn-district cannot serve yet"
  cat "$work/serve.out" "$work/serve.err" >&2
  fail "pcmbn-district serve did not say where it listens"
fi
url=${url%/}
python3 - "$url" <<'PY' || fail "GET /api/v1/health"
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/api/v1/health", timeout=30) as r:
    body = json.load(r)
assert r.status == 200, r.status
assert body.get("status") == "ok" and body.get("org_unit") == "001" and body.get("protocol") == 1, body
print("health:", json.dumps(body))
PY

# A commune logbook with the packaged CLI, enrolled and synced.
logbook=$work/logbook.sqlite
"$bin/pcmbn" --db "$logbook" init --org-unit 00001 || fail "pcmbn init"
echo '{"date":"2026-07-30","activity_type":"community_talk","subproject":"community","title":"Smoke test talk","participants_total":40}' \
  | "$bin/pcmbn" --db "$logbook" add activity >/dev/null || fail "pcmbn add"
code=$("$bin/pcmbn-district" enroll-code --db "$db" --org-unit 00001) || fail "pcmbn-district enroll-code"
"$bin/pcmbn" --db "$logbook" enroll --server "$url" --code "$code" >/dev/null || fail "pcmbn enroll"
last=$("$bin/pcmbn" --db "$logbook" sync | tail -n1) || fail "pcmbn sync"
echo "sync: $last"
case "$last" in
  "pushed 1, pulled 0, conflicts 0, rejected 0") ;;
  *) fail "pcmbn sync: expected one record pushed, got: $last" ;;
esac
"$bin/pcmbn-district" report --db "$db" --year 2026 --format json | python3 -c \
  'import json,sys; r=json.load(sys.stdin); assert r["org_unit"]=="001" and "indicators" in r, r' \
  || fail "pcmbn-district report"

kill -TERM "$server_pid"
wait "$server_pid" || fail "pcmbn-district serve did not exit cleanly on SIGTERM"
server_pid=
echo "smoke test: ok"
