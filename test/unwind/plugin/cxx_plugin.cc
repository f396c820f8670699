// cxx_plugin.cc - a C++ plugin (shared object) that a C host dlopen()s with
// RTLD_LOCAL (test/progs/unwind_plugin_host.c): its libstdc++ and libgcc_s
// are then outside the global scope, as for a C++ extension of Python.
//
//   extern "C" int plugin_serve(int fd, const char *request)
//     RAII Conn owns fd (its destructor closes it), writes "Hello.\n", then
//     "throw": throws out of the handler, caught in plugin_serve (RST);
//     "caught": throws and catches inside, "Caught.\n", normal close (FIN);
//     anything else: "We are done!\n", normal close (FIN).
//   Returns 1 when the handler threw, 0 otherwise.
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace {

class Conn {
public:
	explicit Conn(int fd) : fd_(fd) {}
	Conn(const Conn &) = delete;
	Conn &operator=(const Conn &) = delete;
	~Conn() { ::close(fd_); }
	void send(const char *s)
	{
		if (::write(fd_, s, std::strlen(s)) != (ssize_t)std::strlen(s))
			throw std::runtime_error("write");
	}

private:
	int fd_;
};

__attribute__((noinline)) void handle(int fd, const char *request)
{
	Conn conn(fd);
	conn.send("Hello.\n");
	if (std::strcmp(request, "throw") == 0)
		throw std::runtime_error("plugin handler failed");
	if (std::strcmp(request, "caught") == 0) {
		try {
			throw std::runtime_error("handled inside");
		} catch (const std::exception &) {
		}
		conn.send("Caught.\n");
		return;
	}
	conn.send("We are done!\n");
}

} // namespace

extern "C" __attribute__((visibility("default"))) int plugin_serve(int fd, const char *request)
{
	try {
		handle(fd, request);
	} catch (const std::exception &) {
		return 1;
	}
	return 0;
}
