#!/bin/bash
# transparency.sh - the program cannot tell the library set keepalive or
# TCP_USER_TIMEOUT: getsockopt of SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL,
# TCP_KEEPCNT and TCP_USER_TIMEOUT shows exactly what it shows without the
# library (the kernel defaults, or the program's own values), on the
# listener, the accepted and the connecting socket, a dup of each, and an fd
# inherited across exec; while the kernel really runs the keepalive timer
# (ss).  UDP and UNIX sockets are untouched.  A namespace sysctl
# (net.ipv4.tcp_keepalive_time) is what the program sees.  Loopback only.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/ka_conn"
need_tool ss

SET=(ABORTCLOSE_KEEPALIVE=1,1,2 ABORTCLOSE_USER_TIMEOUT=2000)

# views PORT SERVER-ACTION CLIENT-ACTION PREFIX...: the OPTS lines of both
# ends (server first), the client run with the same PREFIX as the server,
# and the keepalive timers the kernel shows for the port meanwhile.
views() {
	local port=$1 sact=$2 cact=$3 spid cpid
	shift 3
	ac_bg spid "$AC_TMP/s.out" "$AC_TMP/s.err" "$@" "$AC_BIN/ka_conn" server "$port" "$sact"
	wait_for_line "$AC_TMP/s.out" READY 10 "$spid" >/dev/null || { echo "server not ready"; return; }
	ac_bg cpid "$AC_TMP/c.out" "$AC_TMP/c.err" "$@" "$AC_BIN/ka_conn" client 127.0.0.1 "$port" "$cact"
	wait_for_line "$AC_TMP/s.out" '^OPTS (dup|minedup|inherited)' 10 "$spid" >/dev/null
	wait_for_line "$AC_TMP/c.out" '^OPTS (dup|minedup)' 10 "$cpid" >/dev/null
	sleep 0.1 # the exec'd program's line
	grep '^OPTS' "$AC_TMP/s.out" | sed 's/^/server /'
	grep '^OPTS' "$AC_TMP/c.out" | sed 's/^/client /'
	ss -Htnoi state established "( sport = :$port or dport = :$port )" | grep -o 'timer:(keepalive[^)]*)' |
		sed 's/^/kernel /'
	kill -KILL "$spid" "$cpid" 2>/dev/null
	ac_wait "$spid" 5
	ac_wait "$cpid" 5
}

# Inner run (ns_view below): inside a fresh namespace with its own sysctls.
if [ "${1:-}" = --in-ns ]; then
	shift
	ip link set lo up && sysctl -qw net.ipv4.tcp_keepalive_time=1234 net.ipv4.tcp_keepalive_probes=5 || exit 3
	views 22834 opts opts "$@"
	exit 0
fi

same_view() { # NAME PORT SACT CACT [VAR=VALUE...]: with the settings == without the library
	local name=$1 port=$2 sact=$3 cact=$4 with without
	with=$(views "$port" "$sact" "$cact" env LD_PRELOAD="$(ac_preload)" "${SET[@]}" "${@:5}")
	without=$(views "$port" "$sact" "$cact" env "${@:5}")
	if [ "$(grep -v '^kernel' <<<"$with")" != "$(grep -v '^kernel' <<<"$without")" ] ||
		[ -z "$(grep -v '^kernel' <<<"$with")" ]; then
		fail "$name" "views differ: with=[$(tr '\n' '|' <<<"$with")] without=[$(tr '\n' '|' <<<"$without")]"
		return
	fi
	echo "$with" >"$AC_TMP/$name.with"
	echo "$without" >"$AC_TMP/$name.without"
	pass "$name ($(grep -c '^server\|^client' <<<"$with") views equal: $(grep -m1 'conn\|mine\|inherited' <<<"$with" | cut -d' ' -f3-))"
}

same_view default-view 22830 opts opts
# ...and the kernel does run keepalive on both ends (2 sockets), only with the library.
[ "$(grep -c '^kernel timer:(keepalive,[0-9]*ms,0)' "$AC_TMP/default-view.with")" = 2 ] &&
	! grep -q '^kernel' "$AC_TMP/default-view.without" &&
	pass "kernel-runs-keepalive ($(grep "^kernel" "$AC_TMP/default-view.with" | cut -d" " -f2 | tr "\n" " "))" ||
	fail kernel-runs-keepalive "with: $(grep '^kernel' "$AC_TMP/default-view.with" | tr '\n' '|') without: $(grep '^kernel' "$AC_TMP/default-view.without" | tr '\n' '|')"

