/* maps_preload.c - bench/fork-rows.sh, mode M: an empty preloaded library
 * (like bench/empty_preload.c) that also makes the two mappings
 * libabortclose makes as it runs, each with one page touched: the ledger's
 * shared anonymous mapping (10 MiB, shim/ledger.c) and the overlay, private
 * with MADV_WIPEONFORK (shim/fdtable.c).  Every fork copies each mapping of
 * the process and every exit tears it down, so B/M is what the library's
 * code and system calls cost, beyond what its mere presence costs. */
#include <sys/mman.h>

__attribute__((constructor)) static void make_the_mappings(void)
{
	char *ledger = mmap(0, 10 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *overlay = mmap(0, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ledger != MAP_FAILED)
		ledger[0] = 1;
	if (overlay != MAP_FAILED && madvise(overlay, 1 << 16, MADV_WIPEONFORK) == 0)
		overlay[0] = 1;
}
