#!/bin/bash
# bad_input.sh - the bad-input table (issue 6): for every ABORTCLOSE_*
# variable, values that must be refused.  For each row:
#   * a host program (/bin/echo) run with the library preloaded still runs
#     unaffected (its output and exit status are unchanged), and the library
#     prints exactly one stderr line, naming the variable;
#   * `scripts/abortclose --check` exits 2 and prints that same line.
# Duplicate keys cannot be made with `env`; python's os.execve passes them.
# The same table is in README.md ("Bad input").  No network use.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIB=${AC_LIB_UNDER_TEST:-$ROOT/build/libabortclose.so}
WRAP=$ROOT/scripts/abortclose
[ -f "$LIB" ] || { echo "  FAIL setup: $LIB missing (make)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A checkout path with ' ' or ':' cannot be named in LD_PRELOAD: a copy.
case $LIB in *[[:space:]:]*) cp "$LIB" "$tmp/libabortclose.so" && LIB=$tmp/libabortclose.so ;; esac
pass=0 failn=0
# "Huge": the kernel refuses any single environment string over 128 KiB
# (MAX_ARG_STRLEN) at exec, so 1 MB cannot reach a program: 127 KiB is the
# largest value a program can be given.
big=$(head -c 130000 /dev/zero | tr '\0' 'x')

# name|value  (printf %b escapes: \x01 control byte, \xff non-UTF-8)
TABLE=(
"ABORTCLOSE|" "ABORTCLOSE|   " "ABORTCLOSE|maybe" "ABORTCLOSE|-1" "ABORTCLOSE|2" "ABORTCLOSE|o\x01n"
"ABORTCLOSE_ON_EXIT|" "ABORTCLOSE_ON_EXIT|  " "ABORTCLOSE_ON_EXIT|sometimes" "ABORTCLOSE_ON_EXIT|-1"
"ABORTCLOSE_ON_EXIT|99999999999" "ABORTCLOSE_ON_EXIT|st\xffatus" "ABORTCLOSE_ON_EXIT|BIG"
"ABORTCLOSE_ON_SHUTDOWN|" "ABORTCLOSE_ON_SHUTDOWN|close" "ABORTCLOSE_ON_SHUTDOWN|1"
"ABORTCLOSE_ON_CLOSE|" "ABORTCLOSE_ON_CLOSE|shutdown" "ABORTCLOSE_ON_CLOSE|1" "ABORTCLOSE_ON_CLOSE|r\xffst"
"ABORTCLOSE_ON_UNWIND|" "ABORTCLOSE_ON_UNWIND|off" "ABORTCLOSE_ON_UNWIND|abort" "ABORTCLOSE_ON_UNWIND|BIG"
"ABORTCLOSE_LOG|" "ABORTCLOSE_LOG|file:" "ABORTCLOSE_LOG|file:relative/path" "ABORTCLOSE_LOG|syslog:rel"
"ABORTCLOSE_LOG|stdout" "ABORTCLOSE_LOG|BIG"
"ABORTCLOSE_LOG_LEVEL|" "ABORTCLOSE_LOG_LEVEL|verbose" "ABORTCLOSE_LOG_LEVEL|7" "ABORTCLOSE_LOG_LEVEL|-1"
"ABORTCLOSE_PORTS|" "ABORTCLOSE_PORTS| " "ABORTCLOSE_PORTS|0" "ABORTCLOSE_PORTS|65536" "ABORTCLOSE_PORTS|-80"
"ABORTCLOSE_PORTS|99999999999" "ABORTCLOSE_PORTS|9000-8000" "ABORTCLOSE_PORTS|http" "ABORTCLOSE_PORTS|80,,443"
"ABORTCLOSE_PORTS|80," "ABORTCLOSE_PORTS|!" "ABORTCLOSE_PORTS|80-" "ABORTCLOSE_PORTS|8\xff0" "ABORTCLOSE_PORTS|BIG"
"ABORTCLOSE_ROLES|" "ABORTCLOSE_ROLES|server" "ABORTCLOSE_ROLES|accepted,,connected" "ABORTCLOSE_ROLES|1"
"ABORTCLOSE_STATS|" "ABORTCLOSE_STATS|2" "ABORTCLOSE_STATS|yes" "ABORTCLOSE_STATS|-1"
"ABORTCLOSE_KEEPALIVE|" "ABORTCLOSE_KEEPALIVE|0" "ABORTCLOSE_KEEPALIVE|0,1,1" "ABORTCLOSE_KEEPALIVE|-1,1,1"
"ABORTCLOSE_KEEPALIVE|32768,1,1" "ABORTCLOSE_KEEPALIVE|1,32768,1" "ABORTCLOSE_KEEPALIVE|1,1,128" "ABORTCLOSE_KEEPALIVE|60,10"
"ABORTCLOSE_KEEPALIVE|60,10,6,1" "ABORTCLOSE_KEEPALIVE|60,,6" "ABORTCLOSE_KEEPALIVE|1m,10,6" "ABORTCLOSE_KEEPALIVE|on"
"ABORTCLOSE_KEEPALIVE|99999999999,1,1" "ABORTCLOSE_KEEPALIVE|6\xff0,10,6" "ABORTCLOSE_KEEPALIVE|BIG"
"ABORTCLOSE_USER_TIMEOUT|" "ABORTCLOSE_USER_TIMEOUT|0" "ABORTCLOSE_USER_TIMEOUT|-1" "ABORTCLOSE_USER_TIMEOUT|2147483648"
"ABORTCLOSE_USER_TIMEOUT|99999999999" "ABORTCLOSE_USER_TIMEOUT|30s" "ABORTCLOSE_USER_TIMEOUT|on" "ABORTCLOSE_USER_TIMEOUT|BIG"
"ABORTCLOSE_KEEPALIV|1,1,1" "ABORTCLOSE_USERTIMEOUT|1"
"ABORTCLOSE_ONEXIT|fin" "ABORTCLOSE_PORT|80" "ABORTCLOSEX|1" "ABORTCLOSE_LOGLEVEL|debug"
)

