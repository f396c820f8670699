#!/bin/bash
# Perl, Ruby and Java servers (test/integration/langs/) under the library,
# each as a user would run it (Debian's perl, ruby, openjdk-17):
#   close     the language's own close of the socket   -> FIN, every byte
#   _exit(1)  POSIX::_exit(1), exit!(1), Runtime.halt(1) -> RST
#   kill -9                                             -> RST
# and the language's own exit(1) with the socket open: Java's System.exit(1)
# leaves it to the process's end (RST); Perl's exit(1) and Ruby's exit 1
# close their sockets first (Perl's global destruction, Ruby's IO
# finalizers), purposeful close() calls: FIN, as Python's sys.exit(1) gives
# (README, "What it cannot reach").  Perl and Ruby also as forking servers
# (fork-*): the parent closes its copy at once, the handler sends and closes
# (FIN, every byte) or _exits 1 with it open (RST).  Each RST case has its ABORTCLOSE=off
# control (FIN).  Java's close() is getsockopt(SO_LINGER), shutdown(SHUT_WR),
# close() (langs/Server.java): purposeful too.  Ports 23760-23799.
. "$(dirname "$0")/../lib.sh"
need_lib
need_tool tcpdump
D="$(dirname "$0")/langs"
have=""
for t in perl ruby java javac; do
	if command -v "$t" >/dev/null 2>&1; then
		have="$have $t"
	elif in_ci; then
		fail "$t" "$t missing (scripts/install-deps.sh)"
	else
		echo "  SKIP the $t cases: $t not installed"
	fi
done
JDIR="$AC_TMP/java"
if [[ " $have " == *" javac "* ]]; then
	mkdir -p "$JDIR"
	javac -d "$JDIR" "$D/Server.java" 2>"$AC_TMP/javac.err" ||
		{ fail javac "$(head -c 300 "$AC_TMP/javac.err")"; have=${have/ java/}; }
fi

port=23760
while read -r lang name mode expect bytes slow status env; do
	case $lang in '' | '#'*) continue ;; esac
	[[ " $have " == *" $lang "* ]] || continue
	case $lang in
	perl) CASE_VICTIM_CMD=(perl "$D/server.pl" "$port" "$bytes" "$mode") ;;
	ruby) CASE_VICTIM_CMD=(ruby "$D/server.rb" "$port" "$bytes" "$mode") ;;
	java) CASE_VICTIM_CMD=(java -Xshare:auto -XX:TieredStopAtLevel=1 -cp "$JDIR" Server "$port" "$bytes" "$mode") ;;
	esac
	CASE_WANT_STATUS=$status
	CASE_ENV=()
	[ "$env" = - ] || CASE_ENV=("$env")
	CASE_PEER_OPTS=()
	[ "$slow" = 0 ] || CASE_PEER_OPTS=(--slow "$slow")
	run_tcp_case "$lang-$name" server 4 "$port" "$bytes" "$mode" "$expect"
	port=$((port + 1))
done <<'TABLE'
# lang name        mode      expect bytes   slow status env
perl   close       close     fin    1048576 3000 0   -
perl   exit1       exit1     fin    1048576 3000 1   -
perl   _exit1      _exit1    rst    262144  0    1   -
perl   _exit1-off  _exit1    fin    262144  0    1   ABORTCLOSE=off
perl   kill9       external  rst    262144  0    137 -
perl   kill9-off   external  fin    262144  0    137 ABORTCLOSE=off
perl   fork-close  fork-close  fin  1048576 3000 0   -
perl   fork-_exit1 fork-_exit1 rst  262144  0    0   -
perl   fork-_exit1-off fork-_exit1 fin 262144 0  0   ABORTCLOSE=off
ruby   close       close     fin    1048576 3000 0   -
ruby   exit1       exit1     fin    1048576 3000 1   -
ruby   _exit1      _exit1    rst    262144  0    1   -
ruby   _exit1-off  _exit1    fin    262144  0    1   ABORTCLOSE=off
ruby   kill9       external  rst    262144  0    137 -
ruby   kill9-off   external  fin    262144  0    137 ABORTCLOSE=off
ruby   fork-close  fork-close  fin  1048576 3000 0   -
ruby   fork-_exit1 fork-_exit1 rst  262144  0    0   -
ruby   fork-_exit1-off fork-_exit1 fin 262144 0  0   ABORTCLOSE=off
java   close       close     fin    1048576 3000 0   -
java   exit1       exit1     rst    262144  0    1   -
java   exit1-off   exit1     fin    262144  0    1   ABORTCLOSE=off
java   halt1       halt1     rst    262144  0    1   -
java   kill9       external  rst    262144  0    137 -
java   kill9-off   external  fin    262144  0    137 ABORTCLOSE=off
TABLE
ac_finish
