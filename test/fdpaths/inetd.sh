#!/bin/bash
# inetd.sh - real fork+exec daemons from Debian (issue 3): openbsd-inetd and
# socat serve a 5 MB reply from an exec'd service (fd_service) that never
# closes its connection.  Byte-exact + FIN when the service exits 0; RST
# when it exits 1 or is killed with -9 from outside (controls: ABORTCLOSE=off
# gives FIN).  The daemon runs under the library too, so its own routine
# close of its copy after the fork (sharing, holders.c) is exercised.
#
# openbsd-inetd removes LD_* (and PATH, HOME, ...) from its services'
# environment (see `strings /usr/sbin/inetd`: "DISPLAY= EDITOR= ... LD_
# ... PATH="), so a service only runs under the library when inetd.conf
# says so: `/usr/bin/env env LD_PRELOAD=/path/libabortclose.so service`.
# A service left without it is disarmed by the library at inetd's exec
# (invariant 1: its graceful end stays graceful; it has no crash protection).
# socat keeps the environment; its EXEC relays through a socketpair unless
# `nofork` is given, so only `EXEC:...,nofork` hands the TCP socket itself to
# the service.
# Ports 24550-24599.
. "$(dirname "$0")/lib-fd.sh"
SVC="$AC_BIN/fd_service"
need_lib "$SVC"
need_tool tcpdump
need_tool inetd
need_tool socat
INETD=$(command -v inetd)
MB5=5242880

# svc_line PORT LIBMODE END: one inetd.conf line for fd_service on PORT.
svc_line() {
	local port=$1 mode=$2 end=$3 pidfile="$AC_TMP/svc-$1.pid" wrap=""
	case $mode in
	on) wrap="/usr/bin/env env LD_PRELOAD=$AC_PRELOAD $SVC" ;;
	off) wrap="/usr/bin/env env LD_PRELOAD=$AC_PRELOAD ABORTCLOSE=off $SVC" ;;
	scrubbed) wrap="$SVC fd_service" ;;
	esac
	echo "127.0.0.1:$port stream tcp nowait root $wrap $MB5 $end $pidfile"
}

# daemon_case NAME EXPECT PORT END: one connection to the service on PORT
# (its daemon is already listening); END pause = kill -9 from outside.
daemon_case() {
	local name=$1 expect=$2 port=$3 end=$4 pidfile="$AC_TMP/svc-$3.pid"
	local d="$AC_TMP/$name" ppid pst=0 why="" pid
	mkdir -p "$d"
	: >"$d/none.err"
	capture_start "$port" || { fail "$name" "tcpdump did not start"; return; }
	ac_bg ppid "$d/peer.out" "$d/peer.err" "$AC_BIN/peer" client --port "$port" --timeout 20
	if [ "$end" = pause ]; then
		if wait_for_line "$pidfile" '^[0-9]+$' 20 >/dev/null; then
			pid=$(cat "$pidfile")
			kill -KILL "$pid"
			fd_wait_gone "$pid" 20 || why="service $pid still running"
		else
			why="service never wrote $pidfile"
		fi
	fi
	ac_wait "$ppid" 30 || pst=$?
	capture_stop || why="${why:+$why; }capture incomplete"
	if [ -n "$why" ]; then
		fail "$name" "$why"
		return
	fi
	local err="$d/none.err"
	[ -e "$pidfile.err" ] && err="$pidfile.err"
	fd_verdict "$name" "$expect" "$port" $MB5 "$d/peer.out" "$err" "$pst"
}

# start_inetd PIDVAR CONF LIBMODE PORTS...: inetd -d (foreground) with CONF,
# ready once every port listens.
start_inetd() {
	local var=$1 conf=$2 mode=$3 i=0 pt ok
	shift 3
	local -a envargs
	mapfile -t envargs < <(fd_lib_env "$mode")
	ac_bg "$var" "$conf.out" "$conf.err" env "${envargs[@]}" "$INETD" -d "$conf"
	while [ $i -lt 500 ]; do
		ok=1
		for pt in "$@"; do port_listening "$pt" || ok=0; done
		[ $ok = 1 ] && return 0
		sleep 0.02
		i=$((i + 1))
	done
	echo "  inetd did not listen on $*: $(head -c 300 "$conf.err")"
	return 1
}

