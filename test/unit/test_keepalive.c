/* test_keepalive.c - ABORTCLOSE_KEEPALIVE and ABORTCLOSE_USER_TIMEOUT: the
 * kernel's own ranges (TCP_KEEPIDLE/TCP_KEEPINTVL 1-32767, TCP_KEEPCNT
 * 1-127, TCP_USER_TIMEOUT 1-INT_MAX), 0, negatives and junk refused with one
 * line naming the variable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

struct ka_case {
	const char *value;
	unsigned idle, intvl, cnt;
};

static const struct ka_case ka_valid[] = {
	{ "off", 0, 0, 0 },
	{ "OFF", 0, 0, 0 },
	{ " off ", 0, 0, 0 },
	{ "1,1,1", 1, 1, 1 },
	{ "60,10,6", 60, 10, 6 },
	{ " 60 , 10 , 6 ", 60, 10, 6 },
	{ "32767,32767,127", 32767, 32767, 127 },
	{ "007,08,09", 7, 8, 9 },
	{ "7200,75,9", 7200, 75, 9 },
};

START_TEST(keepalive_valid)
{
	const struct ka_case *c = &ka_valid[_i];
	char entry[128];
	struct result *r;

	snprintf(entry, sizeof(entry), "ABORTCLOSE_KEEPALIVE=%s", c->value);
	r = parse1(entry);
	assert_valid(r);
	ck_assert_uint_eq(r->p.keepalive_idle, c->idle);
	ck_assert_uint_eq(r->p.keepalive_intvl, c->intvl);
	ck_assert_uint_eq(r->p.keepalive_cnt, c->cnt);
	ck_assert(ac_policy_keepalive_on(&r->p) == (c->idle != 0));
	ck_assert_uint_eq(r->p.user_timeout_ms, 0);
}
END_TEST

struct bad_case {
	const char *value;
	const char *detail; /* expected inside the message */
};

static const struct bad_case ka_invalid[] = {
	{ "", "empty value" },
	{ "  ", "empty value" },
	{ "0,1,1", "idle out of range 1-32767" },
	{ "1,0,1", "interval out of range 1-32767" },
	{ "1,1,0", "count out of range 1-127" },
	{ "32768,1,1", "idle out of range 1-32767" },
	{ "1,32768,1", "interval out of range 1-32767" },
	{ "1,1,128", "count out of range 1-127" },
	{ "99999999999999999999999,1,1", "idle out of range 1-32767" },
	{ "-1,1,1", "idle is not a number" },
	{ "+1,1,1", "idle is not a number" },
	{ "1,-1,1", "interval is not a number" },
	{ "60", "3 items needed" },
	{ "60,10", "3 items needed" },
	{ "60,10,6,1", "more than 3 items" },
	{ "60,,6", "empty item" },
	{ "60,10,", "empty item" },
	{ ",10,6", "empty item" },
	{ "on", "idle is not a number" },
	{ "1", "3 items needed" },
	{ "60s,10,6", "idle is not a number" },
	{ "6 0,10,6", "idle is not a number" },
	{ "0x10,1,1", "idle is not a number" },
	{ "1.5,1,1", "idle is not a number" },
	{ "60;10;6", "idle is not a number" },
	{ "\xff,1,1", "idle is not a number" },
};

START_TEST(keepalive_invalid)
{
	const struct bad_case *c = &ka_invalid[_i];
	char entry[128];
	struct result *r;

	snprintf(entry, sizeof(entry), "ABORTCLOSE_KEEPALIVE=%s", c->value);
	r = parse1(entry);
	assert_invalid(r, "ABORTCLOSE_KEEPALIVE");
	ck_assert_msg(strstr(r->msg, c->detail) != NULL, "want '%s' in: %s", c->detail, r->msg);
	ck_assert_msg(strstr(r->msg, "expected off or IDLE,INTERVAL,COUNT") != NULL, "%s", r->msg);
}
END_TEST

struct uto_case {
	const char *value;
	unsigned ms;
};

static const struct uto_case uto_valid[] = {
	{ "off", 0 },
	{ "Off", 0 },
	{ "1", 1 },
	{ "2000", 2000 },
	{ " 30000\t", 30000 },
	{ "2147483647", 2147483647u },
};

START_TEST(user_timeout_valid)
{
	const struct uto_case *c = &uto_valid[_i];
	char entry[128];
	struct result *r;

	snprintf(entry, sizeof(entry), "ABORTCLOSE_USER_TIMEOUT=%s", c->value);
	r = parse1(entry);
	assert_valid(r);
	ck_assert_uint_eq(r->p.user_timeout_ms, c->ms);
	ck_assert(ac_policy_user_timeout_on(&r->p) == (c->ms != 0));
	ck_assert(!ac_policy_keepalive_on(&r->p));
}
END_TEST

