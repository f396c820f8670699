/* empty_preload.c - a preloaded library that does nothing (bench/fork-rows.sh,
 * mode E): what any LD_PRELOAD library costs a fork (its mappings, which
 * dup_mmap copies at every fork), the floor under the library's own cost. */
int abortclose_bench_empty_preload;
