/* sandbox.c - never get the host killed or changed by a call of our own
 * under seccomp.
 *
 * Model.  A seccomp filter (kernel/seccomp.c) judges every later system call
 * of the thread that installs it (all threads with TSYNC), and of its future
 * children and exec'd programs; filters only stack, never go away, and the
 * most restrictive verdict wins.  The library then issues calls the program
 * never would (setsockopt SO_LINGER at a close, /proc reads of the holder
 * search, log writes...): under sshd's pre-authentication sandbox such a
 * call is answered with SIGSYS.  So:
 *
 *  - at load (constructor, before any other call of ours): the Seccomp:
 *    field of /proc/self/status.  Non-zero, or unreadable: pure
 *    pass-through for this process (the filter is invisible to us).  It is
 *    read with openat/read/close, which the dynamic loader has just issued
 *    with the same arguments to load us;
 *  - when the program installs a filter, through prctl(PR_SET_SECCOMP) or
 *    syscall(SYS_seccomp) (libseccomp's seccomp_load uses either, OpenSSH's
 *    sandbox-seccomp-filter.c uses prctl): before it goes in, the classic-BPF
 *    program is run (policy/bpf_eval.c) over every call the library may
 *    still make, with the arguments it would use.  All allowed (ALLOW or
 *    LOG): nothing changes.  Anything else, or a filter that cannot be
 *    evaluated (strict mode, a user-notification listener, an instruction
 *    we do not know, a load of the instruction pointer): the library steps
 *    back for good in this process, and so in its children (memory) and
 *    exec'd programs (Seccomp: 2 at their load).  Filters apply per thread;
 *    we assume the most restrictive case and step back process-wide.
 *
 * Stepping back, before the real call: every armed connection whose only
 * holder is this process is disarmed now, so its later close (which we will
 * no longer see) gives FIN with every byte; one another live process holds
 * (sshd's monitor, ac_find_other_holder() > 0) stays armed, so that holder's
 * crash still gives RST; a holder we cannot determine (-1) means disarm
 * (invariant 1).  Then one info line, and ac_active = 0: no call of ours any
 * more, including at exit.  If the kernel then refuses the filter (EINVAL,
 * EACCES without no_new_privs), the library stays stepped back: protection
 * is lost for that process, never data.
 *
 * Not seen: a filter installed with an inline syscall instruction (Go,
 * static code), and a second thread already inside our close path while
 * the filter goes in with TSYNC. */
#include "sandbox.h"
#include "bpf_eval.h"
#include "state.h"
#include "ledger.h"
#include "export.h"
#include "log.h"
#include "real.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define AC_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AC_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

/* --- at load ----------------------------------------------------------------- */

bool ac_sandbox_present_at_load(const char **why)
{
	char buf[4096];
	int saved = errno;
	/* O_RDONLY|O_CLOEXEC on AT_FDCWD: what ld.so's open of this library
	 * used, so a filter that let the loader run lets this through too. */
	long fd = ac_sys(SYS_openat, AT_FDCWD, (long)"/proc/self/status", O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0) {
		AC_ERRNO_RESTORE(saved);
		*why = "/proc/self/status cannot be read, so a seccomp filter cannot be ruled out";
		return true;
	}
	size_t got = 0;
	for (;;) {
		long n = ac_sys(SYS_read, fd, (long)(buf + got), (long)(sizeof buf - 1 - got), 0, 0, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= sizeof buf - 1)
			break;
	}
	ac_sys(SYS_close, fd, 0, 0, 0, 0, 0);
	AC_ERRNO_RESTORE(saved);
	buf[got] = 0;
	const char *f = strstr(buf, "\nSeccomp:");
	if (!f) {
		*why = "no Seccomp: field in /proc/self/status, so a seccomp filter cannot be ruled out";
		return true;
	}
	f += 9;
	while (*f == ' ' || *f == '\t')
		f++;
	if (f[0] == '0' && (f[1] == '\n' || f[1] == 0))
		return false;
	*why = f[0] == '1' ? "the process runs in seccomp strict mode"
			   : "a seccomp filter was already in force at load (Seccomp: 2 in /proc/self/status)";
	return true;
}

