/* test_bpf.c - policy/bpf_eval.c, the seccomp cBPF evaluator: the verdicts
 * of real filter shapes (OpenSSH's pre-auth sandbox style, argument checks,
 * scratch memory, ALU), and "cannot tell" for everything the kernel would
 * refuse or the library cannot know (instruction pointer loads). */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include "bpf_eval.h"
#include "unit.h"

#define P(f) ((const struct ac_bpf_insn *)(f)), (unsigned)(sizeof(f) / sizeof((f)[0]))

static struct ac_seccomp_data call(long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct ac_seccomp_data d = { .nr = (int32_t)nr, .arch = AUDIT_ARCH_X86_64 };
	d.args[0] = a0;
	d.args[1] = a1;
	d.args[2] = a2;
	return d;
}

/* KILL by default, allows write/close/exit_group (the worker). */
static const struct sock_filter kill_default[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
};

START_TEST(kill_by_default)
{
	uint32_t r;
	struct ac_seccomp_data d = call(__NR_write, 1, 0, 10);
	ck_assert(ac_bpf_eval(P(kill_default), &d, &r));
	ck_assert_uint_eq(r, SECCOMP_RET_ALLOW);
	ck_assert(ac_seccomp_ret_allows(r));
	d = call(__NR_setsockopt, 3, 1, 13);
	ck_assert(ac_bpf_eval(P(kill_default), &d, &r));
	ck_assert_uint_eq(r, SECCOMP_RET_KILL_PROCESS);
	ck_assert(!ac_seccomp_ret_allows(r));
	d.arch = AUDIT_ARCH_I386;
	d.nr = __NR_write;
	ck_assert(ac_bpf_eval(P(kill_default), &d, &r));
	ck_assert_uint_eq(r, SECCOMP_RET_KILL_PROCESS);
}
END_TEST

/* setsockopt allowed only for SOL_SOCKET/SO_LINGER (args[1], args[2]),
 * high word of args[1] checked too, errno otherwise; scratch memory and
 * TAX/TXA along the way. */
static const struct sock_filter arg_checks[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setsockopt, 0, 9),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]) + 4),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 6),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
	BPF_STMT(BPF_ST, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_LD | BPF_MEM, 3),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1 /* SOL_SOCKET */, 0, 1),
	BPF_STMT(BPF_MISC | BPF_TXA, 0),
	/* A is SO_LINGER (13) when allowed: 13 * 2 + 4 == 30 */
	BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2),
	BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 4),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 30, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
};

START_TEST(argument_checks)
{
	uint32_t r;
	struct ac_seccomp_data d = call(__NR_setsockopt, 3, 1, 13);
	ck_assert(ac_bpf_eval(P(arg_checks), &d, &r));
	ck_assert_uint_eq(r, SECCOMP_RET_ALLOW);
	d = call(__NR_setsockopt, 3, 1, 7);
	ck_assert(ac_bpf_eval(P(arg_checks), &d, &r));
	ck_assert_uint_eq(r, SECCOMP_RET_ERRNO | 1);
	ck_assert(!ac_seccomp_ret_allows(r));
	d = call(__NR_setsockopt, 3, 1ull | (1ull << 32), 13);
	ck_assert(ac_bpf_eval(P(arg_checks), &d, &r));
	ck_assert_uint_eq(r, SECCOMP_RET_ERRNO | 1);
	d = call(__NR_getpid, 0, 0, 0);
	ck_assert(ac_bpf_eval(P(arg_checks), &d, &r));
	ck_assert_uint_eq(r, SECCOMP_RET_ERRNO | 1);
}
END_TEST