# The program's own TCP_KEEPIDLE=77 and SO_KEEPALIVE=1 are what it sees, on
# the fd and on a dup made before, and what the kernel holds (a timer of
# about 77 s, not the policy's 1 s).
same_view own-values-win 22831 mine mine
grep -q 'OPTS mine ka=1 idle=77 ' "$AC_TMP/own-values-win.with" &&
	grep -q 'OPTS minedup ka=1 idle=77 ' "$AC_TMP/own-values-win.with" &&
	pass "own-values-shown (ka=1 idle=77 on the fd and its dup)" ||
	fail own-values-shown "$(tr '\n' '|' <"$AC_TMP/own-values-win.with")"
[ "$(grep -c '^kernel timer:(keepalive,1min1[0-9]sec,0)' "$AC_TMP/own-values-win.with")" = 2 ] &&
	pass "own-values-held (both ends: $(grep -m1 '^kernel' "$AC_TMP/own-values-win.with" | cut -d' ' -f2))" ||
	fail own-values-held "$(grep '^kernel' "$AC_TMP/own-values-win.with" | tr '\n' '|')"

# TCP_KEEPIDLE=300 set by the program before listen() / connect(): the
# library leaves it (and turns keepalive on, the policy's part): the kernel
# runs a 5-minute timer, not the policy's 1 s, and the program sees 300.
same_view preset-idle-wins 22835 opts opts KA_PRESET_IDLE=300
grep -q 'OPTS conn ka=0 idle=300 ' "$AC_TMP/preset-idle-wins.with" &&
	[ "$(grep -c '^kernel timer:(keepalive,4min5[0-9]sec,0)' "$AC_TMP/preset-idle-wins.with")" = 2 ] &&
	pass "preset-idle-held ($(grep '^kernel' "$AC_TMP/preset-idle-wins.with" | cut -d' ' -f2 | tr '\n' ' '))" ||
	fail preset-idle-held "$(tr '\n' '|' <"$AC_TMP/preset-idle-wins.with")"

# A socket inherited across exec (fd 0 of the new program, like inetd):
# adopted with the policy's values already on, it is shown as unset.
same_view inherited-view 22833 exec hold

# UDP and UNIX: the same view, and the library sets nothing on them.
with=$(env LD_PRELOAD="$(ac_preload)" "${SET[@]}" "$AC_BIN/ka_conn" nontcp)
without=$("$AC_BIN/ka_conn" nontcp)
[ "$with" = "$without" ] && pass "nontcp-view ($with)" || fail nontcp-view "with=$with without=$without"
if command -v strace >/dev/null; then
	strace -f -qq -o "$AC_TMP/nontcp.strace" -e trace=setsockopt env LD_PRELOAD="$(ac_preload)" "${SET[@]}" \
		"$AC_BIN/ka_conn" nontcp >/dev/null
	n=$(grep -c 'setsockopt' "$AC_TMP/nontcp.strace")
	[ "$n" = 0 ] && pass "nontcp-untouched (0 setsockopt)" || fail nontcp-untouched "$(head -3 "$AC_TMP/nontcp.strace")"
fi

# A namespace whose sysctl says 1234 s and 5 probes: that is the default
# the program sees (the library reads it once at load, from a probe socket).
ns_view() {
	unshare -n bash "$0" --in-ns "$@" 2>&1
}
if nsw=$(ns_view env LD_PRELOAD="$(ac_preload)" "${SET[@]}") && nso=$(ns_view env); then
	if [ "$(grep -v '^kernel' <<<"$nsw")" = "$(grep -v '^kernel' <<<"$nso")" ] && grep -q 'idle=1234 intvl=75 cnt=5' <<<"$nsw"; then
		pass "netns-sysctl-default ($(grep -m1 'conn' <<<"$nsw" | cut -d' ' -f3-))"
	else
		fail netns-sysctl-default "with=[$(tr '\n' '|' <<<"$nsw")] without=[$(tr '\n' '|' <<<"$nso")]"
	fi
else
	fail netns-sysctl-default "cannot make a namespace with its own sysctl: $nsw"
fi
ac_finish