void ac_sandbox_say_at_load(const char *why)
{
	if (ac_policy.log_level < AC_LEVEL_INFO)
		return;
	char line[512], *p = line, *end = line + sizeof line - 1;
	p = ac_fmt_str(p, end, "libabortclose[");
	p = ac_fmt_ulong(p, end, (unsigned long)ac_sys(SYS_getpid, 0, 0, 0, 0, 0, 0));
	p = ac_fmt_str(p, end, "]: stepped back for good (no call of its own, every socket passed through): ");
	p = ac_fmt_str(p, end, why);
	*p++ = '\n';
	int saved = errno;
	long fd = 2;
	if (ac_policy.log_dest == AC_LOG_FILE)
		fd = ac_sys(SYS_openat, AT_FDCWD, (long)ac_policy.log_path,
			    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644, 0, 0);
	else if (ac_policy.log_dest != AC_LOG_STDERR)
		fd = -1; /* off; syslog would need socket+connect: not sure to be allowed */
	if (fd >= 0)
		ac_log_write((int)fd, line, (size_t)(p - line));
	if (fd > 2)
		ac_sys(SYS_close, fd, 0, 0, 0, 0, 0);
	AC_ERRNO_RESTORE(saved);
}

/* --- a filter about to go in ------------------------------------------------- */

/* Argument placeholders: the socket the call would be about, the log's fd,
 * a /proc directory fd, a pointer (a filter cannot dereference one; any
 * plausible address), our own pid/tid. */
enum { A_SOCK = -1000, A_LOG, A_DIR, A_PTR, A_PID, A_TID };

struct call {
	const char *name;
	long nr;
	long a[6];
	enum { ALWAYS, LOG, KEEPALIVE } when; /* LOG: only with a log destination;
						KEEPALIVE: only with ABORTCLOSE_KEEPALIVE/USER_TIMEOUT */
};

/* Every call the library may make after the filter: release, exit, accept,
 * socket birth, exec, fork and holder-search paths, and the log (including
 * its lazy reopen).  Keep in step with the code (a10 keeps the list of the
 * release/exit paths). */
