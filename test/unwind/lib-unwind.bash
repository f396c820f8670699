# lib-unwind.bash - one long-running server, several connections, each with
# its own capture and verdict (source after test/lib.sh).
#
#   srv_start NAME PORT VAR=VAL... -- CMD...   start CMD with the library
#        preloaded (VAR=VAL go into its environment; SRV_NOLIB=1: no library,
#        SRV_WRAP=1: CMD is run through scripts/abortclose); waits for READY
#   conn_case NAME REQUEST EXPECT WANT   one connection: the client sends
#        REQUEST, the server answers; EXPECT fin: the peer's first event is
#        EOF after exactly WANT (printf %b text), >= 1 FIN, 0 RST from the
#        server; rst: ECONNRESET, what arrived is a prefix of WANT, >= 1 RST,
#        0 FIN.  Waits for the server's DONE line of this connection.
#   srv_stop                                   kill the server (ours)
UW_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRV_PID="" SRV_DIR="" SRV_PORT="" SRV_DONE=0 SRV_NAME=""

srv_start() {
	local name=$1 port=$2 envs=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	SRV_NAME=$name SRV_PORT=$port SRV_DONE=0 SRV_DIR="$AC_TMP/$name"
	mkdir -p "$SRV_DIR"
	if port_listening "$port"; then
		fail "$name" "port $port already in use"
		return 1
	fi
	if [ "${SRV_NOLIB:-0}" = 1 ]; then
		ac_bg SRV_PID "$SRV_DIR/out" "$SRV_DIR/err" env RUST_BACKTRACE=0 "${envs[@]}" "$@"
	elif [ "${SRV_WRAP:-0}" = 1 ]; then
		# The wrapper puts the library first in LD_PRELOAD: a sanitizer
		# build (whose runtime must come first) cannot go through it.
		local lib=$AC_LIB
		[ -z "${AC_PRELOAD_PREFIX:-}" ] || lib=$AC_BUILD/libabortclose.so
		ac_bg SRV_PID "$SRV_DIR/out" "$SRV_DIR/err" env RUST_BACKTRACE=0 "${envs[@]}" \
			ABORTCLOSE_LIB="$lib" "$AC_ROOT/scripts/abortclose" "$@"
	else
		ac_bg SRV_PID "$SRV_DIR/out" "$SRV_DIR/err" env LD_PRELOAD="$(ac_preload)" \
			RUST_BACKTRACE=0 "${envs[@]}" "$@"
	fi
	if ! wait_for_line "$SRV_DIR/out" '^READY ' 10 "$SRV_PID" >/dev/null; then
		fail "$name" "server not ready: $(head -c 300 "$SRV_DIR/err" | tr '\n' '|')"
		return 1
	fi
}

srv_stop() {
	[ -n "$SRV_PID" ] || return 0
	kill -KILL "$SRV_PID" 2>/dev/null
	ac_wait "$SRV_PID" 5 || true
	if grep -q "cannot be preloaded" "$SRV_DIR/err"; then
		fail "$SRV_NAME" "library not loaded: $(grep -m1 'cannot be preloaded' "$SRV_DIR/err")"
	fi
	SRV_PID=""
}

# The n-th DONE line of the server (n = 1, 2...), within 10 s.
srv_done_line() {
	local n=$1 i=0
	while [ "$i" -lt 500 ]; do
		[ "$(grep -c '^DONE ' "$SRV_DIR/out")" -ge "$n" ] && { grep '^DONE ' "$SRV_DIR/out" | sed -n "${n}p"; return 0; }
		ac_running "$SRV_PID" || break
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}

conn_case() {
	local name="$SRV_NAME/$1" req=$2 expect=$3 want=$4 out first got data rst fin why done_line
	local want_text want_esc
	want_text=$(printf '%b_' "$want")
	want_text=${want_text%_}
	want_esc=$(printf '%s' "$want_text" | python3 -c 'import sys; print(sys.stdin.buffer.read().decode("latin-1").encode("unicode_escape").decode())')
	capture_start "$SRV_PORT" || { fail "$name" "tcpdump did not start"; return; }
	out=$(with_timeout 30 python3 "$UW_DIR/client.py" "$SRV_PORT" "$req")
	SRV_DONE=$((SRV_DONE + 1))
	done_line=$(srv_done_line "$SRV_DONE") || why="server printed no DONE line for this connection"
	capture_stop || why="${why:+$why; }capture incomplete"
	rst=$(count_rst_from server "$SRV_PORT")
	fin=$(count_fin_from server "$SRV_PORT")
	first=$(sed -nE 's/.* first=([^ ]*).*/\1/p' <<<"$out")
	got=$(sed -nE 's/^bytes=([0-9]+).*/\1/p' <<<"$out")
	data=$(sed -nE 's/.* data=(.*)$/\1/p' <<<"$out")
	why="${why:+$why; }$(expect_verdict "$expect" server "$first" "$got" "${#want_text}" "$rst" "$fin")"
	why=${why#; }
	case $expect in
	fin) [ "$data" = "$want_esc" ] || why="${why:+$why; }data '$data', want '$want_esc'" ;;
	rst) [[ "$want_esc" == "$data"* ]] || why="${why:+$why; }data '$data' is not a prefix of '$want_esc'" ;;
	esac
	if [ -z "$why" ]; then
		pass "$name: $expect, peer $first after $got bytes, server RST=$rst FIN=$fin (${done_line#DONE })"
	else
		fail "$name" "$why [wire: $(wire_summary "$SRV_PORT")] [client: $out]"
	fi
}
