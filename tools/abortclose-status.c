/* abortclose-status - which TCP connections of a running process are
 * protected, read from the kernel, without changing the process.
 *
 *   abortclose-status [--json] [--no-getfd] [PID...]   (abortclose --status)
 *
 * Model.  For each process: its command line (/proc/PID/cmdline), whether
 * libabortclose is mapped (/proc/PID/maps: a file named libabortclose*.so),
 * and the policy the library parsed at load: the ABORTCLOSE_* entries of
 * /proc/PID/environ (the environment block the process started with, which
 * is what the library's constructor read) given to the library's own parser
 * (policy/policy.c, linked in), with AT_SECURE from /proc/PID/auxv.  Then its
 * TCP sockets: the socket inodes of /proc/PID/fd joined with the process's
 * own network namespace view, /proc/PID/net/tcp and tcp6.
 *
 * The armed column is the socket's real SO_LINGER, read from a copy of the
 * fd: pidfd_getfd(2) (Linux 5.6+, needs ptrace-attach permission) gives this
 * process a second reference to the same socket, getsockopt(SO_LINGER) reads
 * it, and the copy is closed at once with a raw syscall(SYS_close).  {1,0}
 * is armed (the last close sends RST), {0,x} disarmed, {1,N>0} the program's
 * own linger.  Nothing is sent: the target still holds the socket, so
 * closing the copy is never the last close (net/socket.c sock_close runs on
 * the last fput only).  Should the target close its fd in the microseconds
 * the copy exists, the copy's close becomes the last one and does what the
 * target's would have done with the linger the socket then has (the library
 * disarms before a purposeful close, so that is still FIN; after a kill it
 * is still RST).
 *
 * The copies are taken in a forked child, never in this process: the
 * library, before it disarms a socket shared with other processes, looks
 * for other holders among its parent, children and siblings (shim/holders.c);
 * when `abortclose --status` is run from the shell that started the server,
 * this process is such a sibling, and a copy held here could be taken for a
 * real holder and keep a gracefully closed socket armed, so that the copy's
 * close sends RST (test/status/status_holders.sh shows both).  The child is
 * the sibling's child: never searched.
 *
 * The tool must not have the library loaded itself (it would interpose
 * syscall() and getsockopt()): the wrapper runs it without LD_PRELOAD, and
 * if it is loaded all the same, it re-executes itself once without it, or
 * refuses (/etc/ld.so.preload).
 *
 * Without pidfd_getfd (ENOSYS, or EPERM: another user, kernel.yama.
 * ptrace_scope, no CAP_SYS_PTRACE) the sockets are still listed, with the
 * armed column "unknown" and a line saying why.  --no-getfd asks for that
 * fallback (no copy of any fd is taken; the tests use it).
 *
 * Exit status: 0 every PID reported; 1 a PID does not exist, exited during
 * the report, or could not be read (permission); 2 usage error.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every architecture */
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Not ABORTCLOSE_*: the library treats every such name as its own (an
 * unknown one disables it, the typo guard of policy.c). */
#define REEXEC_GUARD "LIBABORTCLOSE_STATUS_REEXEC"

/* --- small helpers -------------------------------------------------------- */

struct buf {
	char *p;
	size_t n, cap;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "abortclose: out of memory\n");
		exit(1);
	}
	return q;
}

/* Read a whole file relative to dirfd.  Returns 0, or an errno value. */
static int read_all(int dirfd, const char *name, struct buf *b)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	b->p = NULL;
	b->n = b->cap = 0;
	if (fd < 0)
		return errno;
	for (;;) {
		if (b->cap - b->n < 4096) {
			b->cap = b->cap ? b->cap * 2 : 16384;
			b->p = xrealloc(b->p, b->cap + 1);
		}
		ssize_t r = read(fd, b->p + b->n, b->cap - b->n);
		if (r < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			close(fd);
			free(b->p);
			b->p = NULL;
			b->n = 0;
			return e;
		}
		if (r == 0)
			break;
		b->n += (size_t)r;
	}
	close(fd);
	b->p[b->n] = '\0';
	return 0;
}

/* Is this path a libabortclose library?  Its file name starts with
 * "libabortclose" and has ".so" in it (libabortclose.so, libabortclose.so.0,
 * "libabortclose.so (deleted)" after an upgrade). */
static bool is_library_path(const char *path, size_t n)
{
	const char *base = path;
	for (size_t i = 0; i < n; i++)
		if (path[i] == '/')
			base = path + i + 1;
	size_t bn = n - (size_t)(base - path);
	if (bn < 16 || strncmp(base, "libabortclose", 13) != 0)
		return false;
	for (size_t i = 13; i + 3 <= bn; i++)
		if (memcmp(base + i, ".so", 3) == 0)
			return true;
	return false;
}

