#!/bin/bash
# test/keepalive/figures.bash - the figures of docs/readme-keepalive.md, by
# hand (about 2 minutes; not part of make check):
#   unshare -n sh -c "ip link set lo up; bash test/keepalive/figures.bash"
# The wrapper with the settings a new user would type, peers that vanish
# (lib-ka.sh), and the seconds until each unmodified server gets ETIMEDOUT.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-ka.sh"
ka_netns_setup
W=$AC_ROOT/scripts/abortclose
GO="$AC_TMP/go"
CASES=(
"reader-both|22860|recv|--keepalive=60,10,6 --user-timeout=30000"
"writer-both|22861|send|--keepalive=60,10,6 --user-timeout=30000"
"reader-keepalive-only|22862|recv|--keepalive=60,10,6"
"control-reader|22863|recv|--off"
"control-writer|22864|send|--off"
)
declare -A UNDER
for c in "${CASES[@]}"; do
	IFS='|' read -r name port action opts <<<"$c"
	ac_bg pid "$AC_TMP/$name.out" "$AC_TMP/$name.err" ip netns exec "$KA_SRV" env KA_GO="$GO" $W $opts -- "$AC_BIN/ka_conn" server "$port" "$action"
	UNDER[$name]=$pid
	wait_for_line "$AC_TMP/$name.out" READY 10 "$pid" >/dev/null || echo "$name not ready"
	ac_bg p2 /dev/null /dev/null ip netns exec "$KA_CLI" "$AC_BIN/ka_conn" client "$KA_SRV_IP" "$port" hold
	wait_for_line "$AC_TMP/$name.out" ACCEPTED 10 "$pid" >/dev/null || echo "$name not accepted"
done
sleep 1
ka_vanish "$KA_CLI" 22860 22861 22862 22863 22864
t0=$(date +%s.%N)
: >"$GO"
for name in reader-both writer-both reader-keepalive-only; do
	line=$(wait_for_line "$AC_TMP/$name.out" '^RESULT' 200 "${UNDER[$name]}")
	at=${line#*at=}
	echo "$name: $line -> $(awk -v a="${at%% *}" -v b="$t0" 'BEGIN{printf "%.1f", a-b}') s"
done
for name in control-reader control-writer; do
	grep -q RESULT "$AC_TMP/$name.out" && echo "$name: $(cat "$AC_TMP/$name.out")" || echo "$name: still blocked after $(awk -v b="$t0" -v a="$(date +%s.%N)" 'BEGIN{printf "%.0f", a-b}') s"
done
