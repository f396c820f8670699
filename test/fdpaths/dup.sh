#!/bin/bash
# dup.sh - the dup family (issue 3, "dup family"): dup, dup2, dup3,
# fcntl(F_DUPFD), fcntl(F_DUPFD_CLOEXEC).
#
# SO_LINGER belongs to the socket, not to the fd: closing one of two fds of a
# socket sends nothing and must not disarm it (a crash afterwards still gives
# RST); closing the last one is the end of the connection (FIN, all data).
# dup2/dup3 onto the last fd of an armed socket closes it without any close()
# call (platform-facts.md section 4: "[R.] at the moment of dup2") and must be
# a graceful close.  Every crash case has its ABORTCLOSE=off control (FIN).
# Ports 24000-24099.
. "$(dirname "$0")/lib-fd.sh"
need_lib "$FD_SERVER"
need_tool tcpdump

B=262144
port=24000
for how in dup dup2 dup3 fdupfd fdupfd-cloexec; do
	# Close the copy, then crash: the original still held the socket.
	fd_crash_pair "$how-close-copy-then-crash" $port $B --case dup-close-copy --how "$how"
	# Close the original, keep the copy, crash.
	fd_crash_pair "$how-close-orig-then-crash" $((port + 2)) $B --case dup-close-orig --how "$how"
	# Close both (either order), then crash: the last close was graceful.
	fd_server_case "$how-close-both" fin $((port + 4)) $B on --case dup-close-both --how "$how"
	fd_server_case "$how-close-both-reversed" fin $((port + 5)) $B on --case dup-close-both-rev --how "$how"
	port=$((port + 10))
done
# port = 24050
# dup2/dup3 over the last reference: a close, FIN and every byte (then crash).
fd_server_case dup2-over-last-ref fin $port 1048576 on --case dup2-over-last
fd_server_case dup3-over-last-ref fin $((port + 1)) 1048576 on --case dup2-over-last --how dup3
# dup2 over an fd whose socket has another fd: nothing closes, still armed.
fd_crash_pair dup2-over-aliased-then-crash $((port + 2)) $B --case dup2-over-aliased
# ... and the survivor's close is then the graceful end.
fd_server_case dup2-over-aliased-then-close-survivor fin $((port + 4)) $B on --case dup2-over-aliased --end close
# dup2(fd, fd): a no-op; the socket stays armed and its close stays graceful.
fd_crash_pair dup2-self-then-crash $((port + 5)) $B --case dup2-self
fd_server_case dup2-self-then-close fin $((port + 7)) $B on --case dup2-self --end close
# dup2 from a closed fd fails (EBADF) and closes nothing: still armed.
fd_crash_pair dup2-failed-then-crash $((port + 8)) $B --case dup2-failed
# dup3(fd, fd) fails (EINVAL) and closes nothing.
fd_crash_pair dup3-self-einval-then-crash $((port + 10)) $B --case dup3-self
ac_finish