/* The library's path in a maps text, or false. */
static bool maps_find_library(const char *maps, char *out, size_t outsz)
{
	const char *line = maps;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		/* address perms offset dev inode pathname: the path starts at the
		 * first '/' (pathnames are absolute; [heap], [vdso] are not). */
		const char *slash = memchr(line, '/', len);
		if (slash) {
			size_t plen = len - (size_t)(slash - line);
			if (is_library_path(slash, plen)) {
				snprintf(out, outsz, "%.*s", (int)plen, slash);
				return true;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

static bool self_has_library(void)
{
	struct buf b;
	char path[4096];
	bool yes;
	if (read_all(AT_FDCWD, "/proc/self/maps", &b) != 0)
		return false;
	yes = maps_find_library(b.p, path, sizeof path);
	free(b.p);
	return yes;
}

/* LD_PRELOAD without its libabortclose entries (split at ':' and ' ', as
 * ld.so does); the others are kept. */
static void strip_library_from_preload(void)
{
	const char *pre = getenv("LD_PRELOAD");
	char *out, *copy, *tok, *save = NULL;
	size_t n = 0;
	if (!pre)
		return;
	copy = strdup(pre);
	out = xrealloc(NULL, strlen(pre) + 1);
	out[0] = '\0';
	for (tok = strtok_r(copy, ": ", &save); tok; tok = strtok_r(NULL, ": ", &save)) {
		if (is_library_path(tok, strlen(tok)))
			continue;
		n += (size_t)sprintf(out + n, "%s%s", n ? ":" : "", tok);
	}
	if (n)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
	free(copy);
	free(out);
}

/* --- output escaping ------------------------------------------------------ */

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	/* C1 controls (U+0080-U+009F) are escaped like C0 ones */
	if (cp < 0xa0)
		return 0;
	return len;
}

/* Text output: printable ASCII and valid UTF-8 as they are; control bytes,
 * DEL, '\' and bytes that are not UTF-8 as \xNN (as the library's own lines
 * do), so a command line never moves the terminal or breaks a line. */
static void put_text(FILE *f, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(u + i, n - i);
		if (l == 1 && u[i] >= 0x20 && u[i] < 0x7f && u[i] != '\\') {
			fputc(u[i], f);
		} else if (l > 1) {
			fwrite(u + i, 1, l, f);
		} else {
			fprintf(f, "\\x%02x", u[i]);
			l = 1;
		}
		i += l;
	}
}

/* JSON: a string literal.  Valid UTF-8 is kept; '"' and '\' escaped;
 * control bytes, DEL and every byte that is not valid UTF-8 as \u00XX (the
 * byte's value as a code point, so nothing is lost). */
static void put_json_str(FILE *f, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(u + i, n - i);
		if (l == 1 && (u[i] == '"' || u[i] == '\\')) {
			fputc('\\', f);
			fputc(u[i], f);
		} else if (l == 1 && u[i] >= 0x20 && u[i] < 0x7f) {
			fputc(u[i], f);
		} else if (l > 1) {
			fwrite(u + i, 1, l, f);
		} else {
			fprintf(f, "\\u%04x", u[i]);
			l = 1;
		}
		i += l;
	}
	fputc('"', f);
}

static void put_json_cstr(FILE *f, const char *s)
{
	if (s)
		put_json_str(f, s, strlen(s));
	else
		fputs("null", f);
}

/* --- the policy, as the library parsed it ------------------------------- */

struct shown_var {
	const char *name;
	char value[256]; /* the parsed value, in the variable's own syntax */
	const char *raw; /* the environment's entry value, or NULL (default) */
};

/* The variables this tool decodes; any other ABORTCLOSE_* entry the parser
 * accepted is shown as it is in the environment. */
static const char *const known_vars[] = {
	"ABORTCLOSE", "ABORTCLOSE_ON_EXIT", "ABORTCLOSE_ON_SHUTDOWN", "ABORTCLOSE_LOG",
	"ABORTCLOSE_LOG_LEVEL", "ABORTCLOSE_PORTS", "ABORTCLOSE_ROLES", "ABORTCLOSE_STATS",
	"ABORTCLOSE_ON_CLOSE", "ABORTCLOSE_ON_UNWIND", "ABORTCLOSE_KEEPALIVE", "ABORTCLOSE_USER_TIMEOUT",
};
#define N_KNOWN (sizeof known_vars / sizeof known_vars[0])
#define MAX_SHOWN 32

struct policy_view {
	bool valid;
	char msg[AC_MSG_MAX]; /* the error line (invalid) or a warning ("" if none) */
	size_t n;
	struct shown_var vars[MAX_SHOWN];
	char *ports; /* ABORTCLOSE_PORTS decoded; malloc'd */
};

static void ports_text(const struct ac_policy *p, struct buf *b)
{
	b->cap = 64;
	b->n = 0;
	b->p = xrealloc(NULL, b->cap);
	b->p[0] = '\0';
	if (!p->ports_filtered) {
		strcpy(b->p, "all");
		return;
	}
	for (unsigned lo = 1; lo <= 65535; lo++) {
		if (!ac_policy_port_managed(p, lo))
			continue;
		unsigned hi = lo;
		while (hi < 65535 && ac_policy_port_managed(p, hi + 1))
			hi++;
		if (b->cap - b->n < 16) {
			b->cap *= 2;
			b->p = xrealloc(b->p, b->cap);
		}
		b->n += (size_t)(lo == hi ? sprintf(b->p + b->n, "%s%u", b->n ? "," : "", lo)
					  : sprintf(b->p + b->n, "%s%u-%u", b->n ? "," : "", lo, hi));
		lo = hi;
	}
	if (b->n == 0)
		strcpy(b->p, "none");
}

