#!/bin/bash
# cxx_unwind.sh - a C++ server (g++) whose RAII Conn closes its fd in the
# destructor (issue 11).  A handler that throws mid-response: ~Conn runs
# while the exception propagates (std::uncaught_exceptions() == 1): RST,
# and the server goes on serving.  The normal path, an exception caught then
# a normal close, a rethrow caught again, a std::exception_ptr held while
# closing, and a destructor run inside a catch block after the exception was
# handled (uncaught 0, printed by ~Conn and checked): FIN with every byte.
# The throw case also runs with ABORTCLOSE=off and ABORTCLOSE_ON_UNWIND=fin:
# FIN.  The same cases with the server linked with -static-libstdc++, and
# through a C++ plugin that a C host dlopen()s with RTLD_LOCAL.
# Ports 22670-22679.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-unwind.bash"
CXX_SERVER=$AC_BIN/cxx_server
CXX_SERVER_STATIC=$AC_BIN/cxx_server_static
need_lib "$CXX_SERVER" "$CXX_SERVER_STATIC" "$AC_BIN/unwind_plugin_host" "$AC_BIN/cxx_plugin.so"
need_tool tcpdump
need_tool python3

# ~Conn's own report: "CLOSE <request> uncaught=<n>".
check_uncaught() {
	local req=$1 want=$2 line
	line=$(grep -m1 "^CLOSE $req " "$SRV_DIR/out")
	[ "$line" = "CLOSE $req uncaught=$want" ] &&
		pass "$SRV_NAME/$req: ~Conn ran with uncaught_exceptions() == $want" ||
		fail "$SRV_NAME/$req: uncaught_exceptions()" "want $want, ~Conn said '$line'"
}

all_cases() {
	conn_case ok ok fin 'Hello.\nWe are done!\n'
	conn_case throw throw rst 'Hello.\n'
	conn_case after-throw-ok ok fin 'Hello.\nWe are done!\n'
	conn_case caught-then-close caught fin 'Hello.\nCaught.\n'
	conn_case rethrow-and-catch rethrow fin 'Hello.\nRethrown.\n'
	conn_case exception_ptr-held eptr fin 'Hello.\nHeld.\n'
	conn_case destructor-in-catch-block catchdtor fin 'Hello.\nIn catch.\n'
	conn_case throw-again throw rst 'Hello.\n'
	check_uncaught throw 1
	check_uncaught catchdtor 0
	check_uncaught eptr 0
}
srv_start cxx 22670 -- "$CXX_SERVER" 22670 && all_cases
srv_stop
# libstdc++ linked in statically: no __cxa_get_globals to find, the library
# follows the exception from its raise to its catch's landing pad instead.
srv_start cxx-static-libstdc++ 22674 -- "$CXX_SERVER_STATIC" 22674 && all_cases
srv_stop
srv_start cxx-static-libstdc++-ABORTCLOSE=off 22675 ABORTCLOSE=off -- "$CXX_SERVER_STATIC" 22675 && {
	conn_case throw throw fin 'Hello.\n'
}
srv_stop

srv_start cxx-ABORTCLOSE=off 22671 ABORTCLOSE=off -- "$CXX_SERVER" 22671 && {
	conn_case throw throw fin 'Hello.\n'
	conn_case ok ok fin 'Hello.\nWe are done!\n'
}
srv_stop
srv_start cxx-ON_UNWIND=fin 22672 ABORTCLOSE_ON_UNWIND=fin -- "$CXX_SERVER" 22672 && {
	conn_case throw throw fin 'Hello.\n'
}
srv_stop
# A C host that dlopen()s a C++ plugin with RTLD_LOCAL: libstdc++ and
# libgcc_s come after the library, outside the global scope.
PLUGIN_HOST=$AC_BIN/unwind_plugin_host PLUGIN=$AC_BIN/cxx_plugin.so
srv_start cxx-plugin-RTLD_LOCAL 22676 -- "$PLUGIN_HOST" "$PLUGIN" 22676 && {
	conn_case ok ok fin 'Hello.\nWe are done!\n'
	conn_case throw throw rst 'Hello.\n'
	conn_case caught-then-close caught fin 'Hello.\nCaught.\n'
	conn_case throw-again throw rst 'Hello.\n'
}
srv_stop
srv_start cxx-plugin-RTLD_LOCAL-ABORTCLOSE=off 22677 ABORTCLOSE=off -- "$PLUGIN_HOST" "$PLUGIN" 22677 && {
	conn_case throw throw fin 'Hello.\n'
}
srv_stop
# exit(0) from a destructor during the unwinding, the connection still open:
# the exit policy decides (status 0: FIN with every byte), not the unwinding.
srv_start cxx-exit0-while-unwinding 22678 -- "$CXX_SERVER" 22678 && {
	conn_case throw-exit0 throw-exit0 fin 'Hello.\n'
	ac_wait "$SRV_PID" 10
	st=$?
	[ "$st" = 0 ] && pass "cxx-exit0-while-unwinding: the server exited with status 0" ||
		fail "cxx-exit0-while-unwinding: exit status" "$st, want 0"
}
srv_stop
# ON_CLOSE=rst: the normal path's destructor close is a plain close too.
srv_start cxx-ON_CLOSE=rst 22673 ABORTCLOSE_ON_CLOSE=rst -- "$CXX_SERVER" 22673 && {
	conn_case ok ok rst 'Hello.\nWe are done!\n'
	conn_case throw throw rst 'Hello.\n'
}
srv_stop
ac_finish