static const struct bad_case uto_invalid[] = {
	{ "", "empty value" },
	{ "0", "timeout out of range 1-2147483647" },
	{ "000", "timeout out of range 1-2147483647" },
	{ "2147483648", "timeout out of range 1-2147483647" },
	{ "99999999999999999999999999", "timeout out of range 1-2147483647" },
	{ "-1", "timeout is not a number" },
	{ "-2000", "timeout is not a number" },
	{ "2s", "timeout is not a number" },
	{ "2000ms", "timeout is not a number" },
	{ "1,2", "timeout is not a number" },
	{ "on", "timeout is not a number" },
	{ "1e3", "timeout is not a number" },
	{ "\x01", "timeout is not a number" },
};

START_TEST(user_timeout_invalid)
{
	const struct bad_case *c = &uto_invalid[_i];
	char entry[128];
	struct result *r;

	snprintf(entry, sizeof(entry), "ABORTCLOSE_USER_TIMEOUT=%s", c->value);
	r = parse1(entry);
	assert_invalid(r, "ABORTCLOSE_USER_TIMEOUT");
	ck_assert_msg(strstr(r->msg, c->detail) != NULL, "want '%s' in: %s", c->detail, r->msg);
	ck_assert_msg(strstr(r->msg, "expected off or milliseconds") != NULL, "%s", r->msg);
}
END_TEST

/* Both together, with the filters: independent fields. */
START_TEST(keepalive_with_others)
{
	struct result *r = parse(ENV("ABORTCLOSE_PORTS=80", "ABORTCLOSE_KEEPALIVE=60,10,6",
				     "ABORTCLOSE_USER_TIMEOUT=30000", "ABORTCLOSE_ROLES=accepted"), 0);

	assert_valid(r);
	ck_assert(r->p.ports_filtered);
	ck_assert_uint_eq(r->p.roles, AC_ROLE_ACCEPTED);
	ck_assert_uint_eq(r->p.keepalive_idle, 60);
	ck_assert_uint_eq(r->p.keepalive_intvl, 10);
	ck_assert_uint_eq(r->p.keepalive_cnt, 6);
	ck_assert_uint_eq(r->p.user_timeout_ms, 30000);
}
END_TEST

/* The defaults are off, and a repeated variable is refused like any other. */
START_TEST(keepalive_defaults_and_repeats)
{
	struct ac_policy p;
	struct result *r;

	ac_policy_defaults(&p);
	ck_assert(!ac_policy_keepalive_on(&p));
	ck_assert(!ac_policy_user_timeout_on(&p));
	r = parse(ENV("ABORTCLOSE_KEEPALIVE=1,1,1", "ABORTCLOSE_KEEPALIVE=2,2,2"), 0);
	assert_invalid(r, "ABORTCLOSE_KEEPALIVE");
	ck_assert_ptr_nonnull(strstr(r->msg, "is set more than once"));
	r = parse(ENV("ABORTCLOSE_USER_TIMEOUT=1", "ABORTCLOSE_USER_TIMEOUT=1"), 0);
	assert_invalid(r, "ABORTCLOSE_USER_TIMEOUT");
}
END_TEST

/* The longest values still give one line with the whole tail. */
START_TEST(keepalive_worst_line)
{
	char *e = huge_entry("ABORTCLOSE_KEEPALIVE", 100000, '\x01');
	struct result *r = parse1(e);

	assert_invalid(r, "ABORTCLOSE_KEEPALIVE");
	free(e);
	e = huge_entry("ABORTCLOSE_USER_TIMEOUT", 100000, '\xff');
	r = parse1(e);
	assert_invalid(r, "ABORTCLOSE_USER_TIMEOUT");
	free(e);
}
END_TEST

/* Near-miss names get the hint. */
START_TEST(keepalive_names)
{
	struct result *r = parse1("ABORTCLOSE_KEEPALIV=1,1,1");

	assert_invalid(r, NULL);
	ck_assert_ptr_nonnull(strstr(r->msg, "did you mean ABORTCLOSE_KEEPALIVE?"));
	r = parse1("ABORTCLOSE_USER_TIMEOUTS=1");
	assert_invalid(r, NULL);
	ck_assert_ptr_nonnull(strstr(r->msg, "did you mean ABORTCLOSE_USER_TIMEOUT?"));
}
END_TEST

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

Suite *suite_keepalive(void)
{
	Suite *s = suite_create("keepalive");
	TCase *tc = tcase_create("keepalive");

	tcase_add_loop_test(tc, keepalive_valid, 0, N(ka_valid));
	tcase_add_loop_test(tc, keepalive_invalid, 0, N(ka_invalid));
	tcase_add_loop_test(tc, user_timeout_valid, 0, N(uto_valid));
	tcase_add_loop_test(tc, user_timeout_invalid, 0, N(uto_invalid));
	tcase_add_test(tc, keepalive_with_others);
	tcase_add_test(tc, keepalive_defaults_and_repeats);
	tcase_add_test(tc, keepalive_worst_line);
	tcase_add_test(tc, keepalive_names);
	suite_add_tcase(s, tc);
	return s;
}