START_TEST(return_values)
{
	ck_assert(ac_seccomp_ret_allows(SECCOMP_RET_ALLOW));
	ck_assert(ac_seccomp_ret_allows(SECCOMP_RET_LOG));
	ck_assert(!ac_seccomp_ret_allows(SECCOMP_RET_ERRNO | 38));
	ck_assert(!ac_seccomp_ret_allows(SECCOMP_RET_TRAP));
	ck_assert(!ac_seccomp_ret_allows(SECCOMP_RET_TRACE | 5));
	ck_assert(!ac_seccomp_ret_allows(SECCOMP_RET_USER_NOTIF));
	ck_assert(!ac_seccomp_ret_allows(SECCOMP_RET_KILL_THREAD));
	ck_assert(!ac_seccomp_ret_allows(SECCOMP_RET_KILL_PROCESS));
	/* RET A: the action comes from the accumulator */
	const struct sock_filter ret_a[] = {
		BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	uint32_t r;
	struct ac_seccomp_data d = call(0, 0, 0, 0);
	ck_assert(ac_bpf_eval(P(ret_a), &d, &r));
	ck_assert_uint_eq(r, SECCOMP_RET_TRAP);
}
END_TEST

/* What cannot be evaluated: the answer is "cannot tell", never a guess. */
START_TEST(cannot_tell)
{
	uint32_t r;
	struct ac_seccomp_data d = call(__NR_write, 1, 0, 0);
	const struct sock_filter ip_load[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter unaligned[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter beyond[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter byte_load[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter unwritten_mem[] = {
		BPF_STMT(BPF_LD | BPF_MEM, 5),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter jump_out[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 5),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter ja_out[] = {
		BPF_STMT(BPF_JMP | BPF_JA, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter no_ret[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
	};
	const struct sock_filter div_zero[] = {
		BPF_STMT(BPF_LDX | BPF_IMM, 0),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter big_shift[] = {
		BPF_STMT(BPF_LDX | BPF_IMM, 32),
		BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	ck_assert(!ac_bpf_eval(P(ip_load), &d, &r));
	ck_assert(!ac_bpf_eval(P(unaligned), &d, &r));
	ck_assert(!ac_bpf_eval(P(beyond), &d, &r));
	ck_assert(!ac_bpf_eval(P(byte_load), &d, &r));
	ck_assert(!ac_bpf_eval(P(unwritten_mem), &d, &r));
	ck_assert(!ac_bpf_eval(P(jump_out), &d, &r));
	ck_assert(!ac_bpf_eval(P(ja_out), &d, &r));
	ck_assert(!ac_bpf_eval(P(no_ret), &d, &r));
	ck_assert(!ac_bpf_eval(P(div_zero), &d, &r));
	ck_assert(!ac_bpf_eval(P(big_shift), &d, &r));
	ck_assert(!ac_bpf_eval(NULL, 0, &d, &r));
}
END_TEST

/* Every ALU op against the C semantics of 32-bit unsigned arithmetic. */
START_TEST(alu_ops)
{
	static const struct { uint16_t op; uint32_t a, k, want; } ops[] = {
		{ BPF_ADD, 0xffffffffu, 2, 1 }, { BPF_SUB, 1, 2, 0xffffffffu },
		{ BPF_MUL, 0x10000, 0x10000, 0 }, { BPF_DIV, 7, 2, 3 }, { BPF_MOD, 7, 4, 3 },
		{ BPF_OR, 0xf0, 0x0f, 0xff }, { BPF_AND, 0xf0, 0x3c, 0x30 },
		{ BPF_XOR, 0xff, 0x0f, 0xf0 }, { BPF_LSH, 1, 31, 0x80000000u },
		{ BPF_RSH, 0x80000000u, 31, 1 },
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		const struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_IMM, ops[i].a),
			BPF_STMT(BPF_ALU | ops[i].op | BPF_K, ops[i].k),
			BPF_STMT(BPF_RET | BPF_A, 0),
		};
		uint32_t r;
		struct ac_seccomp_data d = call(0, 0, 0, 0);
		ck_assert(ac_bpf_eval(P(f), &d, &r));
		ck_assert_uint_eq(r, ops[i].want);
	}
	const struct sock_filter neg[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_STMT(BPF_ALU | BPF_NEG, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	uint32_t r;
	struct ac_seccomp_data d = call(0, 0, 0, 0);
	ck_assert(ac_bpf_eval(P(neg), &d, &r));
	ck_assert_uint_eq(r, 0xffffffffu);
}
END_TEST

/* JGT/JGE/JSET with K and X. */
START_TEST(jumps)
{
	const struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 10, 0, 3),
		BPF_STMT(BPF_LDX | BPF_IMM, 20),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 3), /* >= 20 */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 2), /* 11..19, or <= 10, odd */
		BPF_STMT(BPF_RET | BPF_K, 1), /* even, <= 10; 11..19 even */
	};
	static const struct { uint64_t a0; uint32_t want; } cases[] = {
		{ 25, 3 }, { 20, 3 }, { 15, 2 }, { 14, 1 }, { 3, 2 }, { 4, 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint32_t r;
		struct ac_seccomp_data d = call(0, cases[i].a0, 0, 0);
		ck_assert(ac_bpf_eval(P(f), &d, &r));
		ck_assert_msg(r == cases[i].want, "a0=%lu: %u", (unsigned long)cases[i].a0, r);
	}
}
END_TEST

Suite *suite_bpf(void)
{
	Suite *s = suite_create("bpf");
	TCase *tc = tcase_create("eval");
	tcase_add_test(tc, kill_by_default);
	tcase_add_test(tc, argument_checks);
	tcase_add_test(tc, return_values);
	tcase_add_test(tc, cannot_tell);
	tcase_add_test(tc, alu_ops);
	tcase_add_test(tc, jumps);
	suite_add_tcase(s, tc);
	return s;
}
