# lib-sshd.sh - a private OpenSSH server for test/daemons/sshd.sh (source it
# after test/lib.sh).
#
#   sshd_setup              temp config: host key and client key generated
#                           into a world-readable dir of the test's own,
#                           key authentication only, UsePAM no, the
#                           non-root user actest9 (created once, idempotent;
#                           password field "*": not locked, no password)
#   sshd_start PORT VAR=VAL...   /usr/sbin/sshd -D -e -f CONF under
#                           scripts/abortclose (env VAR=VAL first), on
#                           127.0.0.1:PORT; waits until it listens
#   sshd_stop               SIGTERM to the daemon (its PidFile), bounded wait
#   ssh_run USER CMD...     the client, BatchMode, the generated key
#                           (SSH_LOGLEVEL, default error; info shows
#                           "Connection reset by peer"; SSH_WRAP: a
#                           command line put in front of ssh, e.g. strace)
#   first_flag_from_server PORT   R or F: which of RST/FIN the server sent
#                           first in the last capture ("" if neither)
#   sshd_conns_gone PORT    wait until no connection of PORT is left on the
#                           server side (sshd's session processes have
#                           exited: their RST/FIN is on the wire)
SSHD_USER=actest9

sshd_setup() {
	need_tool /usr/sbin/sshd
	need_tool ssh
	need_tool ssh-keygen
	SSHD_DIR="$AC_TMP/sshd"
	mkdir -p "$SSHD_DIR/pub" /run/sshd
	chmod 755 "$AC_TMP" "$SSHD_DIR" "$SSHD_DIR/pub"
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/host_key" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/client_key" || return 1
	cp "$SSHD_DIR/client_key.pub" "$SSHD_DIR/pub/authorized_keys"
	chmod 644 "$SSHD_DIR/pub/authorized_keys"
	if ! id "$SSHD_USER" >/dev/null 2>&1; then
		useradd -M -d /nonexistent -s /bin/sh "$SSHD_USER" 2>/dev/null ||
			id "$SSHD_USER" >/dev/null 2>&1 || return 1
	fi
	# UsePAM no: sshd itself refuses a locked ("!") password field.
	usermod -p '*' "$SSHD_USER" 2>/dev/null || true
}

sshd_start() {
	local port=$1
	shift
	cat >"$SSHD_DIR/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $SSHD_DIR/host_key
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/pub/authorized_keys
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
LogLevel VERBOSE
CONF
	rm -f "$SSHD_DIR/sshd.pid"
	SSHD_PORT=$port
	# stderr through a pipe: sshd's pre-auth child sets RLIMIT_FSIZE=0, and
	# the library drops lines it cannot write to a file rather than let
	# SIGXFSZ kill the child; a pipe has no size limit.
	env ABORTCLOSE_LIB="$AC_LIB" "$@" "$AC_ROOT/scripts/abortclose" -- /usr/sbin/sshd -D -e -f "$SSHD_DIR/sshd_config" \
		2>&1 </dev/null | cat >"$SSHD_DIR/sshd.log" &
	SSHD_PIPE=$!
	local i=0
	while ! port_listening "$port" && [ "$i" -lt 250 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	port_listening "$port"
}

sshd_stop() {
	local pid i=0
	pid=$(cat "$SSHD_DIR/sshd.pid" 2>/dev/null) && kill -TERM "$pid" 2>/dev/null
	while kill -0 "$SSHD_PIPE" 2>/dev/null && [ "$i" -lt 500 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	wait "$SSHD_PIPE" 2>/dev/null
}

ssh_run() {
	local user=$1
	shift
	${SSH_WRAP:-} ssh -F /dev/null -i "$SSHD_DIR/client_key" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel="${SSH_LOGLEVEL:-error}" \
		-o ConnectTimeout=10 -p "$SSHD_PORT" "$user@127.0.0.1" "$@"
}

sshd_conns_gone() {
	local port=$1 i=0
	while [ -n "$(ss -Htn state established state close-wait state fin-wait-1 state fin-wait-2 state last-ack "sport = :$port" 2>/dev/null)" ] &&
		[ "$i" -lt 500 ]; do
		sleep 0.02
		i=$((i + 1))
	done
}

first_flag_from_server() {
	tcpdump -r "$AC_CAP_FILE" -nn "tcp and src port $1" 2>/dev/null |
		sed -nE 's/.*Flags \[([^]]*)\].*/\1/p' | grep -oE '[RF]' | head -n1
}