static const char *env_value(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (char *const *e = envp; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void describe_policy(char *const *envp, int secure, struct policy_view *v)
{
	static struct ac_policy p; /* 8 KB of port bitmap: not on the stack */
	struct buf ports;
	memset(v, 0, sizeof *v);
	v->valid = ac_policy_parse(envp, secure, &p, v->msg) == 0;
	if (!v->valid)
		return;
	ports_text(&p, &ports);
	v->ports = ports.p;
	for (size_t i = 0; i < N_KNOWN; i++) {
		struct shown_var *s = &v->vars[v->n++];
		char *o = s->value;
		size_t cap = sizeof s->value;
		s->name = known_vars[i];
		s->raw = env_value(envp, s->name);
		switch (i) {
		case 0: snprintf(o, cap, "%s", p.enabled ? "on" : "off"); break;
		case 1:
			if (p.on_exit != AC_EXIT_STATUS) {
				snprintf(o, cap, "%s", p.on_exit == AC_EXIT_FIN ? "fin" : "rst");
				break;
			}
			/* status, or status:LIST when more than 0 counts as success */
			size_t k = (size_t)snprintf(o, cap, "status");
			bool only0 = p.exit_ok[0] == 1 && !p.exit_ok[1] && !p.exit_ok[2] && !p.exit_ok[3];
			for (unsigned st = 0; st < 256 && !only0 && k + 5 < cap; st++)
				if (p.exit_ok[st / 64] >> (st % 64) & 1)
					k += (size_t)snprintf(o + k, cap - k, "%c%u", k == 6 ? ':' : ',', st);
			break;
		case 2: snprintf(o, cap, "%s", p.on_shutdown == AC_SHUTDOWN_KEEP ? "keep" : "disarm"); break;
		case 3:
			if (p.log_dest == AC_LOG_STDERR)
				snprintf(o, cap, "stderr");
			else if (p.log_dest == AC_LOG_SYSLOG)
				snprintf(o, cap, "syslog%s%.200s", p.log_path[0] ? ":" : "", p.log_path);
			else if (p.log_dest == AC_LOG_FILE)
				snprintf(o, cap, "file:%.200s", p.log_path);
			else
				snprintf(o, cap, "off");
			break;
		case 4: {
			static const char *const lv[] = { "error", "warn", "info", "debug" };
			snprintf(o, cap, "%s", lv[p.log_level <= AC_LEVEL_DEBUG ? p.log_level : 1]);
			break;
		}
		case 5: snprintf(o, cap, "%s", "(ports)"); break; /* v->ports: unbounded */
		case 6: snprintf(o, cap, "%s", p.roles == AC_ROLE_ALL ? "accepted,connected" :
				 p.roles == AC_ROLE_ACCEPTED ? "accepted" :
				 p.roles == AC_ROLE_CONNECTED ? "connected" : "none"); break;
		case 7: snprintf(o, cap, "%s", p.stats ? "1" : "0"); break;
		case 8: snprintf(o, cap, "%s", p.on_close == AC_CLOSE_RST ? "rst" : "fin"); break;
		case 9: snprintf(o, cap, "%s", p.on_unwind == AC_UNWIND_FIN ? "fin" : "rst"); break;
		case 10:
			if (ac_policy_keepalive_on(&p))
				snprintf(o, cap, "%u,%u,%u", p.keepalive_idle, p.keepalive_intvl, p.keepalive_cnt);
			else
				snprintf(o, cap, "off");
			break;
		case 11:
			if (ac_policy_user_timeout_on(&p))
				snprintf(o, cap, "%u", p.user_timeout_ms);
			else
				snprintf(o, cap, "off");
			break;
		}
	}
	/* Variables this build of the tool does not decode (a newer library's):
	 * shown as set, in the order of the environment. */
	for (char *const *e = envp; *e && v->n < MAX_SHOWN; e++) {
		const char *eq = strchr(*e, '=');
		bool known = false;
		if (strncmp(*e, "ABORTCLOSE", 10) != 0 || !eq)
			continue;
		for (size_t i = 0; i < N_KNOWN; i++)
			known |= strlen(known_vars[i]) == (size_t)(eq - *e) &&
				 strncmp(*e, known_vars[i], (size_t)(eq - *e)) == 0;
		if (known || strncmp(*e, "ABORTCLOSE_LIB=", 15) == 0)
			continue;
		struct shown_var *s = &v->vars[v->n++];
		static char names[MAX_SHOWN][64];
		snprintf(names[v->n - 1], sizeof names[0], "%.*s", (int)(eq - *e), *e);
		s->name = names[v->n - 1];
		s->raw = eq + 1;
		snprintf(s->value, sizeof s->value, "%s", eq + 1);
	}
}

static const char *var_value(const struct policy_view *v, const struct shown_var *s)
{
	return strcmp(s->name, "ABORTCLOSE_PORTS") == 0 ? v->ports : s->value;
}

/* --- sockets ---------------------------------------------------------------- */

enum arm { ARM_UNKNOWN = 0, ARM_ARMED, ARM_DISARMED, ARM_OWN };
static const char *const arm_names[] = { "unknown", "armed", "disarmed", "own-linger" };

struct sock {
	int fd;
	unsigned long long ino;
	bool tcp;       /* found in net/tcp*, or classified through the copy */
	char local[64], peer[64];
	int state;      /* TCP_ESTABLISHED... (the kernel's numbering) */
	/* Filled by the inspecting child: */
	enum arm arm;
	int l_onoff, l_linger;
	int copy_errno; /* pidfd_getfd's errno, 0 if the copy was read */
	bool gone;      /* the fd was closed, or now names another file */
};

static const char *state_name(int st)
{
	static const char *const names[] = {
		"UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
	};
	return st > 0 && st < (int)(sizeof names / sizeof names[0]) ? names[st] : "UNKNOWN";
}

static void format_addr(int family, const void *addr, unsigned port, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN];
	if (!inet_ntop(family, addr, a, sizeof a))
		strcpy(a, "?");
	if (family == AF_INET6)
		snprintf(out, outsz, "[%s]:%u", a, port);
	else
		snprintf(out, outsz, "%s:%u", a, port);
}

/* "0100007F:1F90" (IPv4) or 32 hex digits:port (IPv6).  The kernel prints
 * each 32-bit word of the address as a host-order integer (%08X of the
 * __be32), so each word goes back into memory as it was read. */
static bool parse_proc_addr(const char *s, int family, char *out, size_t outsz)
{
	unsigned char addr[16];
	size_t words = family == AF_INET6 ? 4 : 1;
	for (size_t w = 0; w < words; w++) {
		char hex[9];
		uint32_t v;
		memcpy(hex, s + 8 * w, 8);
		hex[8] = '\0';
		for (int i = 0; i < 8; i++)
			if (!isxdigit((unsigned char)hex[i]))
				return false;
		v = (uint32_t)strtoul(hex, NULL, 16);
		memcpy(addr + 4 * w, &v, 4);
	}
	if (s[8 * words] != ':')
		return false;
	format_addr(family, addr, (unsigned)strtoul(s + 8 * words + 1, NULL, 16), out, outsz);
	return true;
}

static int cmp_ino(const void *a, const void *b)
{
	const struct sock *x = a, *y = b;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int cmp_fd(const void *a, const void *b)
{
	const struct sock *x = a, *y = b;
	return x->fd - y->fd;
}

/* Join one of the process's net/tcp tables with its sockets (sorted by
 * inode).  A socket with several fds appears once per fd. */
static void join_tcp_table(int dirfd, const char *name, int family, struct sock *s, size_t n)
{
	struct buf b;
	char *line, *save = NULL;
	if (read_all(dirfd, name, &b) != 0)
		return; /* no IPv6 in this kernel: no tcp6 */
	line = strtok_r(b.p, "\n", &save); /* the header */
	while ((line = strtok_r(NULL, "\n", &save))) {
		char local[64], remote[64];
		unsigned st;
		unsigned long long ino;
		/* sl local rem st tx:rx tr:tm retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %63s %63s %x %*s %*s %*s %*s %*s %llu", local, remote, &st,
			   &ino) != 4 || ino == 0)
			continue;
		struct sock key = { .ino = ino };
		struct sock *hit = bsearch(&key, s, n, sizeof *s, cmp_ino);
		if (!hit)
			continue;
		while (hit > s && hit[-1].ino == ino)
			hit--;
		for (; hit < s + n && hit->ino == ino; hit++) {
			if (!parse_proc_addr(local, family, hit->local, sizeof hit->local) ||
			    !parse_proc_addr(remote, family, hit->peer, sizeof hit->peer))
				continue;
			hit->tcp = true;
			hit->state = (int)st;
		}
	}
	free(b.p);
}

/* --- reading the sockets through copies (in a child) ------------------------ */

static enum arm classify_linger(int onoff, int linger)
{
	if (!onoff)
		return ARM_DISARMED;
	return linger == 0 ? ARM_ARMED : ARM_OWN;
}

static void addr_of(const struct sockaddr_storage *ss, char *out, size_t outsz)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		format_addr(AF_INET6, &a->sin6_addr, ntohs(a->sin6_port), out, outsz);
	} else {
		const struct sockaddr_in *a = (const void *)ss;
		format_addr(AF_INET, &a->sin_addr, ntohs(a->sin_port), out, outsz);
	}
}

/* One socket: copy, read, close the copy at once (raw syscalls, nothing in
 * between but reads).  Sockets not in net/tcp* are classified first: a TCP
 * socket in state CLOSE (never bound, or ended by a RST) is in no table. */
static int read_copy(int pidfd, struct sock *s, bool keep)
{
	struct stat st;
	struct linger l = { 0, 0 };
	socklen_t len = sizeof l;
	long copy = syscall(SYS_pidfd_getfd, pidfd, s->fd, 0);

	if (copy < 0) {
		s->copy_errno = errno;
		if (errno == EBADF)
			s->gone = true;
		return -1;
	}
	int c = (int)copy;
	if (fstat(c, &st) != 0 || (unsigned long long)st.st_ino != s->ino) {
		s->gone = true; /* the fd number now names another file */
		goto out;
	}
	if (!s->tcp) {
		int domain = 0, type = 0, proto = 0;
		socklen_t il = sizeof domain;
		if (getsockopt(c, SOL_SOCKET, SO_DOMAIN, &domain, &il) != 0 ||
		    (il = sizeof type, getsockopt(c, SOL_SOCKET, SO_TYPE, &type, &il)) != 0 ||
		    (il = sizeof proto, getsockopt(c, SOL_SOCKET, SO_PROTOCOL, &proto, &il)) != 0 ||
		    (domain != AF_INET && domain != AF_INET6) || type != SOCK_STREAM ||
		    proto != IPPROTO_TCP)
			goto out;
		struct tcp_info ti;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		il = sizeof ti;
		memset(&ti, 0, sizeof ti);
		memset(&ss, 0, sizeof ss);
		ss.ss_family = (sa_family_t)domain;
		getsockname(c, (struct sockaddr *)&ss, &sl);
		addr_of(&ss, s->local, sizeof s->local);
		sl = sizeof ss;
		memset(&ss, 0, sizeof ss);
		ss.ss_family = (sa_family_t)domain;
		getpeername(c, (struct sockaddr *)&ss, &sl); /* ENOTCONN: stays 0 */
		addr_of(&ss, s->peer, sizeof s->peer);
		s->state = getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &il) == 0 ? ti.tcpi_state : 0;
		s->tcp = true;
	}
	if (getsockopt(c, SOL_SOCKET, SO_LINGER, &l, &len) == 0) {
		s->l_onoff = l.l_onoff;
		s->l_linger = l.l_linger;
		s->arm = classify_linger(l.l_onoff, l.l_linger);
	}
out:
	if (keep)
		return c;
	syscall(SYS_close, c);
	return -1;
}

/* Test hooks (never set in use; not ABORTCLOSE_* names, which belong to the
 * library): LIBABORTCLOSE_STATUS_TEST_HOLD_MS=N keeps every copy open N ms
 * (announced on stderr) so that a test can close the socket in the target
 * meanwhile; LIBABORTCLOSE_STATUS_TEST_NO_FORK=1 takes the copies in this
 * process instead of a child: the unsafe way, the control of that test. */
static long test_hold_ms(void)
{
	const char *v = getenv("LIBABORTCLOSE_STATUS_TEST_HOLD_MS");
	return v ? atol(v) : 0;
}

static bool copy_refused(int e)
{
	return e == EPERM || e == ENOSYS || e == ESRCH;
}

/* Copy, read and close every socket; the loop run by the child. */
static void read_all_copies(int pidfd, struct sock *socks, size_t n)
{
	long hold = test_hold_ms();
	int *held = hold > 0 ? xrealloc(NULL, n * sizeof *held) : NULL;
	size_t n_held = 0;

	for (size_t i = 0; i < n; i++) {
		int c = read_copy(pidfd, &socks[i], held != NULL);
		if (c >= 0)
			held[n_held++] = c;
		/* Refused outright: the others will be refused too. */
		if (copy_refused(socks[i].copy_errno))
			break;
	}
	if (held) {
		struct timespec ts = { hold / 1000, (hold % 1000) * 1000000 };
		fprintf(stderr, "abortclose-status: test: holding %zu copies for %ld ms\n", n_held, hold);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		for (size_t i = 0; i < n_held; i++)
			syscall(SYS_close, held[i]);
		free(held);
	}
}

/* Reads every socket's copy in a child process, results into a shared
 * mapping.  Returns 0, or the errno that made copies impossible (then
 * nothing was read: ENOSYS, EPERM...). */
static int read_copies(int pidfd, struct sock *socks, size_t n)
{
	size_t size = n * sizeof *socks;
	struct sock *shared;
	int status, result = 0;
	pid_t child;

	if (n == 0)
		return 0;
	if (getenv("LIBABORTCLOSE_STATUS_TEST_NO_FORK")) {
		read_all_copies(pidfd, socks, n);
		for (size_t i = 0; i < n; i++)
			if (copy_refused(socks[i].copy_errno))
				result = socks[i].copy_errno;
		return result;
	}
	shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return errno;
	memcpy(shared, socks, size);
	fflush(NULL);
	child = fork();
	if (child < 0) {
		result = errno;
		munmap(shared, size);
		return result;
	}
	if (child == 0) {
		read_all_copies(pidfd, shared, n);
		_exit(0);
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		result = EIO;
	} else {
		for (size_t i = 0; i < n; i++)
			if (copy_refused(shared[i].copy_errno))
				result = shared[i].copy_errno;
		if (!result)
			memcpy(socks, shared, size);
	}
	munmap(shared, size);
	return result;
}

/* --- one process --------------------------------------------------------- */

struct report {
	int pid;
	char *cmdline;
	size_t cmdline_len;
	bool loaded;
	char library[4096];
	struct policy_view policy;
	bool have_policy;
	struct sock *socks;
	size_t n;
	bool armed_known;
	char unknown_why[256];
	int connections, armed, disarmed, own, unknown, listeners;
};

static unsigned long proc_uid(int dirfd)
{
	struct buf b;
	unsigned long uid = (unsigned long)-1;
	if (read_all(dirfd, "status", &b) == 0) {
		char *u = strstr(b.p, "\nUid:");
		if (u)
			sscanf(u + 5, "%*u %lu", &uid); /* real, effective: the effective */
		free(b.p);
	}
	return uid;
}

static void permission_line(int pid, int dirfd, const char *what)
{
	unsigned long uid = proc_uid(dirfd);
	struct buf y;
	char yama[64] = "";
	if (read_all(AT_FDCWD, "/proc/sys/kernel/yama/ptrace_scope", &y) == 0) {
		snprintf(yama, sizeof yama, ", kernel.yama.ptrace_scope=%.*s", (int)strcspn(y.p, "\n"), y.p);
		free(y.p);
	}
	if (geteuid() == 0)
		fprintf(stderr, "abortclose: pid %d: permission denied reading /proc/%d/%s, even "
			"for root: the process holds capabilities this one lacks, or a security "
			"module refuses ptrace access\n", pid, pid, what);
	else
		fprintf(stderr, "abortclose: pid %d: permission denied reading /proc/%d/%s: it "
			"needs ptrace access to the process (root, or the process's own uid %lu while "
			"it is dumpable%s); you are uid %lu\n", pid, pid, what, uid, yama,
			(unsigned long)geteuid());
}

/* AT_SECURE from the process's auxiliary vector (0 if it cannot be read). */
static int proc_secure(int dirfd)
{
	struct buf b;
	int secure = 0;
	if (read_all(dirfd, "auxv", &b) != 0)
		return 0;
	for (size_t i = 0; i + 2 * sizeof(unsigned long) <= b.n; i += 2 * sizeof(unsigned long)) {
		unsigned long kv[2];
		memcpy(kv, b.p + i, sizeof kv);
		if (kv[0] == AT_SECURE)
			secure = kv[1] != 0;
		if (kv[0] == AT_NULL)
			break;
	}
	free(b.p);
	return secure;
}

static bool pid_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	return pidfd >= 0 && poll(&p, 1, 0) == 1; /* a pidfd is readable once it exited */
}

