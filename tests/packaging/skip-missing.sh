#!/bin/sh
# A validator that is not installed: skip (exit 77) and say which package has it.
echo "$1 is not installed (Debian package $2): skipped" >&2
exit 77