static const struct call calls[] = {
	{ "setsockopt(SO_LINGER)", SYS_setsockopt, { A_SOCK, SOL_SOCKET, SO_LINGER, A_PTR, sizeof(struct linger), 0 }, ALWAYS },
	{ "getsockopt(SO_LINGER)", SYS_getsockopt, { A_SOCK, SOL_SOCKET, SO_LINGER, A_PTR, A_PTR, 0 }, ALWAYS },
	{ "getsockopt(SO_DOMAIN)", SYS_getsockopt, { A_SOCK, SOL_SOCKET, SO_DOMAIN, A_PTR, A_PTR, 0 }, ALWAYS },
	{ "getsockopt(SO_TYPE)", SYS_getsockopt, { A_SOCK, SOL_SOCKET, SO_TYPE, A_PTR, A_PTR, 0 }, ALWAYS },
	{ "getsockopt(SO_PROTOCOL)", SYS_getsockopt, { A_SOCK, SOL_SOCKET, SO_PROTOCOL, A_PTR, A_PTR, 0 }, ALWAYS },
	{ "getsockopt(SO_ACCEPTCONN)", SYS_getsockopt, { A_SOCK, SOL_SOCKET, SO_ACCEPTCONN, A_PTR, A_PTR, 0 }, ALWAYS },
	{ "getsockname", SYS_getsockname, { A_SOCK, A_PTR, A_PTR, 0, 0, 0 }, ALWAYS },
	{ "getpeername", SYS_getpeername, { A_SOCK, A_PTR, A_PTR, 0, 0, 0 }, ALWAYS },
	{ "fstat", SYS_newfstatat, { A_SOCK, A_PTR, A_PTR, AT_EMPTY_PATH, 0, 0 }, ALWAYS },
	{ "fcntl(F_GETFD)", SYS_fcntl, { A_SOCK, F_GETFD, 0, 0, 0, 0 }, ALWAYS },
	{ "dup", SYS_dup, { A_SOCK, 0, 0, 0, 0, 0 }, ALWAYS },
	{ "openat(/proc dir)", SYS_openat, { AT_FDCWD, A_PTR, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0 }, ALWAYS },
	{ "openat(/proc file)", SYS_openat, { AT_FDCWD, A_PTR, O_RDONLY | O_CLOEXEC, 0, 0, 0 }, ALWAYS },
	{ "getdents64", SYS_getdents64, { A_DIR, A_PTR, 1024, 0, 0, 0 }, ALWAYS },
	{ "readlinkat", SYS_readlinkat, { A_DIR, A_PTR, A_PTR, 48, 0, 0 }, ALWAYS },
	{ "read", SYS_read, { A_DIR, A_PTR, 4096, 0, 0, 0 }, ALWAYS },
	{ "pread64", SYS_pread64, { A_DIR, A_PTR, 64, 0, 0, 0 }, ALWAYS },
	{ "close", SYS_close, { A_DIR, 0, 0, 0, 0, 0 }, ALWAYS },
	{ "getpid", SYS_getpid, { 0 }, ALWAYS },
	{ "getppid", SYS_getppid, { 0 }, ALWAYS },
	{ "kill(0)", SYS_kill, { A_PID, 0, 0, 0, 0, 0 }, ALWAYS },
	{ "waitid(WNOWAIT)", SYS_waitid, { P_ALL, 0, A_PTR, WEXITED | WNOHANG | WNOWAIT, 0, 0 }, ALWAYS },
	/* The holder search after issue 10 (a10's ledger: identity.c, procfd.c). */
	{ "waitid(P_PID, WNOWAIT)", SYS_waitid, { P_PID, A_PID, A_PTR, WEXITED | WNOHANG | WNOWAIT, 0, 0 }, ALWAYS },
#ifdef SYS_kcmp
	{ "kcmp(KCMP_FILE)", SYS_kcmp, { A_PID, A_PID, 0 /* KCMP_FILE */, A_SOCK, A_SOCK, 0 }, ALWAYS },
#endif
	/* Two holders of different fork trees closing at once take turns
	 * (tie.c): a record lock on the socket, retried after a short sleep. */
	{ "fcntl(F_SETLK)", SYS_fcntl, { A_SOCK, F_SETLK, A_PTR, 0, 0, 0 }, ALWAYS },
	/* A received socket's holder mark, and the look for another's (mark.c). */
	{ "fcntl(F_GETLK)", SYS_fcntl, { A_SOCK, F_GETLK, A_PTR, 0, 0, 0 }, ALWAYS },
	{ "nanosleep", SYS_nanosleep, { A_PTR, 0, 0, 0, 0, 0 }, ALWAYS },
	/* Will an exec'd or spawned program run under the library (exec_target.c:
	 * hook_exec.c before an exec, also in a vfork child; spawn.c before
	 * posix_spawn): the file's mode, its ELF header and program headers,
	 * the PATH search. */
	{ "newfstatat(exec target)", SYS_newfstatat, { AT_FDCWD, A_PTR, A_PTR, 0, 0, 0 }, ALWAYS },
	{ "openat(exec target)", SYS_openat, { AT_FDCWD, A_PTR, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, 0, 0 }, ALWAYS },
	{ "pread64(exec target header)", SYS_pread64, { A_DIR, A_PTR, 256, 0, 0, 0 }, ALWAYS },
	{ "pread64(exec target program header)", SYS_pread64, { A_DIR, A_PTR, sizeof(Elf64_Phdr), 64, 0, 0 }, ALWAYS },
#ifdef SYS_faccessat2
	{ "faccessat2(PATH search)", SYS_faccessat2, { AT_FDCWD, A_PTR, X_OK, AT_EACCESS, 0, 0 }, ALWAYS },
#endif
	{ "faccessat(PATH search)", SYS_faccessat, { AT_FDCWD, A_PTR, X_OK, 0, 0, 0 }, ALWAYS },
	/* SCM_RIGHTS hand-overs (hook_sendmsg.c, hook_recvmsg.c: the peer). */
	{ "getsockopt(SO_PEERCRED)", SYS_getsockopt, { A_SOCK, SOL_SOCKET, SO_PEERCRED, A_PTR, A_PTR, 0 }, ALWAYS },
	/* Keepalive by policy (keepalive.c), at socket birth and adoption. */
	{ "setsockopt(SO_KEEPALIVE)", SYS_setsockopt, { A_SOCK, SOL_SOCKET, SO_KEEPALIVE, A_PTR, sizeof(int), 0 }, KEEPALIVE },
	{ "setsockopt(TCP_KEEPIDLE)", SYS_setsockopt, { A_SOCK, IPPROTO_TCP, TCP_KEEPIDLE, A_PTR, sizeof(int), 0 }, KEEPALIVE },
	{ "setsockopt(TCP_KEEPINTVL)", SYS_setsockopt, { A_SOCK, IPPROTO_TCP, TCP_KEEPINTVL, A_PTR, sizeof(int), 0 }, KEEPALIVE },
	{ "setsockopt(TCP_KEEPCNT)", SYS_setsockopt, { A_SOCK, IPPROTO_TCP, TCP_KEEPCNT, A_PTR, sizeof(int), 0 }, KEEPALIVE },
	{ "setsockopt(TCP_USER_TIMEOUT)", SYS_setsockopt, { A_SOCK, IPPROTO_TCP, TCP_USER_TIMEOUT, A_PTR, sizeof(int), 0 }, KEEPALIVE },
	{ "getsockopt(SO_KEEPALIVE)", SYS_getsockopt, { A_SOCK, SOL_SOCKET, SO_KEEPALIVE, A_PTR, A_PTR, 0 }, KEEPALIVE },
	{ "getsockopt(TCP_KEEPIDLE)", SYS_getsockopt, { A_SOCK, IPPROTO_TCP, TCP_KEEPIDLE, A_PTR, A_PTR, 0 }, KEEPALIVE },
	{ "getsockopt(TCP_KEEPINTVL)", SYS_getsockopt, { A_SOCK, IPPROTO_TCP, TCP_KEEPINTVL, A_PTR, A_PTR, 0 }, KEEPALIVE },
	{ "getsockopt(TCP_KEEPCNT)", SYS_getsockopt, { A_SOCK, IPPROTO_TCP, TCP_KEEPCNT, A_PTR, A_PTR, 0 }, KEEPALIVE },
	{ "getsockopt(TCP_USER_TIMEOUT)", SYS_getsockopt, { A_SOCK, IPPROTO_TCP, TCP_USER_TIMEOUT, A_PTR, A_PTR, 0 }, KEEPALIVE },
	{ "write(log)", SYS_write, { A_LOG, A_PTR, 128, 0, 0, 0 }, LOG },
	{ "prlimit64(RLIMIT_FSIZE)", SYS_prlimit64, { 0, RLIMIT_FSIZE, 0, A_PTR, 0, 0 }, LOG },
	{ "fstat(log)", SYS_newfstatat, { A_LOG, A_PTR, A_PTR, AT_EMPTY_PATH, 0, 0 }, LOG },
	{ "sendto(log)", SYS_sendto, { A_LOG, A_PTR, 128, MSG_DONTWAIT | MSG_NOSIGNAL, 0, 0 }, LOG },
	{ "fcntl(F_DUPFD_CLOEXEC)", SYS_fcntl, { A_LOG, F_DUPFD_CLOEXEC, 900, 0, 0, 0 }, LOG },
	{ "openat(log)", SYS_openat, { AT_FDCWD, A_PTR, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644, 0, 0 }, LOG },
	{ "socket(log)", SYS_socket, { AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0, 0 }, LOG },
	{ "connect(log)", SYS_connect, { A_LOG, A_PTR, 110, 0, 0, 0 }, LOG },
	{ "close(log)", SYS_close, { A_LOG, 0, 0, 0, 0, 0 }, LOG },
};