/* Set during `--status` without PIDs: a process that ends during the scan
 * was not asked for, so its end is not news. */
static bool scanning;
static bool no_getfd; /* --no-getfd */

static void no_such_process(int pid)
{
	if (!scanning)
		fprintf(stderr, "abortclose: pid %d: no such process\n", pid);
}

/* Fills r; returns 0, or 1 after printing the one line that says why not. */
static int inspect(int pid, struct report *r)
{
	char path[64];
	struct buf b;
	int dirfd, pidfd, pidfd_errno, e;
	DIR *fds;

	memset(r, 0, sizeof *r);
	r->pid = pid;
	/* The pidfd first, then /proc/PID: if the pidfd still says "running"
	 * afterwards, both name the same process (a pid is reused only once
	 * the process is gone). */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 && (errno == EINVAL || errno == ENOENT)) {
		/* A thread id: pidfd_open takes process ids (EINVAL; ENOENT on
		 * newer kernels).  Its fd table, maps and environment are its
		 * process's: name that one. */
		snprintf(path, sizeof path, "/proc/%d", pid);
		if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			int tgid = 0;
			if (read_all(dirfd, "status", &b) == 0) {
				char *t = strstr(b.p, "\nTgid:");
				if (t)
					tgid = atoi(t + 6);
				free(b.p);
			}
			close(dirfd);
			if (tgid > 0 && tgid != pid) {
				fprintf(stderr, "abortclose: pid %d is a thread of process %d: "
					"showing %d\n", pid, tgid, tgid);
				r->pid = pid = tgid;
				pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
			}
		}
	}
	pidfd_errno = pidfd < 0 ? errno : 0;
	if (pidfd < 0 && pidfd_errno == ESRCH) {
		no_such_process(pid);
		return 1;
	}
	snprintf(path, sizeof path, "/proc/%d", pid);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		if (pidfd >= 0)
			close(pidfd);
		no_such_process(pid);
		return 1;
	}

	/* Command line: NULs as spaces; a kernel thread has none: [comm]. */
	if (read_all(dirfd, "cmdline", &b) == 0 && b.n > 0) {
		while (b.n && b.p[b.n - 1] == '\0')
			b.n--;
		for (size_t i = 0; i < b.n; i++)
			if (b.p[i] == '\0')
				b.p[i] = ' ';
		r->cmdline = b.p;
		r->cmdline_len = b.n;
	} else {
		free(b.p);
		if (read_all(dirfd, "comm", &b) == 0) {
			b.n = strcspn(b.p, "\n");
			r->cmdline = xrealloc(NULL, b.n + 3);
			r->cmdline_len = (size_t)sprintf(r->cmdline, "[%.*s]", (int)b.n, b.p);
			free(b.p);
		}
	}

	if ((e = read_all(dirfd, "maps", &b)) != 0) {
		if (e == EACCES || e == EPERM)
			permission_line(pid, dirfd, "maps");
		else
			no_such_process(pid);
		goto fail;
	}
	r->loaded = maps_find_library(b.p, r->library, sizeof r->library);
	free(b.p);

	if (r->loaded) {
		if ((e = read_all(dirfd, "environ", &b)) != 0) {
			if (e == EACCES || e == EPERM)
				permission_line(pid, dirfd, "environ");
			else
				no_such_process(pid);
			goto fail;
		}
		size_t count = 0;
		for (size_t i = 0; i < b.n; i++)
			count += b.p[i] == '\0';
		char **envp = xrealloc(NULL, (count + 2) * sizeof *envp);
		size_t k = 0;
		for (size_t i = 0; i < b.n; i += strlen(b.p + i) + 1)
			envp[k++] = b.p + i;
		envp[k] = NULL;
		describe_policy(envp, proc_secure(dirfd), &r->policy);
		r->have_policy = true;
		free(envp);
		free(b.p);
	}

	/* The sockets: socket:[INODE] links in fd/. */
	e = openat(dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fds = e >= 0 ? fdopendir(e) : NULL;
	if (!fds) {
		if (errno == EACCES || errno == EPERM)
			permission_line(pid, dirfd, "fd");
		else
			no_such_process(pid);
		goto fail;
	}
	size_t cap = 0;
	struct dirent *d;
	while ((d = readdir(fds))) {
		char link[64], name[300];
		ssize_t len;
		unsigned long long ino;
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(name, sizeof name, "fd/%s", d->d_name);
		len = readlinkat(dirfd, name, link, sizeof link - 1);
		if (len <= 0)
			continue; /* closed meanwhile */
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		if (r->n == cap) {
			cap = cap ? cap * 2 : 64;
			r->socks = xrealloc(r->socks, cap * sizeof *r->socks);
		}
		memset(&r->socks[r->n], 0, sizeof r->socks[0]);
		r->socks[r->n].fd = atoi(d->d_name);
		r->socks[r->n].ino = ino;
		r->n++;
	}
	closedir(fds);

	qsort(r->socks, r->n, sizeof *r->socks, cmp_ino);
	/* The process's own network namespace: /proc/PID/net, not /proc/net. */
	join_tcp_table(dirfd, "net/tcp", AF_INET, r->socks, r->n);
	join_tcp_table(dirfd, "net/tcp6", AF_INET6, r->socks, r->n);
	qsort(r->socks, r->n, sizeof *r->socks, cmp_fd);

	if (no_getfd) {
		snprintf(r->unknown_why, sizeof r->unknown_why, "--no-getfd (pidfd_getfd not used)");
	} else if (pidfd < 0) {
		snprintf(r->unknown_why, sizeof r->unknown_why, "pidfd_open: %s%s",
			 strerror(pidfd_errno), pidfd_errno == ENOSYS ? " (Linux 5.3+ needed)" : "");
	} else {
		/* Sockets that are in no TCP table are copied too, only to tell a
		 * TCP socket in state CLOSE from a UDP or unix one. */
		e = read_copies(pidfd, r->socks, r->n);
		if (e == ESRCH) {
			no_such_process(pid);
			goto fail;
		} else if (e == EPERM) {
			snprintf(r->unknown_why, sizeof r->unknown_why,
				 "pidfd_getfd: %s (it needs ptrace-attach access: root or "
				 "CAP_SYS_PTRACE, or the process's own uid where "
				 "kernel.yama.ptrace_scope allows it)", strerror(EPERM));
		} else if (e == ENOSYS) {
			snprintf(r->unknown_why, sizeof r->unknown_why,
				 "pidfd_getfd: %s (Linux 5.6+ needed)", strerror(ENOSYS));
		} else if (e) {
			snprintf(r->unknown_why, sizeof r->unknown_why, "pidfd_getfd: %s", strerror(e));
		} else {
			r->armed_known = true;
		}
	}

	/* Keep the TCP sockets that still exist (one line per fd). */
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct sock *s = &r->socks[i];
		if (!s->tcp || s->gone)
			continue;
		if (!r->armed_known)
			s->arm = ARM_UNKNOWN;
		r->socks[k++] = *s;
	}
	r->n = k;
	/* Count sockets, not fds: a dup'd connection is one connection (its
	 * fds share one SO_LINGER, so one verdict). */
	struct sock *by_ino = xrealloc(NULL, (r->n ? r->n : 1) * sizeof *by_ino);
	memcpy(by_ino, r->socks, r->n * sizeof *by_ino);
	qsort(by_ino, r->n, sizeof *by_ino, cmp_ino);
	for (size_t i = 0; i < r->n; i++) {
		const struct sock *s = &by_ino[i];
		if (i > 0 && by_ino[i - 1].ino == s->ino)
			continue;
		if (s->state == 10 /* TCP_LISTEN */) {
			r->listeners++;
			continue;
		}
		r->connections++;
		switch (s->arm) {
		case ARM_ARMED: r->armed++; break;
		case ARM_DISARMED: r->disarmed++; break;
		case ARM_OWN: r->own++; break;
		default: r->unknown++; break;
		}
	}
	free(by_ino);

	if (pid_exited(pidfd)) {
		if (!scanning)
			fprintf(stderr, "abortclose: pid %d: exited during the report\n", pid);
		goto fail;
	}
	if (pidfd >= 0)
		close(pidfd);
	close(dirfd);
	return 0;
