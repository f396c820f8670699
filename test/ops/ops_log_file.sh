#!/bin/bash
# ABORTCLOSE_LOG=file:/path (issue 4: opened O_WRONLY|O_APPEND|O_CREAT|
# O_CLOEXEC|O_NOFOLLOW).  The scenarios of log-dest.bash (armed,
# disarmed:close, left-armed:exit-status-1, server and client) land in the
# file and nothing on stderr; and:
#   append      existing content is kept, a second process appends
#   mode        a new file is created 0644 (umask 022)
#   cloexec     the log descriptor does not leak into an exec'd program
#   symlink     a symlink as the path is refused (O_NOFOLLOW): the target is
#               not written, the link is not replaced, and the program runs
#               unaffected (exit status, all data, EOF) with the library
#               still at work (exit(1) still gives the peer a reset)
#   dangling    a dangling symlink: its target is not created
# Ports 25420-25459.
. "$(dirname "$0")/lib-ops.bash"
. "$(dirname "$0")/log-dest.bash"
need_ops
umask 022

DEST_ERR_CLEAN=1
dest_begin() { DEST_ENV=(ABORTCLOSE_LOG="file:$AC_TMP/$1.log"); }
dest_end() { echo "$AC_TMP/$1.log"; }
log_dest_scenarios 25420

# --- append: existing content first, then both processes' lines ---------------
log="$AC_TMP/append.log"
printf 'existing line\n' >"$log"
OPS_ENV=(ABORTCLOSE_LOG="file:$log" ABORTCLOSE_LOG_LEVEL=debug)
ops_case append-1 server 25430 1 --bytes 100
pid1=$OPS_VPID why1=$OPS_WHY
ops_case append-2 server 25431 1 --bytes 100
pid2=$OPS_VPID why2=$OPS_WHY
OPS_ENV=()
if [ -n "$why1$why2" ]; then
	fail append "$why1 $why2"
else
	[ "$(head -n1 "$log")" = "existing line" ] || OPS_BAD="first line replaced"
	ops_want "$log" "$(ops_log_re "$pid1" 'disarmed:close' "$(ops_addr 25430)")" 1 "first process"
	ops_want "$log" "$(ops_log_re "$pid2" 'disarmed:close' "$(ops_addr 25431)")" 1 "second process"
	# The first process's lines all come before the second's.
	last1=$(grep -n "libabortclose\\[$pid1\\]" "$log" | tail -n1 | cut -d: -f1)
	first2=$(grep -n "libabortclose\\[$pid2\\]" "$log" | head -n1 | cut -d: -f1)
	[ "${last1:-0}" -lt "${first2:-0}" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }lines not appended in order"
	ops_verdict append "$(wc -l <"$log") lines, 'existing line' kept" "$log"
fi

# --- mode of a new file ---------------------------------------------------------
mode=$(stat -c %a "$AC_TMP/server-close.log" 2>/dev/null || echo none)
if [ "$mode" = 644 ]; then pass "mode (new file 0644)"; else fail mode "mode $mode, want 644"; fi

# --- cloexec: a program exec'd without the library must not hold the log ------
log="$AC_TMP/cloexec.log"
leak=$(env LD_PRELOAD="$(ac_preload)" ABORTCLOSE_LOG="file:$log" ABORTCLOSE_LOG_LEVEL=debug \
	sh -c 'LD_PRELOAD= exec ls -l /proc/self/fd/' 2>&1 | grep -c -- "$log" || true)
if [ ! -e "$log" ]; then
	fail cloexec "the shell under the library did not create $log"
elif [ "$leak" != 0 ]; then
	fail cloexec "the exec'd program holds the log file open ($leak fd)"
else
	pass "cloexec (log created by the shell, not held by the exec'd program)"
fi

# --- symlink: refused, program unaffected --------------------------------------
target="$AC_TMP/symlink-target"
link="$AC_TMP/symlink.log"
printf 'do not touch\n' >"$target"
ln -s "$target" "$link"
for end in close exit1; do
	name=symlink-$end
	keep=0 want_first=EOF want_st=0
	[ "$end" = exit1 ] && keep=1 want_first=ECONNRESET want_st=1
	OPS_ENV=(ABORTCLOSE_LOG="file:$link" ABORTCLOSE_LOG_LEVEL=debug)
	ops_case "$name" server $((25440 + keep)) 1 --bytes 65536 --keep "$keep" --end "$end"
	OPS_ENV=()
	[ -z "$OPS_WHY" ] || { fail "$name" "$OPS_WHY"; continue; }
	[ "$(cat "$target")" = "do not touch" ] || OPS_BAD="target written: $(ops_show "$target")"
	[ -L "$link" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }the link was replaced"
	[ "$OPS_VST" = "$want_st" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }victim status $OPS_VST, want $want_st"
	[ "$(ops_firsts)" = "$want_first" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }peer first=$(ops_firsts), want $want_first"
	[ "$end" = exit1 ] || ops_obs_ok 65536 || OPS_BAD="${OPS_BAD:+$OPS_BAD; }peer did not get all 65536 bytes"
	grep -q '^SENT ' "$OPS_DIR/victim.out" || OPS_BAD="${OPS_BAD:+$OPS_BAD; }program output lost"
	ops_verdict "$name" "target untouched, status $OPS_VST, peer $(ops_firsts); stderr: $(ops_show "$OPS_DIR/victim.err")" "$target"
done

# --- dangling symlink: O_CREAT must not create the target through it ---------
target="$AC_TMP/dangling-target"
link="$AC_TMP/dangling.log"
ln -s "$target" "$link"
OPS_ENV=(ABORTCLOSE_LOG="file:$link" ABORTCLOSE_LOG_LEVEL=debug)
ops_case dangling server 25442 1 --bytes 100
OPS_ENV=()
if [ -n "$OPS_WHY" ]; then
	fail dangling "$OPS_WHY"
elif [ -e "$target" ]; then
	fail dangling "target created through the symlink: $(ops_show "$target")"
elif [ "$OPS_VST" != 0 ] || [ "$(ops_firsts)" != EOF ]; then
	fail dangling "program affected: status $OPS_VST, peer $(ops_firsts)"
else
	pass "dangling (target not created, program unaffected)"
fi

ac_finish
