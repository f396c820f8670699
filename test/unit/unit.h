/* unit.h - shared helpers of the policy unit tests in test/unit. */
#ifndef ABORTCLOSE_UNIT_H
#define ABORTCLOSE_UNIT_H

#include <check.h>
#include <stddef.h>
#include <stdio.h>

#include "policy.h"

/* ENV("A=1", "B=2") is a NULL-terminated envp. */
#define ENV(...) ((char *[]){ __VA_ARGS__, NULL })

#define MSG_HEAD "libabortclose: "
#define MSG_TAIL "; libabortclose is disabled for this process"
#define MSG_SECURE_LOG "libabortclose: ABORTCLOSE_LOG path ignored in a setuid/setgid process"

struct result {
	int rc;
	struct ac_policy p;
	char msg[AC_MSG_MAX];
};

/* Parse envp into a static result (each check test runs in its own
 * process, and struct ac_policy is 12 KB). */
struct result *parse(char *const *envp, int secure);

/* Shortcut: parse one "NAME=value" entry, not secure. */
struct result *parse1(const char *entry);

/* msg is NUL-terminated within AC_MSG_MAX and printable ASCII only. */
void assert_one_line(const char *msg);

/* rc 0, msg "", enabled as given, policy otherwise whatever was parsed. */
void assert_valid(const struct result *r);

/* rc -1; msg one line "libabortclose: NAME..." ending with the tail;
 * *out is exactly the defaults with enabled = false. */
void assert_invalid(const struct result *r, const char *name);

/* Number of managed ports 1..65535. */
unsigned managed_count(const struct ac_policy *p);

/* A malloc'ed "NAME=" followed by n copies of byte c (caller frees). */
char *huge_entry(const char *name, size_t n, char c);

Suite *suite_values(void);
Suite *suite_log(void);
Suite *suite_ports(void);
Suite *suite_roles(void);
Suite *suite_names(void);
Suite *suite_messages(void);
Suite *suite_decisions(void);
Suite *suite_keepalive(void);
Suite *suite_bpf(void);

#endif