fail:
	if (pidfd >= 0)
		close(pidfd);
	close(dirfd);
	return 1;
}

static void free_report(struct report *r)
{
	free(r->cmdline);
	free(r->socks);
	free(r->policy.ports);
}

/* --- printing ------------------------------------------------------------ */

static void print_text(const struct report *r)
{
	const struct policy_view *v = &r->policy;
	printf("pid %d: ", r->pid);
	put_text(stdout, r->cmdline ? r->cmdline : "", r->cmdline_len);
	printf("\n");
	if (r->loaded) {
		printf("  libabortclose: loaded (");
		put_text(stdout, r->library, strlen(r->library));
		printf(")\n");
	} else {
		printf("  libabortclose: not loaded\n");
	}
	if (r->have_policy) {
		if (!v->valid) {
			printf("  policy: invalid: ");
			put_text(stdout, v->msg, strlen(v->msg));
			printf("\n");
		} else {
			bool any = false;
			printf("  policy:");
			for (size_t i = 0; i < v->n; i++) {
				if (!v->vars[i].raw)
					continue;
				printf(" %s=", v->vars[i].name);
				put_text(stdout, var_value(v, &v->vars[i]), strlen(var_value(v, &v->vars[i])));
				any = true;
			}
			printf("%s; defaults:", any ? "" : " (none set)");
			for (size_t i = 0; i < v->n; i++) {
				if (v->vars[i].raw)
					continue;
				printf(" %s=", v->vars[i].name);
				put_text(stdout, var_value(v, &v->vars[i]), strlen(var_value(v, &v->vars[i])));
			}
			printf("\n");
			if (v->msg[0]) {
				printf("  policy note: ");
				put_text(stdout, v->msg, strlen(v->msg));
				printf("\n");
			}
		}
	}
	if (!r->armed_known)
		printf("  armed state: unknown: %s; sockets from /proc/%d/fd and /proc/%d/net/tcp*\n",
		       r->unknown_why, r->pid, r->pid);
	for (size_t i = 0; i < r->n; i++) {
		const struct sock *s = &r->socks[i];
		printf("  fd=%d local=%s peer=%s state=%s %s\n", s->fd, s->local, s->peer,
		       state_name(s->state), arm_names[s->arm]);
	}
	printf("  %d connections: %d armed, %d disarmed, %d own-linger", r->connections, r->armed,
	       r->disarmed, r->own);
	if (r->unknown)
		printf(", %d unknown", r->unknown);
	if (r->listeners)
		printf(" (listeners not counted: %d)", r->listeners);
	printf("\n");
}