/* A managed socket to ask about (filters that look at fd numbers see a
 * real one), else 3. */
static long some_socket(void)
{
	int max = atomic_load(&ac_max_fd);
	for (int fd = 0; fd <= max; fd++)
		if (ac_get(fd) & AC_F_MANAGED)
			return fd;
	return 3;
}

static const char *action_name(uint32_t ret)
{
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS: return "KILL_PROCESS";
	case SECCOMP_RET_KILL_THREAD: return "KILL_THREAD";
	case SECCOMP_RET_TRAP: return "TRAP";
	case SECCOMP_RET_ERRNO: return "ERRNO";
#ifdef SECCOMP_RET_USER_NOTIF
	case SECCOMP_RET_USER_NOTIF: return "USER_NOTIF";
#endif
	case SECCOMP_RET_TRACE: return "TRACE";
	default: return "an unknown action";
	}
}

/* NULL when every call of ours stays allowed; else why not (static text or
 * buf). */
static const char *refusal(const struct sock_fprog *fp, char *buf, size_t size)
{
#ifndef AC_AUDIT_ARCH
	(void)fp; (void)buf; (void)size;
	return "this architecture's filters are not evaluated";
#else
	long sock = some_socket(), logfd = 900, dir = 901;
	long pid = ac_sys(SYS_getpid, 0, 0, 0, 0, 0, 0), tid = ac_sys(SYS_gettid, 0, 0, 0, 0, 0, 0);
	long ptr = (long)(void *)&sock;
	bool logging = ac_policy.log_dest != AC_LOG_OFF;
	bool keepalive = ac_policy_keepalive_on(&ac_policy);
	const struct ac_bpf_insn *prog = (const void *)fp->filter;
	char *p = buf, *end = buf + size - 1;

	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		const struct call *c = &calls[i];
		if ((c->when == LOG && !logging) || (c->when == KEEPALIVE && !keepalive))
			continue;
		struct ac_seccomp_data d = { .nr = (int32_t)c->nr, .arch = AC_AUDIT_ARCH };
		for (int j = 0; j < 6; j++) {
			long a = c->a[j];
			d.args[j] = (uint64_t)(a == A_SOCK ? sock : a == A_LOG ? logfd : a == A_DIR ? dir :
					       a == A_PTR ? ptr : a == A_PID ? pid : a == A_TID ? tid : a);
		}
		uint32_t ret;
		bool known = ac_bpf_eval(prog, fp->len, &d, &ret);
		if (known && ac_seccomp_ret_allows(ret))
			continue;
		p = ac_fmt_str(p, end, "a seccomp filter would answer ");
		p = ac_fmt_str(p, end, c->name);
		p = ac_fmt_str(p, end, known ? " with SECCOMP_RET_" : " in a way that cannot be evaluated");
		if (known)
			p = ac_fmt_str(p, end, action_name(ret));
		*p = 0;
		return buf;
	}
	return NULL;
