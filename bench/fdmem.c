/* fdmem.c - memory the library keeps per file descriptor.
 *
 *   bench_fdmem N
 *
 * Raises RLIMIT_NOFILE to N + 64 (soft and, as root, hard: the kernel
 * allows up to fs.nr_open), then creates N TCP sockets with socket() only
 * (AF_INET, SOCK_STREAM: the kind the library arms; socketpair/AF_UNIX
 * would be left alone).  Prints the process RSS before and after, as
 *   n=N nofile=L rss_before_kb=.. rss_after_kb=.. anon_before_kb=.. anon_after_kb=..
 *   vm_before_kb=.. vm_after_kb=.. armed=-1|0|1
 * Run once without and once with the library: the difference of the
 * anonymous-memory deltas divided by N is the library's per-fd state (its
 * table is an anonymous mapping; total RSS also moves with code pages; the
 * kernel's own socket memory is slab memory and never appears in RSS).
 * armed=1: the last (highest) socket, made a listener, really got
 * SO_LINGER {1,0} from the library, so the table covered every fd measured
 * (0 = not armed, -1 = could not tell).
 */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* Read one "Name:   123 kB" line of a /proc/self file.  RSS comes from
 * smaps_rollup, which walks the page tables and is exact; VmRSS in
 * /proc/self/status is a per-CPU-batched counter since Linux 6.2 and can be
 * off by tens of KiB, which would swamp the few bytes per fd we look for. */
static long proc_kb(const char *file, const char *name)
{
	FILE *f = fopen(file, "r");
	if (!f)
		die(file);
	char line[256];
	size_t len = strlen(name);
	long kb = -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			kb = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

static long rss_kb(void) { return proc_kb("/proc/self/smaps_rollup", "Rss"); }
static long anon_kb(void) { return proc_kb("/proc/self/smaps_rollup", "Anonymous"); }
static long vm_kb(void) { return proc_kb("/proc/self/status", "VmSize"); }

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s N\n", argv[0]);
		return 2;
	}
	long n = parse_long(argv[1], "socket count");
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	rlim_t want = (rlim_t)n + 64;
	if (rl.rlim_cur < want) {
		struct rlimit nrl = { .rlim_cur = want, .rlim_max = rl.rlim_max < want ? want : rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &nrl) != 0) {
			/* Not root: take what the hard limit allows. */
			nrl.rlim_cur = nrl.rlim_max = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &nrl) != 0)
				die("setrlimit");
			if ((rlim_t)n + 64 > rl.rlim_max)
				n = (long)rl.rlim_max - 64;
		}
	}
	getrlimit(RLIMIT_NOFILE, &rl);

	/* Fault in the code paths first (libc's and the library's socket() and
	 * close() wrappers) with a UDP socket, which the library leaves alone:
	 * the "before" snapshot then differs from "after" only by per-fd data. */
	int warm = socket(AF_INET, SOCK_DGRAM, 0);
	if (warm >= 0)
		close(warm);
	long rss0 = rss_kb(), anon0 = anon_kb(), vm0 = vm_kb();
	int last = -1;
	for (long i = 0; i < n; i++) {
		last = socket(AF_INET, SOCK_STREAM, 0);
		if (last < 0)
			die("socket");
	}
	long rss1 = rss_kb(), anon1 = anon_kb(), vm1 = vm_kb();
	/* Does the library manage even the highest fd?  It arms a socket at
	 * listen() (not at socket()), so make the last one a listener on
	 * 127.0.0.1:26950 and read SO_LINGER back: {1,0} = armed.  -1 = could
	 * not tell (bind failed). */
	int armed = -1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(26950) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(last, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(last, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(last, 1) == 0) {
		struct linger lg = { 0, 0 };
		socklen_t sl = sizeof(lg);
		/* getsockopt is interposed and shows the program's own value; the
		 * kernel's is what matters, so ask the kernel directly. */
		if (syscall(SYS_getsockopt, last, SOL_SOCKET, SO_LINGER, &lg, &sl) == 0)
			armed = lg.l_onoff == 1 && lg.l_linger == 0;
	}
	printf("n=%ld nofile=%llu rss_before_kb=%ld rss_after_kb=%ld anon_before_kb=%ld "
	       "anon_after_kb=%ld vm_before_kb=%ld vm_after_kb=%ld armed=%d\n",
	       n, (unsigned long long)rl.rlim_cur, rss0, rss1, anon0, anon1, vm0, vm1, armed);
	return 0;
}
