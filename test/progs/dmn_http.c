/* dmn_http.c - the HTTP client of the real-daemon tests (test/daemons/).
 *
 *   dmn_http --port P --path /PATH [options]
 *       connects to 127.0.0.1:P, sends one whole request
 *       "GET /PATH HTTP/1.1" with "Connection: close" in a single send (so
 *       the server can read all of it: no unread input, no RFC 2525 RST),
 *       then reads until EOF or an error.
 *
 *   options: --expect FILE  the body must be exactly FILE's bytes (match=1)
 *            --save FILE    write the body to FILE as it arrives
 *            --mark N       print "PROGRESS <n>" once N body bytes arrived
 *                           (the test waits for it before killing the server)
 *            --slow USEC    sleep USEC after each read (data stays queued on
 *                           the server's side)
 *            --count N      N requests one after the other, each checked
 *                           against --expect (a graceful load)
 *            --http10       send "HTTP/1.0" (no chunked encoding: Apache
 *                           chunks a CGI's output to an HTTP/1.1 client)
 *            --timeout S    overall bound (default 30)
 *
 * Result, one line per request unless --count > 1:
 *   status=200 bytes=N body=M first=EOF|ECONNRESET|TIMEOUT|... match=1|0|-
 * with --count > 1 one summary line:
 *   requests=N ok=K lost=L bad=B firstbad=<that request's line, or ->
 * "first" is the first error of any call on the connection, or EOF (Linux
 * reports an RST once; a reader that only looked at the last read() would see
 * EOF).  "ok" counts requests with status 200, first=EOF and match=1; "lost"
 * the expected body bytes that did not arrive.  Exit 0; 2 on bad usage.
 */
#include "testnet.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>

struct opts {
	unsigned port;
	const char *path, *expect, *save;
	long mark, slow_usec, count;
	int http10;
	double timeout_s;
};

struct result {
	int status;
	long bytes, body;
	const char *first;
	int match; /* 1, 0, or -1 when there is nothing to compare with */
};

static double deadline;
static unsigned char *want;
static long want_len = -1;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int wait_fd(int fd, short events)
{
	for (;;) {
		double left = deadline - now_s();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r > 0 || (r < 0 && errno != EINTR))
			return 1;
	}
}

static void record(struct result *r, const char *what)
{
	if (!r->first)
		r->first = what;
}

static void load_expect(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(file);
		exit(2);
	}
	want = malloc((size_t)st.st_size + 1);
	want_len = 0;
	while (want && want_len < st.st_size) {
		ssize_t n = read(fd, want + want_len, (size_t)(st.st_size - want_len));
		if (n <= 0) {
			perror(file);
			exit(2);
		}
		want_len += n;
	}
	close(fd);
}

/* Body bytes: compare with the expected file, save, report progress. */
static void take_body(const struct opts *o, struct result *r, int save_fd,
		      const unsigned char *p, long n)
{
	if (want_len >= 0 &&
	    (r->body + n > want_len || memcmp(want + r->body, p, (size_t)n) != 0))
		r->match = 0;
	if (save_fd >= 0 && write(save_fd, p, (size_t)n) != n)
		perror("save");
	if (o->mark > 0 && r->body < o->mark && r->body + n >= o->mark) {
		printf("PROGRESS %ld\n", r->body + n);
		fflush(stdout);
	}
	r->body += n;
}

