#!/bin/bash
# A checkout whose files belong to another uid (65534), run as root: a
# volume mounted into a CI container, a tree unpacked by another user.
# (git would call it "dubious ownership"; nothing in the build calls git.)
. "$(dirname "$0")/lib-paths.bash"
[ "$(id -u)" = 0 ] || { in_ci && { fail other-owner "needs root"; ac_finish; }; skip "needs root (chown)"; }
# The integration script runs in the space, colon and mode-700 places (time).
PATHS_INTEGRATION=()
paths_place other-owner "$AC_TMP/theirs/libabortclose" 'chown -R 65534:65534 "${1%/libabortclose}" && chmod 700 "$1"'
ac_finish
