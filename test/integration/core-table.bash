# core-table.bash - run a table of run_tcp_case scenarios for both roles
# (server = accept side, client = connect side) and both families
# (sourced by core_graceful.sh and core_exit_policy.sh; not a test itself).
#
# Table rows (one per line, '#' comments allowed), whitespace separated:
#   NAME  MODE  EXPECT  BYTES  SLOW  LIB  [VAR=VALUE...]  [--linger ON,SECS]
#     MODE    a victim end mode (test/progs/victim.c)
#     EXPECT  rst | fin (see run_tcp_case in test/lib.sh)
#     SLOW    peer's microseconds of sleep per read (0 = read at full speed);
#             a slow reader keeps data unsent in the victim's socket, so an
#             armed socket at exit would visibly lose it
#     LIB     lib = library preloaded, none = not preloaded
# Needs TABLE and PORT_BASE.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
need_lib
need_tool tcpdump

port=$PORT_BASE
for role in server client; do
	for fam in 4 6; do
		while read -r name mode expect bytes slow lib rest; do
			case $name in '' | '#'*) continue ;; esac
			CASE_ENV=()
			CASE_VICTIM_OPTS=()
			CASE_PEER_OPTS=()
			CASE_NOLIB=0
			[ "$lib" = none ] && CASE_NOLIB=1
			[ "$slow" = 0 ] || CASE_PEER_OPTS=(--slow "$slow")
			# shellcheck disable=SC2086 # the row's remaining words, split on purpose
			set -- $rest
			while [ $# -gt 0 ]; do
				case $1 in
				--linger) CASE_VICTIM_OPTS+=(--linger "$2"); shift ;;
				*=*) CASE_ENV+=("$1") ;;
				*) echo "bad table entry: $1" >&2; exit 1 ;;
				esac
				shift
			done
			run_tcp_case "$role-v$fam-$name" "$role" "$fam" "$port" "$bytes" "$mode" "$expect"
			port=$((port + 1))
		done <<<"$TABLE"
	done
done
CASE_ENV=()
CASE_VICTIM_OPTS=()
CASE_PEER_OPTS=()
CASE_NOLIB=0
ac_finish
