/* main.c - the one runner for every policy unit test: build/unit/run-unit.
 *
 * Prints check's normal summary ("100%: Checks: N, Failures: 0, Errors: 0")
 * and exits non-zero when any check failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static struct result the_result;

struct result *parse(char *const *envp, int secure)
{
	memset(&the_result, 0xa5, sizeof(the_result)); /* catch unset fields */
	the_result.rc = ac_policy_parse(envp, secure, &the_result.p, the_result.msg);
	return &the_result;
}

struct result *parse1(const char *entry)
{
	char *envp[] = { (char *)entry, NULL };

	return parse(envp, 0);
}

void assert_one_line(const char *msg)
{
	const char *nul = memchr(msg, '\0', AC_MSG_MAX);

	ck_assert_msg(nul != NULL, "msg not NUL-terminated within AC_MSG_MAX");
	for (const char *c = msg; c < nul; c++)
		ck_assert_msg(*c >= 0x20 && *c < 0x7f, "byte 0x%02x at %td in msg '%s'",
			      (unsigned char)*c, c - msg, msg);
}

void assert_valid(const struct result *r)
{
	ck_assert_msg(r->rc == 0, "expected valid, got: %s", r->msg);
	ck_assert_str_eq(r->msg, "");
}

void assert_invalid(const struct result *r, const char *name)
{
	struct ac_policy want;
	size_t len = strlen(r->msg), tail = strlen(MSG_TAIL);
	char named[64];

	ck_assert_int_eq(r->rc, -1);
	assert_one_line(r->msg);
	ck_assert_msg(strncmp(r->msg, MSG_HEAD, strlen(MSG_HEAD)) == 0, "head: %s", r->msg);
	ck_assert_msg(len > tail && strcmp(r->msg + len - tail, MSG_TAIL) == 0, "tail: %s",
		      r->msg);
	if (name) {
		/* The variable is named right after the head, as NAME= or NAME. */
		snprintf(named, sizeof(named), MSG_HEAD "%s", name);
		ck_assert_msg(strncmp(r->msg, named, strlen(named)) == 0 &&
				      (r->msg[strlen(named)] == '=' || r->msg[strlen(named)] == ' '),
			      "variable %s not named: %s", name, r->msg);
	}
	ac_policy_defaults(&want);
	want.enabled = false;
	ck_assert_msg(memcmp(&want, &r->p, sizeof(want)) == 0,
		      "invalid config must give the defaults with enabled=false");
}

unsigned managed_count(const struct ac_policy *p)
{
	unsigned n = 0;

	for (unsigned port = 1; port <= 65535; port++)
		n += ac_policy_port_managed(p, port);
	return n;
}

char *huge_entry(const char *name, size_t n, char c)
{
	size_t nl = strlen(name);
	char *e = malloc(nl + 1 + n + 1);

	ck_assert_ptr_nonnull(e);
	memcpy(e, name, nl);
	e[nl] = '=';
	memset(e + nl + 1, c, n);
	e[nl + 1 + n] = '\0';
	return e;
}

int main(void)
{
	SRunner *sr = srunner_create(suite_values());
	int failed;

	srunner_add_suite(sr, suite_log());
	srunner_add_suite(sr, suite_ports());
	srunner_add_suite(sr, suite_roles());
	srunner_add_suite(sr, suite_names());
	srunner_add_suite(sr, suite_messages());
	srunner_add_suite(sr, suite_decisions());
	srunner_add_suite(sr, suite_keepalive());
	srunner_add_suite(sr, suite_bpf());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
