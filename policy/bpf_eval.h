/* bpf_eval.h - run a seccomp classic-BPF program over one system call, the
 * way the kernel would (kernel/seccomp.c seccomp_run_filters over a
 * struct seccomp_data), without asking the kernel.
 *
 * Pure: no system call, no allocation, no global state, bounded time (cBPF
 * jumps only forward: at most len instructions run).  Used by the shim
 * (sandbox.c) before a filter goes in, to learn whether the calls the
 * library would make afterwards stay allowed; unit-tested in test/unit. */
#ifndef ABORTCLOSE_BPF_EVAL_H
#define ABORTCLOSE_BPF_EVAL_H

#include <stdbool.h>
#include <stdint.h>

/* The instruction format of <linux/filter.h> struct sock_filter. */
struct ac_bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/* What the program sees: <linux/seccomp.h> struct seccomp_data, 64 bytes. */
struct ac_seccomp_data {
	int32_t nr;
	uint32_t arch;
	uint64_t instruction_pointer;
	uint64_t args[6];
};

/* Evaluate prog[0..len) on d.  Returns true and the filter's 32-bit return
 * value in *ret, or false when the program cannot be evaluated with
 * certainty: an instruction seccomp does not accept, a jump or memory slot
 * out of range, a load of instruction_pointer (the library cannot know the
 * address of its future calls), a scratch slot read before written, a shift
 * by 32 or more, a division by zero, falling off the end.  A caller must
 * treat false as "not allowed". */
bool ac_bpf_eval(const struct ac_bpf_insn *prog, unsigned len,
		 const struct ac_seccomp_data *d, uint32_t *ret);

/* Does a filter return value let the call through?  SECCOMP_RET_ALLOW and
 * SECCOMP_RET_LOG (allowed after logging) do; ERRNO, TRAP, TRACE,
 * USER_NOTIF, KILL_THREAD and KILL_PROCESS do not. */
bool ac_seccomp_ret_allows(uint32_t ret);

#endif
