// cxx_server.cc - a C++ server whose connection object closes its fd in its
// destructor (RAII), for the unwinding tests (issue 11).
//
//   cxx_server PORT   prints "READY PORT", then serves connections one at a
//                     time; the accept loop catches whatever a handler throws
//
// Each connection sends one request line; the handler writes "Hello.\n",
// then, by request:
//   ok         "We are done!\n"; ~Conn closes normally
//   throw      throws mid-response: ~Conn closes while the exception
//              propagates out of the handler (uncaught_exceptions() == 1)
//   caught     throws and catches inside the handler, "Caught.\n", then a
//              normal close
//   rethrow    throw, catch, rethrow, catch again, "Rethrown.\n", normal close
//   eptr       holds a std::exception_ptr while "Held.\n" and the close
//   catchdtor  the Conn is moved into a catch block and destroyed there,
//              after the exception was handled (uncaught_exceptions() == 0)
//   throw-exit0 throws, and a destructor that runs during the unwinding calls
//              exit(0) with the connection still open: the exit policy
//              decides (status 0: FIN), not the unwinding
// ~Conn prints "CLOSE <request> uncaught=<n>" before it closes, and the loop
// prints "DONE <request> <ok|threw>".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

class Conn {
public:
	Conn(int fd, std::string request) : fd_(fd), request_(std::move(request)) {}
	Conn(Conn &&o) noexcept : fd_(o.fd_), request_(std::move(o.request_)) { o.fd_ = -1; }
	Conn(const Conn &) = delete;
	Conn &operator=(const Conn &) = delete;
	~Conn()
	{
		if (fd_ < 0)
			return;
		std::printf("CLOSE %s uncaught=%d\n", request_.c_str(), std::uncaught_exceptions());
		std::fflush(stdout);
		::close(fd_);
	}
	void send(const char *s)
	{
		size_t n = std::strlen(s);
		while (n) {
			ssize_t w = ::write(fd_, s, n);
			if (w <= 0)
				throw std::runtime_error("write failed");
			s += w;
			n -= (size_t)w;
		}
	}

private:
	int fd_;
	std::string request_;
};

// Ends the process from a destructor run while an exception propagates.
struct ExitDuringUnwind {
	~ExitDuringUnwind()
	{
		if (std::uncaught_exceptions() > 0) {
			std::printf("DONE throw-exit0 exit(0) with uncaught=%d\n", std::uncaught_exceptions());
			std::fflush(stdout);
			std::exit(0);
		}
	}
};

static std::string read_request(int fd)
{
	std::string line;
	char c;
	while (::read(fd, &c, 1) == 1 && c != '\n')
		line += c;
	return line;
}

// A handler function of its own, as in most servers (not inlined into the
// accept loop's try block: with a statically linked libstdc++ the library
// sees the unwinding only up to the catch's landing pad, see README).
__attribute__((noinline)) static void handle(int fd)
{
	std::string request = read_request(fd);
	Conn conn(fd, request);
	conn.send("Hello.\n");
	if (request == "throw")
		throw std::runtime_error("handler failed mid-response");
	if (request == "throw-exit0") {
		ExitDuringUnwind guard; // destroyed before conn: conn is still open
		throw std::runtime_error("exit(0) while unwinding");
	}
	if (request == "caught") {
		try {
			throw std::runtime_error("handled inside");
		} catch (const std::exception &) {
		}
		conn.send("Caught.\n");
	} else if (request == "rethrow") {
		try {
			try {
				throw std::runtime_error("first");
			} catch (...) {
				throw;
			}
		} catch (const std::exception &) {
		}
		conn.send("Rethrown.\n");
	} else if (request == "eptr") {
		std::exception_ptr held;
		try {
			throw std::runtime_error("kept for later");
		} catch (...) {
			held = std::current_exception();
		}
		conn.send("Held.\n");
		Conn closing(std::move(conn)); // closed here, with `held` alive
		(void)held;
	} else if (request == "catchdtor") {
		try {
			throw std::runtime_error("handled, then the connection ends");
		} catch (const std::exception &) {
			Conn in_catch(std::move(conn));
			in_catch.send("In catch.\n");
		} // ~in_catch ran inside the catch block
	} else {
		conn.send("We are done!\n");
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: cxx_server PORT\n");
		return 2;
	}
	int ls = ::socket(AF_INET, SOCK_STREAM, 0), one = 1;
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)std::atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (::bind(ls, (sockaddr *)&a, sizeof a) != 0 || ::listen(ls, 16) != 0) {
		std::perror("bind/listen");
		return 2;
	}
	std::printf("READY %s\n", argv[1]);
	std::fflush(stdout);
	for (;;) {
		int fd = ::accept(ls, nullptr, nullptr);
		if (fd < 0)
			continue;
		const char *verdict = "ok";
		try {
			handle(fd);
		} catch (const std::exception &) {
			verdict = "threw";
		}
		std::printf("DONE %s\n", verdict);
		std::fflush(stdout);
	}
}
