/* test_roles.c - ABORTCLOSE_ROLES and ac_policy_role_managed(). */
#include <stdio.h>
#include <string.h>

#include "unit.h"

struct roles_case {
	const char *value;
	unsigned roles;
};

static const struct roles_case valid_cases[] = {
	{ "accepted", AC_ROLE_ACCEPTED },
	{ "connected", AC_ROLE_CONNECTED },
	{ "both", AC_ROLE_ALL },
	{ "accepted,connected", AC_ROLE_ALL },
	{ "connected,accepted", AC_ROLE_ALL },
	{ "connected , accepted", AC_ROLE_ALL },
	{ " accepted\t,\tconnected ", AC_ROLE_ALL },
	{ "ACCEPTED", AC_ROLE_ACCEPTED },
	{ " Connected ", AC_ROLE_CONNECTED },
	{ "BOTH", AC_ROLE_ALL },
	{ "accepted,accepted", AC_ROLE_ACCEPTED },
	{ "connected,connected,connected", AC_ROLE_CONNECTED },
	{ "both,accepted", AC_ROLE_ALL },
};

START_TEST(valid_roles)
{
	const struct roles_case *c = &valid_cases[_i];
	char entry[128];
	struct result *r;

	snprintf(entry, sizeof(entry), "ABORTCLOSE_ROLES=%s", c->value);
	r = parse1(entry);
	assert_valid(r);
	ck_assert_uint_eq(r->p.roles, c->roles);
	ck_assert(ac_policy_role_managed(&r->p, AC_ROLE_ACCEPTED) ==
		  !!(c->roles & AC_ROLE_ACCEPTED));
	ck_assert(ac_policy_role_managed(&r->p, AC_ROLE_CONNECTED) ==
		  !!(c->roles & AC_ROLE_CONNECTED));
}
END_TEST

struct bad_case {
	const char *value;
	const char *detail; /* "" = no detail */
};

static const struct bad_case invalid_cases[] = {
	{ "", "empty value" },
	{ "  ", "empty value" },
	{ "accepted,", "empty item" },
	{ ",connected", "empty item" },
	{ "accepted,,connected", "empty item" },
	{ "accepted, ,connected", "empty item" },
	{ "server", "unknown role 'server'" },
	{ "accept", "unknown role 'accept'" },
	{ "accepted connected", "unknown role 'accepted connect...'" },
	{ "accepted;connected", "unknown role 'accepted;connect...'" },
	{ "none", "unknown role 'none'" },
	{ "all", "unknown role 'all'" },
	{ "0", "unknown role '0'" },
	{ "accepted,listening", "unknown role 'listening'" },
	{ "accepted,\xc3\xa9", "unknown role '\\xc3\\xa9'" },
};

START_TEST(invalid_roles)
{
	const struct bad_case *c = &invalid_cases[_i];
	char entry[128], want[256];
	struct result *r;

	snprintf(entry, sizeof(entry), "ABORTCLOSE_ROLES=%s", c->value);
	snprintf(want, sizeof(want),
		 "(%s; expected accepted, connected, both or accepted,connected)", c->detail);
	r = parse1(entry);
	assert_invalid(r, "ABORTCLOSE_ROLES");
	ck_assert_msg(strstr(r->msg, want) != NULL, "'%s' lacks '%s'", r->msg, want);
}
END_TEST

START_TEST(role_decisions)
{
	struct ac_policy p;

	ac_policy_defaults(&p);
	ck_assert(ac_policy_role_managed(&p, AC_ROLE_ACCEPTED));
	ck_assert(ac_policy_role_managed(&p, AC_ROLE_CONNECTED));
	ck_assert(ac_policy_role_managed(&p, AC_ROLE_ALL));
	ck_assert(!ac_policy_role_managed(&p, 0)); /* no role: nothing to manage */
	p.roles = AC_ROLE_ACCEPTED;
	ck_assert(ac_policy_role_managed(&p, AC_ROLE_ACCEPTED));
	ck_assert(!ac_policy_role_managed(&p, AC_ROLE_CONNECTED));
	ck_assert(!ac_policy_role_managed(&p, AC_ROLE_ALL));
	ck_assert(!ac_policy_role_managed(&p, 4));
}
END_TEST

Suite *suite_roles(void)
{
	Suite *s = suite_create("roles");
	TCase *tc = tcase_create("roles");

	tcase_add_loop_test(tc, valid_roles, 0, (int)(sizeof(valid_cases) / sizeof(valid_cases[0])));
	tcase_add_loop_test(tc, invalid_roles, 0,
			    (int)(sizeof(invalid_cases) / sizeof(invalid_cases[0])));
	tcase_add_test(tc, role_decisions);
	suite_add_tcase(s, tc);
	return s;
}