static void one_request(const struct opts *o, struct result *r)
{
	static unsigned char buf[65536];
	char req[512], head[8192];
	long head_len = 0;
	int in_body = 0, save_fd = -1;
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(AF_INET, o->port, &ss);

	memset(r, 0, sizeof *r);
	r->match = want_len >= 0 ? 1 : -1;
	if (o->save) {
		save_fd = open(o->save, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (save_fd < 0) {
			perror(o->save);
			exit(2);
		}
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0) {
		record(r, errno_name(errno));
		goto out;
	}
	int rl = snprintf(req, sizeof req,
			  "GET %s HTTP/1.%d\r\nHost: 127.0.0.1:%u\r\nUser-Agent: dmn_http\r\n"
			  "Connection: close\r\n\r\n", o->path, o->http10 ? 0 : 1, o->port);
	/* MSG_NOSIGNAL: a reset connection gives an errno, never SIGPIPE. */
	if (send(fd, req, (size_t)rl, MSG_NOSIGNAL) != rl) {
		record(r, errno_name(errno));
		goto out;
	}
	while (!r->first) {
		if (!wait_fd(fd, POLLIN)) {
			record(r, "TIMEOUT");
			break;
		}
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0) {
			record(r, "EOF");
			break;
		}
		if (n < 0) {
			if (errno != EINTR && errno != EAGAIN)
				record(r, errno_name(errno));
			continue;
		}
		r->bytes += n;
		const unsigned char *p = buf;
		if (!in_body) {
			/* Collect the header; the body starts after CRLFCRLF. */
			long take = n;
			if (take > (long)sizeof head - 1 - head_len)
				take = (long)sizeof head - 1 - head_len;
			memcpy(head + head_len, buf, (size_t)take);
			head[head_len + take] = 0;
			char *end = strstr(head, "\r\n\r\n");
			if (!end) {
				head_len += take;
				continue;
			}
			long hdr = end + 4 - head; /* header bytes in head[] */
			sscanf(head, "HTTP/%*s %d", &r->status);
			in_body = 1;
			p = buf + (hdr - head_len);
			n -= hdr - head_len;
			head_len = hdr;
		}
		if (n > 0)
			take_body(o, r, save_fd, p, n);
		if (o->slow_usec > 0)
			usleep((useconds_t)o->slow_usec);
	}
	if (want_len >= 0 && r->body != want_len)
		r->match = 0;
out:
	if (fd >= 0)
		close(fd);
	if (save_fd >= 0)
		close(save_fd);
}

static void usage(void)
{
	fprintf(stderr, "usage: dmn_http --port P --path /PATH [--expect FILE] [--save FILE] "
			"[--http10] [--mark N] [--slow USEC] [--count N] [--timeout S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { .path = "/", .count = 1, .timeout_s = 30 };
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--http10") == 0) {
			o.http10 = 1;
			i--;
			continue;
		}
		if (!v)
			usage();
		if (strcmp(a, "--port") == 0)
			o.port = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--path") == 0)
			o.path = v;
		else if (strcmp(a, "--expect") == 0)
			o.expect = v;
		else if (strcmp(a, "--save") == 0)
			o.save = v;
		else if (strcmp(a, "--mark") == 0)
			o.mark = strtol(v, NULL, 10);
		else if (strcmp(a, "--slow") == 0)
			o.slow_usec = strtol(v, NULL, 10);
		else if (strcmp(a, "--count") == 0)
			o.count = strtol(v, NULL, 10);
		else if (strcmp(a, "--timeout") == 0)
			o.timeout_s = strtod(v, NULL);
		else
			usage();
	}
	if (o.port == 0 || o.count < 1 || o.timeout_s <= 0 || strlen(o.path) > 300 ||
	    (o.count > 1 && !o.expect))
		usage();
	if (o.expect)
		load_expect(o.expect);
	deadline = now_s() + o.timeout_s;

	struct result r;
	long ok = 0, lost = 0, bad = 0;
	char line[256], firstbad[256] = "-";
	for (long i = 0; i < o.count; i++) {
		one_request(&o, &r);
		snprintf(line, sizeof line, "status=%d bytes=%ld body=%ld first=%s match=%s",
			 r.status, r.bytes, r.body, r.first ? r.first : "-",
			 r.match < 0 ? "-" : r.match ? "1" : "0");
		if (o.count == 1) {
			printf("%s\n", line);
			return 0;
		}
		if (r.status == 200 && r.first && strcmp(r.first, "EOF") == 0 && r.match == 1) {
			ok++;
		} else {
			if (!bad++)
				snprintf(firstbad, sizeof firstbad, "%s", line);
		}
		if (want_len > r.body)
			lost += want_len - r.body;
	}
	/* Spaces in firstbad would split fields: it is the last field. */
	printf("requests=%ld ok=%ld lost=%ld bad=%ld firstbad=%s\n", o.count, ok, lost, bad, firstbad);
	return 0;
}
