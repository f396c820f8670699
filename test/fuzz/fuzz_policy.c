/* fuzz_policy.c - libFuzzer target for the whole policy parser.
 *
 * The input is split on '\n' and NUL into environment entries, so that one
 * input sets several ABORTCLOSE_* variables at once, repeats them, and mixes
 * in unknown and foreign names.  A first entry "SECURE" (not passed on)
 * parses as an AT_SECURE (setuid) process.
 *
 * Invariants checked on every input (a violation aborts, which libFuzzer
 * reports as a crash):
 *  - rc is 0 or -1; msg is NUL-terminated within AC_MSG_MAX and printable
 *    ASCII only (so one line);
 *  - invalid: msg = "libabortclose: ..." + the disabled tail, never cut, and
 *    the policy is exactly the defaults with enabled = false;
 *  - valid: msg is "" or the secure-mode warning (only when secure), every
 *    field in range, log paths absolute (none in secure mode), port 0
 *    never in the bitmap, and ABORTCLOSE_PORTS agrees with a naive
 *    bit-by-bit reference;
 *  - parsing is deterministic (a second parse gives the same bytes).
 *
 * Run: test/fuzz/run.sh [SECONDS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define MAX_ENTRIES 64
#define HEAD "libabortclose: "
#define TAIL "; libabortclose is disabled for this process"
#define SECURE_WARNING "libabortclose: ABORTCLOSE_LOG path ignored in a setuid/setgid process"

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "fuzz_policy: invariant failed: %s (line %d)\n", \
				#cond, __LINE__);                                       \
			abort();                                                        \
		}                                                                       \
	} while (0)

static struct ac_policy got, again, want;

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* A deliberately naive reading of a *valid* ABORTCLOSE_PORTS value, one bit
 * at a time: positives first, then exclusions; only exclusions = all. */
static void reference_ports(const char *v, uint64_t *bits)
{
	bool any_positive = false;

	for (int pass = 0; pass < 3; pass++) {
		const char *p = v;

		if (pass == 1 && !any_positive)
			for (unsigned port = 1; port <= 65535; port++)
				bits[port / 64] |= 1ull << (port % 64);
		while (*p) {
			unsigned long lo, hi;
			bool exclude;
			char *end;

			while (is_space(*p) || *p == ',')
				p++;
			if (!*p)
				break;
			exclude = (*p == '!');
			if (exclude)
				p++;
			lo = strtoul(p, &end, 10);
			hi = lo;
			if (*end == '-')
				hi = strtoul(end + 1, &end, 10);
			p = end;
			if (pass == 0) {
				any_positive |= !exclude;
				continue;
			}
			if (exclude == (pass == 2))
				for (unsigned long port = lo; port <= hi; port++) {
					if (exclude)
						bits[port / 64] &= ~(1ull << (port % 64));
					else
						bits[port / 64] |= 1ull << (port % 64);
				}
		}
	}
}

static void check_line(const char *msg)
{
	const char *nul = memchr(msg, '\0', AC_MSG_MAX);

	CHECK(nul != NULL);
	for (const char *c = msg; c < nul; c++)
		CHECK(*c >= 0x20 && *c < 0x7f);
}

static void check_valid(char *const *envp, int secure, const char *msg)
{
	CHECK(msg[0] == '\0' || (secure && strcmp(msg, SECURE_WARNING) == 0));
	CHECK((unsigned)got.on_exit <= AC_EXIT_RST);
	CHECK((unsigned)got.on_shutdown <= AC_SHUTDOWN_KEEP);
	CHECK((unsigned)got.log_dest <= AC_LOG_FILE);
	CHECK((unsigned)got.log_level <= AC_LEVEL_DEBUG);
	CHECK(got.roles != 0 && (got.roles & ~AC_ROLE_ALL) == 0);
	CHECK(memchr(got.log_path, '\0', AC_PATH_MAX) != NULL);
	if (got.log_dest == AC_LOG_FILE)
		CHECK(got.log_path[0] == '/' && !secure);
	else if (got.log_dest == AC_LOG_SYSLOG)
		CHECK(got.log_path[0] == '\0' || (got.log_path[0] == '/' && !secure));
	else
		CHECK(got.log_path[0] == '\0');
	CHECK((got.ports[0] & 1) == 0 || !got.ports_filtered);
	CHECK(!ac_policy_port_managed(&got, 0) || !got.ports_filtered);
	CHECK(!ac_policy_port_managed(&got, 65536) || !got.ports_filtered);
	/* Keepalive: all three off or all three in the kernel's ranges. */
	if (got.keepalive_idle == 0)
		CHECK(got.keepalive_intvl == 0 && got.keepalive_cnt == 0);
	else
		CHECK(got.keepalive_idle <= AC_KEEPIDLE_MAX && got.keepalive_intvl >= 1 &&
		      got.keepalive_intvl <= AC_KEEPINTVL_MAX && got.keepalive_cnt >= 1 &&
		      got.keepalive_cnt <= AC_KEEPCNT_MAX);
	CHECK(got.user_timeout_ms <= AC_USER_TIMEOUT_MAX);

	for (char *const *e = envp; *e; e++) {
		static const char name[] = "ABORTCLOSE_PORTS=";
		static uint64_t bits[65536 / 64];

		if (strncmp(*e, name, sizeof(name) - 1) != 0 || strlen(*e) > 300)
			continue;
		memset(bits, 0, sizeof(bits));
		reference_ports(*e + sizeof(name) - 1, bits);
		CHECK(got.ports_filtered);
		CHECK(memcmp(bits, got.ports, sizeof(bits)) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *envp[MAX_ENTRIES + 1];
	char msg[AC_MSG_MAX], msg2[AC_MSG_MAX];
	size_t n = 0, start = 0;
	int secure = 0, rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i <= size && n < MAX_ENTRIES; i++) {
		if (i == size || buf[i] == '\n' || buf[i] == '\0') {
			buf[i] = '\0';
			envp[n++] = buf + start;
			start = i + 1;
		}
	}
	envp[n] = NULL;
	char **env = envp;
	if (n && strcmp(envp[0], "SECURE") == 0) {
		secure = 1;
		env++;
	}

	memset(msg, 0x41, sizeof(msg)); /* an unterminated msg must not pass */
	rc = ac_policy_parse(env, secure, &got, msg);
	CHECK(rc == 0 || rc == -1);
	check_line(msg);
	if (rc == -1) {
		size_t len = strlen(msg), tl = strlen(TAIL);

		CHECK(strncmp(msg, HEAD, strlen(HEAD)) == 0);
		CHECK(len > tl && strcmp(msg + len - tl, TAIL) == 0);
		CHECK(len < AC_MSG_MAX - 1); /* composed to fit, never cut */
		CHECK(!got.enabled);
		ac_policy_defaults(&want);
		want.enabled = false;
		CHECK(memcmp(&want, &got, sizeof(want)) == 0);
	} else {
		check_valid(env, secure, msg);
	}

	CHECK(ac_policy_parse(env, secure, &again, msg2) == rc);
	CHECK(memcmp(&got, &again, sizeof(got)) == 0);
	CHECK(strcmp(msg, msg2) == 0);

	free(buf);
	return 0;
}
