/* test_ports.c - the ABORTCLOSE_PORTS grammar and semantics. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define MAXP 8

struct ports_case {
	const char *value;
	unsigned count;        /* managed ports among 1..65535 */
	unsigned in[MAXP];     /* managed (0-terminated) */
	unsigned out[MAXP];    /* not managed (0-terminated) */
};

static const struct ports_case valid_cases[] = {
	{ "80", 1, { 80 }, { 79, 81, 443 } },
	{ "80,443,8000-8999,!8080", 1001, { 80, 443, 8000, 8079, 8081, 8999 },
	  { 8080, 7999, 9000, 1, 65535 } },
	{ "1", 1, { 1 }, { 2, 65535 } },
	{ "65535", 1, { 65535 }, { 65534, 1 } },
	{ "1-65535", 65535, { 1, 65535, 32768 }, { 0 } },
	{ "8000-8000", 1, { 8000 }, { 7999, 8001 } },
	{ "63-65", 3, { 63, 64, 65 }, { 62, 66 } },
	{ "127-129", 3, { 127, 128, 129 }, { 126, 130 } },
	{ " 80 , 443 ", 2, { 80, 443 }, { 81 } },
	{ "\t80,\t443\n", 2, { 80, 443 }, { 81 } },
	{ "080", 1, { 80 }, { 8 } },
	{ "80,80,80", 1, { 80 }, { 81 } },
	{ "80-90,85-95", 16, { 80, 85, 90, 95 }, { 79, 96 } },
	{ "80-90,!85", 10, { 80, 84, 86, 90 }, { 85 } },
	{ "!85,80-90", 10, { 80, 90 }, { 85 } },  /* exclusions win, whatever the order */
	{ "80,!80", 0, { 0 }, { 80 } },
	{ "!80,80", 0, { 0 }, { 80 } },
	{ "!22", 65534, { 1, 21, 23, 65535 }, { 22 } },   /* only exclusions: all but */
	{ "!22,!80-81", 65532, { 79, 82 }, { 22, 80, 81 } },
	{ "!22,!22,!20-30", 65524, { 19, 31 }, { 20, 22, 30 } },
	{ "!1-65535", 0, { 0 }, { 1, 80, 65535 } },
	{ "!1", 65534, { 2, 65535 }, { 1 } },
	{ "!65535", 65534, { 1, 65534 }, { 65535 } },
	{ "1-65535,!8080", 65534, { 1, 8079, 8081, 65535 }, { 8080 } },
	{ "443,!1-100", 1, { 443 }, { 80, 1, 100 } },
	{ "000000000000000000000000000080", 1, { 80 }, { 0 } },
};

START_TEST(valid_ports)
{
	const struct ports_case *c = &valid_cases[_i];
	char entry[256];
	struct result *r;

	snprintf(entry, sizeof(entry), "ABORTCLOSE_PORTS=%s", c->value);
	r = parse1(entry);
	assert_valid(r);
	ck_assert(r->p.ports_filtered);
	ck_assert_msg(managed_count(&r->p) == c->count, "%s: %u managed, want %u", c->value,
		      managed_count(&r->p), c->count);
	for (int i = 0; i < MAXP && c->in[i]; i++)
		ck_assert_msg(ac_policy_port_managed(&r->p, c->in[i]), "%s: %u not managed",
			      c->value, c->in[i]);
	for (int i = 0; i < MAXP && c->out[i]; i++)
		ck_assert_msg(!ac_policy_port_managed(&r->p, c->out[i]), "%s: %u managed", c->value,
			      c->out[i]);
	/* Out-of-range ports are never managed once a filter is set. */
	ck_assert(!ac_policy_port_managed(&r->p, 0));
	ck_assert(!ac_policy_port_managed(&r->p, 65536));
	ck_assert(!ac_policy_port_managed(&r->p, UINT_MAX));
}
END_TEST

struct bad_case {
	const char *value;
	const char *detail; /* the part before "; expected ports ..." */
};

