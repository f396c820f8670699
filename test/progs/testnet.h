/* testnet.h - shared by the integration-test programs (peer, victim, ...).
 *
 * The payload: byte i of every test stream is payload_byte(i), a fixed
 * function of the position.  A receiver can therefore check that what it
 * got is exactly a prefix of the stream (no byte lost, duplicated or moved)
 * without the sender telling it anything, and both ends report the same
 * 64-bit FNV-1a hash for the same bytes.
 */
#ifndef ABORTCLOSE_TESTNET_H
#define ABORTCLOSE_TESTNET_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static inline unsigned char payload_byte(uint64_t i)
{
	/* Fibonacci hashing of the offset: neighbouring bytes differ, and a
	 * shifted or repeated block does not match its new position. */
	return (unsigned char)((i * 0x9E3779B97F4A7C15ull) >> 56);
}

/* Fill buf with the payload bytes starting at stream offset off. */
static inline void payload_fill(unsigned char *buf, size_t len, uint64_t off)
{
	for (size_t k = 0; k < len; k++)
		buf[k] = payload_byte(off + k);
}

#define FNV1A_INIT 0xcbf29ce484222325ull
static inline uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		h ^= p[k];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* "ECONNRESET" for ECONNRESET, "E<number>" if glibc has no name. */
static inline const char *errno_name(int e)
{
	static char buf[16];
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

/* Parse "4"/"6" into AF_INET/AF_INET6, or 0. */
static inline int parse_family(const char *s)
{
	if (strcmp(s, "4") == 0)
		return AF_INET;
	if (strcmp(s, "6") == 0)
		return AF_INET6;
	return 0;
}

/* Loopback address of the family with the port, in *ss; returns its length. */
static inline socklen_t loopback_addr(int family, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		a6->sin6_addr = in6addr_loopback;
		return sizeof *a6;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof *a4;
}

/* Listening TCP socket on the loopback address of family, port (0 = any);
 * exits with status 2 and a message on failure (a setup error, not a
 * test result).  SO_REUSEADDR: the previous case's TIME_WAIT must not
 * make the next bind fail. */
static inline int listen_loopback(int family, unsigned port, unsigned *bound_port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(family, port, &ss);
	int fd = socket(family, SOCK_STREAM, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0) {
		fprintf(stderr, "listen on port %u: %s\n", port, strerror(errno));
		exit(2);
	}
	len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*bound_port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

#endif