static void print_json(const struct report *r)
{
	const struct policy_view *v = &r->policy;
	printf("{\"pid\": %d, \"cmdline\": ", r->pid);
	put_json_str(stdout, r->cmdline ? r->cmdline : "", r->cmdline_len);
	printf(", \"loaded\": %s, \"library\": ", r->loaded ? "true" : "false");
	put_json_cstr(stdout, r->loaded ? r->library : NULL);
	printf(", \"policy\": ");
	if (!r->have_policy) {
		printf("null");
	} else {
		printf("{\"valid\": %s, \"error\": ", v->valid ? "true" : "false");
		put_json_cstr(stdout, v->valid ? NULL : v->msg);
		printf(", \"note\": ");
		put_json_cstr(stdout, v->valid && v->msg[0] ? v->msg : NULL);
		printf(", \"values\": {");
		for (size_t i = 0; i < v->n; i++) {
			printf("%s", i ? ", " : "");
			put_json_cstr(stdout, v->vars[i].name);
			printf(": ");
			put_json_cstr(stdout, var_value(v, &v->vars[i]));
		}
		printf("}, \"set\": [");
		for (size_t i = 0, k = 0; i < v->n; i++)
			if (v->vars[i].raw) {
				printf("%s", k++ ? ", " : "");
				put_json_cstr(stdout, v->vars[i].name);
			}
		printf("]}");
	}
	printf(", \"armed_known\": %s, \"armed_unknown_reason\": ", r->armed_known ? "true" : "false");
	put_json_cstr(stdout, r->armed_known ? NULL : r->unknown_why);
	printf(", \"sockets\": [");
	for (size_t i = 0; i < r->n; i++) {
		const struct sock *s = &r->socks[i];
		printf("%s\n  {\"fd\": %d, \"local\": ", i ? "," : "", s->fd);
		put_json_cstr(stdout, s->local);
		printf(", \"peer\": ");
		put_json_cstr(stdout, s->peer);
		printf(", \"state\": \"%s\", \"armed\": \"%s\", \"linger\": ", state_name(s->state),
		       arm_names[s->arm]);
		if (s->arm == ARM_UNKNOWN)
			printf("null}");
		else
			printf("[%d, %d]}", s->l_onoff, s->l_linger);
	}
	printf("%s], \"counts\": {\"connections\": %d, \"armed\": %d, \"disarmed\": %d, "
	       "\"own_linger\": %d, \"unknown\": %d, \"listeners\": %d}}",
	       r->n ? "\n" : "", r->connections, r->armed, r->disarmed, r->own, r->unknown,
	       r->listeners);
}