static const struct bad_case invalid_cases[] = {
	{ "", "empty value" },
	{ "   ", "empty value" },
	{ "0", "port 0 out of range" },
	{ "65536", "port 65536 out of range" },
	{ "99999999999", "port 99999999999 out of range" },
	{ "184467440737095516170", "port 1844674407370955... out of range" },
	{ "1-65536", "port 65536 out of range" },
	{ "0-10", "port 0 out of range" },
	{ "!0", "port 0 out of range" },
	{ "!65536", "port 65536 out of range" },
	{ "-1", "not a port or range: '-1'" },
	{ "-80", "not a port or range: '-80'" },
	{ "+80", "not a port or range: '+80'" },
	{ "9000-8000", "reversed range 9000-8000" },
	{ "80,9000-8000", "reversed range 9000-8000" },
	{ "!9000-8000", "reversed range 9000-8000" },
	{ "2-1", "reversed range 2-1" },
	{ "80,", "empty item" },
	{ ",80", "empty item" },
	{ "80,,443", "empty item" },
	{ "80, ,443", "empty item" },
	{ ",", "empty item" },
	{ "abc", "not a port or range: 'abc'" },
	{ "http", "not a port or range: 'http'" },
	{ "80x", "not a port or range: '80x'" },
	{ "0x50", "not a port or range: '0x50'" },
	{ "80.0", "not a port or range: '80.0'" },
	{ "80;443", "not a port or range: '80;443'" },
	{ "80 443", "not a port or range: '80 443'" },
	{ "80 - 90", "not a port or range: '80 - 90'" },
	{ "! 80", "not a port or range: '! 80'" },
	{ "!!80", "not a port or range: '!!80'" },
	{ "!", "not a port or range: '!'" },
	{ "-", "not a port or range: '-'" },
	{ "80-", "not a port or range: '80-'" },
	{ "-90", "not a port or range: '-90'" },
	{ "80-90-100", "not a port or range: '80-90-100'" },
	{ "80!", "not a port or range: '80!'" },
	{ "all", "not a port or range: 'all'" },
	{ "*", "not a port or range: '*'" },
	{ "\xff", "not a port or range: '\\xff'" },
	{ "80,\x01", "not a port or range: '\\x01'" },
	{ "80,abcdefghijklmnopqrstuvwxyz", "not a port or range: 'abcdefghijklmnop...'" },
};

START_TEST(invalid_ports)
{
	const struct bad_case *c = &invalid_cases[_i];
	char entry[256], want[256];
	struct result *r;

	snprintf(entry, sizeof(entry), "ABORTCLOSE_PORTS=%s", c->value);
	snprintf(want, sizeof(want), "(%s; expected ports 1-65535 like 80,443,8000-8999,!8080)",
		 c->detail);
	r = parse1(entry);
	assert_invalid(r, "ABORTCLOSE_PORTS");
	ck_assert_msg(strstr(r->msg, want) != NULL, "'%s' lacks '%s'", r->msg, want);
}
END_TEST

START_TEST(unfiltered_manages_every_port)
{
	struct result *r = parse(ENV("PATH=/bin"), 0);

	ck_assert(!r->p.ports_filtered);
	ck_assert(ac_policy_port_managed(&r->p, 0));
	ck_assert(ac_policy_port_managed(&r->p, 1));
	ck_assert(ac_policy_port_managed(&r->p, 65535));
	ck_assert(ac_policy_port_managed(&r->p, 65536));
	ck_assert(ac_policy_port_managed(&r->p, UINT_MAX));
}
END_TEST

START_TEST(many_wide_ranges_are_fast_and_exact)
{
	/* 10,000 full ranges: must be word-at-a-time, not bit-at-a-time. */
	const char *item = "1-65535,";
	size_t n = 10000, il = strlen(item);
	char *e = huge_entry("ABORTCLOSE_PORTS", n * il + 2, ' ');
	char *v = strchr(e, '=') + 1;
	struct result *r;

	for (size_t i = 0; i < n; i++)
		memcpy(v + i * il, item, il);
	memcpy(v + n * il, "!8", 2); /* ...,1-65535,!8 */
	r = parse1(e);
	assert_valid(r);
	ck_assert_uint_eq(managed_count(&r->p), 65534);
	ck_assert(!ac_policy_port_managed(&r->p, 8));
	free(e);
}
END_TEST

START_TEST(huge_number_is_out_of_range_not_overflow)
{
	char *e = huge_entry("ABORTCLOSE_PORTS", 1 << 20, '9');
	struct result *r = parse1(e);

	assert_invalid(r, "ABORTCLOSE_PORTS");
	ck_assert_ptr_nonnull(strstr(r->msg, "(port 9999999999999999... out of range;"));
	free(e);
}
END_TEST

Suite *suite_ports(void)
{
	Suite *s = suite_create("ports");
	TCase *tc = tcase_create("ports");

	tcase_add_loop_test(tc, valid_ports, 0, (int)(sizeof(valid_cases) / sizeof(valid_cases[0])));
	tcase_add_loop_test(tc, invalid_ports, 0,
			    (int)(sizeof(invalid_cases) / sizeof(invalid_cases[0])));
	tcase_add_test(tc, unfiltered_manages_every_port);
	tcase_add_test(tc, many_wide_ranges_are_fast_and_exact);
	tcase_add_test(tc, huge_number_is_out_of_range_not_overflow);
	suite_add_tcase(s, tc);
	return s;
}
