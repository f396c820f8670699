# core-deaths.bash - body of core_deaths_server.sh / core_deaths_client.sh
# (sourced; not a test by itself: run-all.sh runs only *.sh).
#
# The side under test (ROLE) dies in every way that must end its TCP
# connections with RST (issue 2: "Fatal signals, kill -9, abort(): nothing
# runs, the sockets stay armed"; exit status != 0 under the default
# ABORTCLOSE_ON_EXIT=status keeps them armed too).  For each death, IPv4 and
# IPv6, two runs:
#   on   the library preloaded, default policy: RST, peer sees ECONNRESET
#   off  the library preloaded with ABORTCLOSE=off: the kernel's ordinary
#        FIN, the peer reads all the data and EOF - proves the case can tell
#        the library's effect from the kernel's.
# Needs ROLE (server|client) and PORT_BASE from the including script.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
need_lib
need_tool tcpdump

# death mode -> what it is (the victim's end modes, test/progs/victim.c)
DEATHS="external sigkill sigsegv sigabort sigterm exit1 return1 _exit1"
BYTES=262144

port=$PORT_BASE
for fam in 4 6; do
	for mode in $DEATHS; do
		CASE_ENV=()
		run_tcp_case "$ROLE-v$fam-$mode-on" "$ROLE" "$fam" "$port" "$BYTES" "$mode" rst
		port=$((port + 1))
		CASE_ENV=(ABORTCLOSE=off)
		run_tcp_case "$ROLE-v$fam-$mode-off" "$ROLE" "$fam" "$port" "$BYTES" "$mode" fin
		port=$((port + 1))
	done
done
CASE_ENV=()
ac_finish
