#!/bin/bash
# A checkout at a path longer than 100 characters (sun_path holds 108: no
# test may put a UNIX socket in the checkout).
. "$(dirname "$0")/lib-paths.bash"
# The integration script runs in the space, colon and mode-700 places (time).
PATHS_INTEGRATION=()
long=$AC_TMP
while [ "${#long}" -le 110 ]; do long=$long/a-rather-long-directory-name; done
paths_place long-path "$long/libabortclose"
[ "${#PLACE}" -gt 100 ] && pass "the path is ${#PLACE} characters" || fail "path length" "${#PLACE}"
ac_finish