#endif
}

/* Before the filter: leave every socket as its holders need it, then stop. */
static void step_back(const char *why, const char *via)
{
	unsigned long disarmed = 0, kept = 0;
	int max = atomic_load(&ac_max_fd);

	for (int fd = 0; fd <= max; fd++) {
		ac_entry e = ac_get(fd);
		if (!ac_entry_armed(e) || (e & AC_F_LISTENER))
			continue;
		if (ac_maybe_shared(fd, e)) {
			bool cross; /* no close follows here: no tie to settle */
			int pid = ac_find_other_holder(fd, e, &cross);
			if (pid > 0) {
				/* The search recorded a release in the ledger (holders.c
				 * writes it before looking); this process keeps the
				 * socket, so take the record back. */
				ac_ledger_unreleased(ac_alias_note(fd));
				/* The other holder counts on the arming: its crash, or
				 * ours while it is gone, must still give RST. */
				kept++;
				ac_log_fd(AC_LEVEL_DEBUG, fd, "kept-armed:sandbox:shared-with-pid-", pid);
				continue;
			}
		}
		ac_disarm(fd, e);
		ac_set(fd, e & ~AC_F_ARMED);
		disarmed++;
		ac_log_fd(AC_LEVEL_DEBUG, fd, "disarmed:sandbox", 0);
	}
	if (ac_log_enabled(AC_LEVEL_INFO)) {
		char line[400], *p = line, *end = line + sizeof line - 1;
		p = ac_fmt_str(p, end, "stepped back for good at ");
		p = ac_fmt_str(p, end, via);
		p = ac_fmt_str(p, end, ": ");
		p = ac_fmt_str(p, end, why);
		p = ac_fmt_str(p, end, "; ");
		p = ac_fmt_ulong(p, end, disarmed);
		p = ac_fmt_str(p, end, " socket(s) disarmed (FIN at their close), ");
		p = ac_fmt_ulong(p, end, kept);
		p = ac_fmt_str(p, end, " left armed for another process");
		*p = 0;
		ac_log_text(AC_LEVEL_INFO, line);
	}
	ac_log_stop();
	atomic_store(&ac_active, 0);
}

