/* bpf_eval.c - see bpf_eval.h.
 *
 * The instruction set is the one seccomp accepts (kernel/seccomp.c
 * seccomp_check_filter(): LD/LDX W ABS rewritten to loads of seccomp_data,
 * LEN, IMM, MEM; ST/STX; ALU with K or X; JA/JEQ/JGT/JGE/JSET with K or X;
 * RET K/A; TAX/TXA).  Anything else makes the kernel refuse the filter and
 * makes us answer "cannot tell".  Semantics follow net/core/filter.c and the
 * classic-to-eBPF conversion: 32-bit unsigned arithmetic, A and X start at
 * 0, loads of seccomp_data are 32-bit words in host (little-endian) order
 * at 4-byte aligned offsets below 64. */
#include "bpf_eval.h"

#include <stddef.h>

/* <linux/bpf_common.h> */
#define CLS(c) ((c) & 0x07)
#define SZ(c) ((c) & 0x18)
#define MODE(c) ((c) & 0xe0)
#define OP(c) ((c) & 0xf0)
#define SRC(c) ((c) & 0x08)
enum { LD = 0, LDX = 1, ST = 2, STX = 3, ALU = 4, JMP = 5, RET = 6, MISC = 7 };
enum { W = 0x00 };
enum { IMM = 0x00, ABS = 0x20, MEM = 0x60, LEN = 0x80 };
enum { ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50,
       LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0 };
enum { JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40 };
enum { K = 0x00, X = 0x08 };
enum { RVAL_K = 0x00, RVAL_A = 0x10 };
enum { TAX = 0x00, TXA = 0x80 };
#define MEMWORDS 16 /* BPF_MEMWORDS */
#define MAXINSNS 4096 /* BPF_MAXINSNS */
#define DATA_LEN 64 /* sizeof(struct seccomp_data) */

/* The 32-bit word of seccomp_data at byte offset off; false for the
 * instruction pointer (offsets 8 and 12) and anything unaligned or beyond. */
static bool data_word(const struct ac_seccomp_data *d, uint32_t off, uint32_t *out)
{
	if (off % 4 || off >= DATA_LEN)
		return false;
	if (off == 0) {
		*out = (uint32_t)d->nr;
	} else if (off == 4) {
		*out = d->arch;
	} else if (off < 16) {
		return false;
	} else {
		uint64_t a = d->args[(off - 16) / 8];
		*out = (off % 8) ? (uint32_t)(a >> 32) : (uint32_t)a;
	}
	return true;
}

static bool alu(uint16_t op, uint32_t *a, uint32_t v)
{
	switch (op) {
	case ADD: *a += v; return true;
	case SUB: *a -= v; return true;
	case MUL: *a *= v; return true;
	case DIV: if (!v) return false; *a /= v; return true;
	case MOD: if (!v) return false; *a %= v; return true;
	case OR: *a |= v; return true;
	case AND: *a &= v; return true;
	case XOR: *a ^= v; return true;
	case LSH: if (v >= 32) return false; *a <<= v; return true;
	case RSH: if (v >= 32) return false; *a >>= v; return true;
	case NEG: *a = (uint32_t)-*a; return true;
	default: return false;
	}
}

bool ac_bpf_eval(const struct ac_bpf_insn *prog, unsigned len,
		 const struct ac_seccomp_data *d, uint32_t *ret)
{
	uint32_t a = 0, x = 0, mem[MEMWORDS];
	unsigned written = 0; /* bit i: mem[i] was stored */

	if (!prog || len == 0 || len > MAXINSNS)
		return false;
	for (unsigned pc = 0; pc < len; pc++) {
		const struct ac_bpf_insn *in = &prog[pc];
		uint16_t c = in->code;
		uint32_t k = in->k, v;

		switch (CLS(c)) {
		case LD:
		case LDX: {
			uint32_t *dst = CLS(c) == LD ? &a : &x;
			if (SZ(c) != W)
				return false;
			switch (MODE(c)) {
			case IMM: *dst = k; break;
			case LEN: *dst = DATA_LEN; break;
			case ABS:
				if (CLS(c) != LD || !data_word(d, k, dst))
					return false;
				break;
			case MEM:
				if (k >= MEMWORDS || !(written & (1u << k)))
					return false;
				*dst = mem[k];
				break;
			default:
				return false;
			}
			if (c & ~0xffu)
				return false;
			break;
		}
		case ST:
		case STX:
			if (k >= MEMWORDS || (c & ~0x07u))
				return false;
			mem[k] = CLS(c) == ST ? a : x;
			written |= 1u << k;
			break;
		case ALU:
			if (OP(c) == NEG) {
				if (SRC(c) != K)
					return false;
				a = (uint32_t)-a;
				break;
			}
			if (!alu(OP(c), &a, SRC(c) == X ? x : k))
				return false;
			break;
		case JMP: {
			unsigned target;
			bool taken;
			if (OP(c) == JA) {
				if (SRC(c) != K || k >= len - pc - 1 + 0u)
					return false;
				pc += k;
				break;
			}
			v = SRC(c) == X ? x : k;
			switch (OP(c)) {
			case JEQ: taken = a == v; break;
			case JGT: taken = a > v; break;
			case JGE: taken = a >= v; break;
			case JSET: taken = (a & v) != 0; break;
			default: return false;
			}
			target = pc + 1u + (taken ? in->jt : in->jf);
			if (target >= len)
				return false;
			pc = target - 1; /* the loop adds 1 */
			break;
		}
		case RET:
			switch (c & 0x18) {
			case RVAL_K: *ret = k; return (c & ~0x1fu) == 0;
			case RVAL_A: *ret = a; return (c & ~0x1fu) == 0;
			default: return false;
			}
		case MISC:
			if (c == (MISC | TAX))
				x = a;
			else if (c == (MISC | TXA))
				a = x;
			else
				return false;
			break;
		default:
			return false;
		}
	}
	return false; /* fell off the end: the kernel refuses such a program */
}

bool ac_seccomp_ret_allows(uint32_t ret)
{
	uint32_t action = ret & 0xffff0000u; /* SECCOMP_RET_ACTION_FULL */
	return action == 0x7fff0000u /* SECCOMP_RET_ALLOW */ ||
	       action == 0x7ffc0000u /* SECCOMP_RET_LOG */;
}