/* --- main ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr, "usage: abortclose --status [--json] [--no-getfd] [PID...]\n");
}

static bool parse_pid(const char *s, int *pid)
{
	char *end;
	long v;
	if (!*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v < 1 || v > 0x3fffffff)
		return false;
	*pid = (int)v;
	return true;
}

/* Every process with the library mapped, this one excepted.  Processes
 * that vanish or cannot be read during the scan are skipped (counted). */
static int *scan_loaded(size_t *count, size_t *unreadable)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	int *pids = NULL, self = getpid();
	size_t n = 0, cap = 0;
	*unreadable = 0;
	if (!proc) {
		fprintf(stderr, "abortclose: cannot read /proc: %s\n", strerror(errno));
		exit(1);
	}
	while ((d = readdir(proc))) {
		int pid;
		char maps[64], lib[4096];
		struct buf b;
		int e;
		if (!parse_pid(d->d_name, &pid) || pid == self)
			continue;
		snprintf(maps, sizeof maps, "/proc/%d/maps", pid);
		if ((e = read_all(AT_FDCWD, maps, &b)) != 0) {
			if (e == EACCES || e == EPERM)
				(*unreadable)++;
			continue;
		}
		bool yes = maps_find_library(b.p, lib, sizeof lib);
		free(b.p);
		if (!yes)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			pids = xrealloc(pids, cap * sizeof *pids);
		}
		pids[n++] = pid;
	}
	closedir(proc);
	*count = n;
	return pids;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int main(int argc, char **argv)
{
	bool json = false, scan;
	int *pids, status = 0;
	size_t n = 0, unreadable = 0, printed = 0;

	if (self_has_library()) {
		if (getenv(REEXEC_GUARD)) {
			fprintf(stderr, "abortclose: libabortclose is loaded into abortclose-status "
				"itself (from /etc/ld.so.preload?): refusing to inspect\n");
			return 2;
		}
		strip_library_from_preload();
		setenv(REEXEC_GUARD, "1", 1);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "abortclose: cannot re-execute abortclose-status without "
			"libabortclose: %s\n", strerror(errno));
		return 2;
	}
	unsetenv(REEXEC_GUARD);

	pids = xrealloc(NULL, (size_t)argc * sizeof *pids);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--no-getfd") == 0) {
			no_getfd = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else if (!parse_pid(argv[i], &pids[n++])) {
			fprintf(stderr, "abortclose: --status: '%s' is not a process id "
				"(try 'abortclose --help')\n", argv[i]);
			return 2;
		}
	}
	scan = scanning = n == 0;
	if (scan) {
		free(pids);
		pids = scan_loaded(&n, &unreadable);
		qsort(pids, n, sizeof *pids, cmp_int);
	}

	if (json)
		printf("[");
	for (size_t i = 0; i < n; i++) {
		struct report r;
		if (inspect(pids[i], &r) != 0) {
			/* A process that ended during a scan was not asked for. */
			if (!scan)
				status = 1;
			free_report(&r);
			continue;
		}
		if (scan && !r.loaded) {
			free_report(&r); /* it exec'd another program since the scan */
			continue;
		}
		if (json) {
			printf("%s\n", printed ? "," : "");
			print_json(&r);
		} else {
			print_text(&r);
		}
		printed++;
		free_report(&r);
	}
	if (json)
		printf("%s]\n", printed ? "\n" : "");
	else if (scan && printed == 0)
		printf("no process has libabortclose loaded\n");
	if (scan && unreadable)
		fprintf(stderr, "abortclose: %zu processes could not be read (permission): "
			"run as root to see them all\n", unreadable);
	free(pids);
	if (fflush(stdout) != 0)
		return 1;
	return status;
}
