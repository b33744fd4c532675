#!/bin/sh
# The Vietnamese translation is complete: every file with translatable
# strings is in po/POTFILES.in, and po/vi.po translates every message of
# them, with nothing fuzzy. Prints what is missing.
set -eu
root=$1
for tool in xgettext msgmerge msgfmt msgattrib; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is not installed"; exit 77; }
done
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# Sources that mark strings for translation but are not listed.
for f in $(grep -rl --include='*.c' '_ ("\|N_ ("\|C_ ("\|ngettext (' src) \
         $(grep -rl 'translatable="yes"' data/ui 2>/dev/null || true); do
  if ! grep -qx "$f" po/POTFILES.in; then
    echo "$f has translatable strings but is not in po/POTFILES.in"
    status=1
  fi
done

grep -v '^#' po/POTFILES.in | sed '/^$/d' > "$tmp/files"
xgettext --from-code=UTF-8 --add-comments --package-name=pcmbn-logbook \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dngettext:2,3 --keyword=ngettext:1,2 --keyword=g_dpgettext2:2c,3 \
  -f "$tmp/files" -o "$tmp/all.pot" 2>"$tmp/xgettext.err" || {
  cat "$tmp/xgettext.err"
  exit 1
}
msgmerge --quiet --no-fuzzy-matching po/vi.po "$tmp/all.pot" -o "$tmp/merged.po"
msgattrib --untranslated --no-obsolete "$tmp/merged.po" -o "$tmp/untranslated.po"
msgattrib --only-fuzzy --no-obsolete "$tmp/merged.po" -o "$tmp/fuzzy.po"
stats=$(msgfmt --check --statistics -o /dev/null "$tmp/merged.po" 2>&1) || status=1
echo "$stats"
for part in untranslated fuzzy; do
  if echo "$stats" | grep -q "$part"; then
    echo "po/vi.po: $part message(s):"
    msgattrib --no-wrap --no-location "$tmp/$part.po" | grep '^msgid "..*"' | head -40
    status=1
  fi
done
exit $status
