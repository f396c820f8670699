#!/bin/bash
# A checkout at a path with a space, as in "/root/my projects/libabortclose":
# ld.so splits LD_PRELOAD at spaces.  The wrapper (make demo, the wrapper
# tests) preloads through its link in /tmp/abortclose-lib.UID; the tests
# preload from a space-free copy of build/ (test/run-all.sh, test/lib.sh).
# This place also compiles everything from scratch (gcc, make in such a path).
. "$(dirname "$0")/lib-paths.bash"
PATHS_FRESH_BUILD=1 paths_place space "$AC_TMP/my projects/libabortclose"
ac_finish