row() { # NAME VALUE-SPEC
	local name=$1 spec=$2 value label out st lines
	if [ "$spec" = BIG ]; then value=$big; label="<127 KiB>"; else value=$(printf '%b' "$spec"); label=$spec; fi
	# 1. the host program runs unaffected, with exactly one line on stderr
	out=$(env "$name=$value" LD_PRELOAD="$LIB" /bin/echo host-ok 2>"$tmp/err")
	st=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$st" != 0 ] || [ "$out" != host-ok ]; then
		fail_row "$name='$label'" "host program affected: status $st, output '$out'"; return
	fi
	if [ "$lines" != 1 ] || ! grep -q "^libabortclose: .*$name" "$tmp/err"; then
		fail_row "$name='$label'" "want one line naming $name, got $lines: $(head -c 200 "$tmp/err")"; return
	fi
	if [ "$(wc -c <"$tmp/err")" -gt 600 ]; then
		fail_row "$name='$label'" "line too long ($(wc -c <"$tmp/err") bytes)"; return
	fi
	# 2. the wrapper refuses with status 2 and the same line
	env "$name=$value" "$WRAP" --check >"$tmp/wout" 2>"$tmp/werr"
	st=$?
	if [ "$st" != 2 ] || ! cmp -s "$tmp/err" "$tmp/werr"; then
		fail_row "$name='$label'" "abortclose --check: status $st (want 2), line: $(head -c 200 "$tmp/werr")"; return
	fi
	pass=$((pass + 1))
	echo "  PASS $name='$label'"
}
fail_row() { failn=$((failn + 1)); echo "  FAIL $1: $2"; }

for r in "${TABLE[@]}"; do row "${r%%|*}" "${r#*|}"; done

# Duplicate keys (an execve envp may carry a name twice).
for name in ABORTCLOSE_LOG ABORTCLOSE_ON_EXIT ABORTCLOSE_PORTS; do
	out=$(python3 -c '
import ctypes, sys
name, lib = sys.argv[1], sys.argv[2]
val = {"ABORTCLOSE_LOG": "stderr", "ABORTCLOSE_ON_EXIT": "fin", "ABORTCLOSE_PORTS": "80"}[name]
entry = (name + "=" + val).encode()
argv = (ctypes.c_char_p * 3)(b"/bin/echo", b"host-ok", None)
envp = (ctypes.c_char_p * 4)(b"LD_PRELOAD=" + lib.encode(), entry, entry, None)
ctypes.CDLL(None).execve(b"/bin/echo", argv, envp)
' "$name" "$LIB" 2>"$tmp/err")
	if [ "$out" = host-ok ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "^libabortclose: $name is set more than once" "$tmp/err"; then
		pass=$((pass + 1)); echo "  PASS $name set twice"
	else
		fail_row "$name set twice" "output '$out', stderr: $(head -c 200 "$tmp/err")"
	fi
done

# Valid forms stay quiet (the table must be able to tell).
for kv in "ABORTCLOSE=ON" "ABORTCLOSE_ON_EXIT= fin " "ABORTCLOSE_PORTS=80, 443,!8080" "ABORTCLOSE_ROLES=connected,accepted"; do
	out=$(env "$kv" LD_PRELOAD="$LIB" /bin/echo host-ok 2>"$tmp/err")
	if [ "$out" = host-ok ] && [ ! -s "$tmp/err" ] && env "$kv" "$WRAP" --check >/dev/null 2>&1; then
		pass=$((pass + 1)); echo "  PASS valid '$kv' is quiet"
	else
		fail_row "valid '$kv'" "stderr: $(head -c 200 "$tmp/err")"
	fi
done

echo "  SUMMARY: $pass passed, $failn failed"
[ "$failn" = 0 ]