# --- openbsd-inetd under the library, services wrapped to load it --------------
conf="$AC_TMP/inetd-lib.conf"
{
	svc_line 24550 on exit0
	svc_line 24551 on exit1
	svc_line 24552 off exit1
	svc_line 24553 on pause
	svc_line 24554 off pause
	svc_line 24555 on stdio-exit0
	svc_line 24556 scrubbed exit0
	svc_line 24557 scrubbed exit1
} >"$conf"
if start_inetd ipid "$conf" on 24550 24551 24552 24553 24554 24555 24556 24557; then
	daemon_case inetd-service-exit0 fin 24550 exit0
	daemon_case inetd-service-exit1-on rst 24551 exit1
	daemon_case inetd-service-exit1-off fin 24552 exit1
	daemon_case inetd-service-kill9-on rst 24553 pause
	daemon_case inetd-service-kill9-off fin 24554 pause
	daemon_case inetd-service-stdio-exit0 fin 24555 stdio-exit0
	# The service inetd strips LD_PRELOAD from: disarmed at the exec, so its
	# graceful end is graceful; its exit 1 cannot be told from exit 0.
	daemon_case inetd-unwrapped-service-exit0 fin 24556 exit0
	out=$(daemon_case inetd-unwrapped-service-exit1 fin 24557 exit1)
	fd_info inetd-unwrapped-service-exit1 "no crash protection without LD_PRELOAD in inetd.conf: $(fd_evidence "$out")"
	kill -TERM "$ipid"
	ac_wait "$ipid" 10 || true
else
	fail inetd-under-lib "inetd did not start"
fi

# --- openbsd-inetd without the library, only the services load it -------------
conf="$AC_TMP/inetd-nolib.conf"
{
	svc_line 24560 on exit0
	svc_line 24561 on exit1
	svc_line 24562 on pause
} >"$conf"
if start_inetd ipid "$conf" nolib 24560 24561 24562; then
	daemon_case plain-inetd-service-exit0 fin 24560 exit0
	daemon_case plain-inetd-service-exit1 rst 24561 exit1
	daemon_case plain-inetd-service-kill9 rst 24562 pause
	kill -TERM "$ipid"
	ac_wait "$ipid" 10 || true
else
	fail inetd-without-lib "inetd did not start"
fi

# --- socat TCP-LISTEN:...,fork EXEC:...,nofork under the library --------------
# socat_case NAME EXPECT PORT LIBMODE END [EXEC_OPTS]
socat_case() {
	local name=$1 expect=$2 port=$3 mode=$4 end=$5 opts=${6-,nofork} spid i=0
	local -a envargs
	mapfile -t envargs < <(fd_lib_env "$mode")
	ac_bg spid "$AC_TMP/socat-$port.out" "$AC_TMP/socat-$port.err" env "${envargs[@]}" socat \
		"TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" \
		"EXEC:$SVC $MB5 $end $AC_TMP/svc-$port.pid$opts"
	while ! port_listening "$port" && [ $i -lt 500 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	daemon_case "$name" "$expect" "$port" "$end"
	kill -TERM "$spid"
	ac_wait "$spid" 10 || true
	# (in relay mode socat reports its child's exit status on stderr)
	if [ -n "$opts" ] && [ -s "$AC_TMP/socat-$port.err" ]; then
		fail "$name" "socat: $(head -c 300 "$AC_TMP/socat-$port.err")"
	fi
}
socat_case socat-nofork-exit0 fin 24570 on exit0
socat_case socat-nofork-exit1-on rst 24571 on exit1
socat_case socat-nofork-exit1-off fin 24572 off exit1
socat_case socat-nofork-kill9-on rst 24573 on pause
socat_case socat-nofork-kill9-off fin 24574 off pause
# Without nofork socat relays through a socketpair: the TCP end is socat's
# own, which ends it gracefully when the service goes away (socat's choice).
out=$(socat_case socat-relay-exit1 fin 24575 on exit1 "")
fd_info socat-relay-exit1 "socat's relay ends the TCP side itself: $(fd_evidence "$out")"
ac_finish
