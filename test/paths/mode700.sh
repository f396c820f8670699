#!/bin/bash
# A checkout under a mode-700 directory, as in /root/src/libabortclose (a
# Debian home) or a CI clone into `mktemp -d`: the tests that run things as
# uid 65534 must not reach into it.
. "$(dirname "$0")/lib-paths.bash"
paths_place mode-700 "$AC_TMP/home/src/libabortclose" 'chmod 700 "${1%/src/libabortclose}"'
ac_finish
