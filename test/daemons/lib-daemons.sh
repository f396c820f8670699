# shellcheck shell=bash
# test/daemons/lib-daemons.sh - shared by the real-daemon tests (bash; source it
# after ../lib.sh).  Issue 10: servers that drop privileges, fork helpers and
# hand sockets over, tried as they are shipped (Debian packages, their own
# minimal configuration, foreground, loopback only).
#
#   dmn_need_root               these daemons start as root and drop to
#                               www-data / nobody (skip, or fail in CI)
#   dmn_webdir                  DMN_WEB: a world-readable temp dir (chmod 755,
#                               under /tmp, never the checkout) for everything
#                               a dropped-privilege process reads; removed at
#                               exit with the rest
#   dmn_readable_by USER FILE   can USER read FILE? (setpriv, a readiness check
#                               before a daemon fails in an obscure way)
#   dmn_bg_group PIDVAR OUT ERR CMD...  like ac_bg, in a new session
#                               (setsid execs CMD, so the pid is CMD's): at
#                               exit its whole process group is SIGKILLed
#                               (daemon children, CGI processes, checks)
#   dmn_kill_group PID          SIGKILL that group now, wait for the leader
#   dmn_field FILE KEY          a field of dmn_http's result line
#   dmn_http_case NAME EXPECT PORT OUT EXPECTFILE
#                               the verdict of one dmn_http download, from
#                               its result line OUT and the last capture:
#     fin  status 200, first=EOF, the body is exactly EXPECTFILE, >= 1 FIN and
#          0 RST from the server side (src port PORT)
#     rst  first=ECONNRESET, >= 1 RST and 0 FIN from the server side, what
#          arrived is a prefix of EXPECTFILE (checked with cmp)
#     eof  what a kill gives without the library: first=EOF, >= 1 FIN and 0
#          RST from the server side, what arrived is a prefix of EXPECTFILE
#   dmn_make_body FILE BYTES    a file of BYTES random bytes (exact-bytes check)

DMN_GROUPS=()
DMN_WEB=""

dmn_need_root() {
	[ "$(id -u)" = 0 ] && return 0
	if in_ci; then
		echo "  FAIL: must run as root (the daemons drop privileges)"
		exit 1
	fi
	skip "must run as root (the daemons start as root and drop privileges)"
}

dmn_webdir() {
	DMN_WEB=$(mktemp -d /tmp/abortclose-dmn.XXXXXX)
	chmod 755 "$DMN_WEB"
}

dmn_readable_by() {
	setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups test -r "$2"
}

dmn_bg_group() {
	local var=$1 out=$2 err=$3
	shift 3
	setsid "$@" >"$out" 2>"$err" </dev/null &
	DMN_GROUPS+=("$!")
	AC_PIDS+=("$!")
	printf -v "$var" '%s' "$!"
}

dmn_kill_group() {
	kill -KILL -- "-$1" 2>/dev/null
	ac_wait "$1" 5 || true
}

dmn_cleanup() {
	local g
	for g in "${DMN_GROUPS[@]}"; do
		kill -KILL -- "-$g" 2>/dev/null
	done
	if [ -n "$DMN_WEB" ]; then
		if [ "$AC_FAILED" -gt 0 ] || [ "${AC_KEEP:-0}" = 1 ]; then
			echo "  (daemon files kept in $DMN_WEB)"
		else
			rm -rf "$DMN_WEB"
		fi
	fi
	ac_cleanup
}
trap dmn_cleanup EXIT

dmn_field() {
	sed -nE "s/^(status|requests)=.*/ &/; s/.* $2=([^ ]*).*/\1/p" "$1" | tail -n1
}

dmn_make_body() {
	head -c "$2" /dev/urandom >"$1"
	chmod 644 "$1"
}

# dmn_http_verdict NAME WHY EXPECT PORT OUT EXPECTFILE [SAVED]: the case
# fails with WHY when it could not be run as meant (non-empty WHY), else
# dmn_http_case.
dmn_http_verdict() {
	local name=$1 why=$2
	shift 2
	if [ -n "$why" ]; then
		fail "$name" "$why"
	else
		dmn_http_case "$name" "$@"
	fi
}

# dmn_http_case NAME EXPECT PORT OUT EXPECTFILE [SAVED]: SAVED is the body
# dmn_http saved (--save), for the prefix check of the rst cases.
dmn_http_case() {
	local name=$1 expect=$2 port=$3 out=$4 file=$5 saved=${6:-} why=""
	local status first body match rst fin size
	status=$(dmn_field "$out" status)
	first=$(dmn_field "$out" first)
	body=$(dmn_field "$out" body)
	match=$(dmn_field "$out" match)
	rst=$(count_rst_from server "$port")
	fin=$(count_fin_from server "$port")
	size=$(stat -c %s "$file")
	case $expect in
	fin)
		[ "$status" = 200 ] || why="status ${status:-?}"
		[ "$first" = EOF ] || why="${why:+$why; }first=$first, want EOF"
		[ "$match" = 1 ] || why="${why:+$why; }body is not the file (got ${body:-?} of $size bytes)"
		[ "$fin" -ge 1 ] || why="${why:+$why; }no FIN from the server"
		[ "$rst" -eq 0 ] || why="${why:+$why; }$rst RST from the server"
		;;
	rst | eof)
		if [ "$expect" = rst ]; then
			[ "$first" = ECONNRESET ] || why="first=$first, want ECONNRESET"
			[ "$rst" -ge 1 ] || why="${why:+$why; }no RST from the server"
			[ "$fin" -eq 0 ] || why="${why:+$why; }$fin FIN from the server"
		else
			[ "$first" = EOF ] || why="first=$first, want EOF"
			[ "$fin" -ge 1 ] || why="${why:+$why; }no FIN from the server"
			[ "$rst" -eq 0 ] || why="${why:+$why; }$rst RST from the server"
		fi
		if [ -n "$saved" ] && ! cmp -s -n "${body:-0}" "$saved" "$file"; then
			why="${why:+$why; }what arrived is not a prefix of the file"
		fi
		;;
	*) why="bad EXPECT $expect" ;;
	esac
	local evidence="client: status=$status first=$first body=$body/$size; from server: RST=$rst FIN=$fin"
	if [ -n "$why" ]; then
		fail "$name" "$why [$evidence; wire: $(wire_summary "$port")]"
	else
		pass "$name ($expect: $evidence)"
	fi
}
