/* fdtable.c - mapping the per-fd state table (see fdtable.h). */
#include "export.h"
#include "fdtable.h"
#include "real.h"

#include <stddef.h>
#include <sys/mman.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>

_Atomic ac_entry *ac_table;
_Atomic uint32_t *ac_alias_ino;
_Atomic int32_t *ac_peer_pid;
int ac_table_size;
_Atomic int ac_max_fd = -1;

/* 2^22 fds x 8 bytes = 32 MiB of address space at most, reserved but never
 * committed until touched. */
#define AC_TABLE_CAP (1 << 22)
#define AC_TABLE_MIN 1024

int ac_table_init(void)
{
	struct rlimit rl;
	rlim_t n = AC_TABLE_CAP;

	/* The hard limit bounds every fd the process can get unless a privileged
	 * process raises it later; fds beyond the table are passed through. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n)
		n = rl.rlim_max;
	if (n < AC_TABLE_MIN)
		n = AC_TABLE_MIN;

	/* One mapping for the three arrays: one VMA to copy at each fork
	 * instead of three (a forking server pays dup_mmap per VMA).  Not
	 * MAP_NORESERVE: with the same flags as the anonymous mapping the
	 * loader made just before (the static TLS block, right above where
	 * mmap puts this one), the kernel merges the two into one VMA, one less
	 * for every fork to copy.  (Strict overcommit ignores MAP_NORESERVE
	 * anyway; the default heuristic mode only counts the size.) */
	size_t te = (size_t)n * sizeof(ac_entry), ta = (size_t)n * sizeof(uint32_t), tp = (size_t)n * sizeof(int32_t);
	char *p = mmap(NULL, te + ta + tp, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	ac_table = (void *)p;
	ac_alias_ino = (void *)(p + te);
	ac_peer_pid = (void *)(p + te + ta);
	ac_table_size = (int)n;
	return 0;
}

uint32_t ac_alias_note(int fd)
{
	struct stat st;
	int saved = errno;
	uint32_t ino = ac_fstat(fd, &st) == 0 ? (uint32_t)st.st_ino : 0;
	AC_ERRNO_RESTORE(saved);
	ac_alias_set(fd, ino);
	return ino;
}
