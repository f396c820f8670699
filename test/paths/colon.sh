#!/bin/bash
# A checkout at a path with a ':' (ld.so splits LD_PRELOAD at colons too):
# the same treatment as a space.
. "$(dirname "$0")/lib-paths.bash"
paths_place colon "$AC_TMP/v1:old/libabortclose"
ac_finish