void ac_sandbox_before(unsigned long op, unsigned long flags, const void *prog, const char *via)
{
	/* Not active, or a vfork child on the parent's memory (the parent is
	 * not sandboxed; the child's exec reads Seccomp: at load). */
	if (!ac_on())
		return;
	int saved = errno;
	char buf[160];
	const char *why = NULL;
	if (op == SECCOMP_SET_MODE_STRICT) {
		why = "seccomp strict mode allows only read, write, _exit and sigreturn";
	} else if (op == SECCOMP_SET_MODE_FILTER) {
		const struct sock_fprog *fp = prog;
		if (!fp)
			goto out; /* the kernel answers EFAULT (libseccomp's probe) */
		if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
			why = "a seccomp filter with a user-notification listener cannot be evaluated";
		else if (!fp->filter || fp->len == 0)
			goto out; /* EFAULT / EINVAL: nothing goes in */
		else
			why = refusal(fp, buf, sizeof buf);
	}
	if (why)
		step_back(why, via);
out:
	AC_ERRNO_RESTORE(saved);
}

/* prctl(2) is variadic; glibc's reads four more unsigned longs. */
AC_EXPORT int prctl(int option, ...)
{
	va_list ap;
	va_start(ap, option);
	unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
	unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_SECCOMP) {
		/* PR_SET_SECCOMP, SECCOMP_MODE_{STRICT,FILTER}, prog: the kernel
		 * maps it to seccomp(SECCOMP_SET_MODE_*, 0, prog). */
		if (a2 == SECCOMP_MODE_STRICT)
			ac_sandbox_before(SECCOMP_SET_MODE_STRICT, 0, NULL, "prctl(PR_SET_SECCOMP)");
		else if (a2 == SECCOMP_MODE_FILTER)
			ac_sandbox_before(SECCOMP_SET_MODE_FILTER, 0, (const void *)a3, "prctl(PR_SET_SECCOMP)");
	}
	return (int)ac_sys(SYS_prctl, option, (long)a2, (long)a3, (long)a4, (long)a5, 0);
}
