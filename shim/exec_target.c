/* exec_target.c - will the program about to be exec'd run under this library?
 *
 * Sockets that survive an exec (no close-on-exec) stay armed in the new
 * program.  That is right when the new program loads the library too (it
 * adopts them at load), and wrong otherwise: its graceful close would then
 * send RST.  When it cannot be told, the answer is "no" and the sockets are
 * disarmed before the exec (invariant 1: a graceful close never loses data).
 *
 * "Yes" needs: LD_PRELOAD in the new environment names libabortclose and its
 * ABORTCLOSE_* configuration is valid and on; the target is not setuid or
 * setgid (the loader then ignores LD_PRELOAD); the target is a dynamically
 * linked ELF (has PT_INTERP) or a #! script whose interpreter is one.
 * Raw system calls on stack buffers only (exec may follow vfork-like paths). */
#include "export.h"
#include "exec_target.h"
#include "policy.h"
#include "real.h"

#include <elf.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* NULL if envp loads the library, on; else why not. */
static const char *env_refusal(char *const envp[])
{
	bool preloaded = false;
	if (!envp)
		return "environment-without-LD_PRELOAD";
	for (char *const *e = envp; *e; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) == 0 && strstr(*e + 11, "libabortclose"))
			preloaded = true;
	if (!preloaded)
		return "environment-without-LD_PRELOAD";
	/* 12 KiB: kept off the stack.  Two threads exec'ing at once: the loser
	 * answers "cannot tell" (the safe answer) rather than wait. */
	static struct ac_policy scratch;
	static atomic_flag busy = ATOMIC_FLAG_INIT;
	char msg[AC_MSG_MAX];
	if (atomic_flag_test_and_set(&busy))
		return "another-thread-execs-at-once";
	bool ok = ac_policy_parse(envp, 0, &scratch, msg) == 0 && scratch.enabled;
	atomic_flag_clear(&busy);
	return ok ? NULL : "environment-turns-it-off-or-is-invalid";
}

/* 1 dynamic ELF, 0 static/setuid/unknown; depth limits #! recursion. */
static int file_loads_preload(int dirfd, const char *path, int at_flags, int depth)
{
	int saved = errno, result = 0;
	struct stat st;
	if (fstatat(dirfd, path, &st, at_flags) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_ISUID | S_ISGID)))
		goto out;
	int fd = (int)ac_sys(SYS_openat, dirfd, (long)path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, 0, 0);
	if (fd < 0 && (at_flags & AT_EMPTY_PATH) && path[0] == 0)
		fd = (int)ac_sys(SYS_dup, dirfd, 0, 0, 0, 0, 0);
	if (fd < 0)
		goto out;
	unsigned char hdr[256];
	long n = ac_sys(SYS_pread64, fd, (long)hdr, sizeof hdr, 0, 0, 0);
	if (n >= 4 && hdr[0] == '#' && hdr[1] == '!' && depth < 2) {
		char interp[256];
		long i = 2, k = 0;
		while (i < n && (hdr[i] == ' ' || hdr[i] == '\t'))
			i++;
		while (i < n && hdr[i] != ' ' && hdr[i] != '\t' && hdr[i] != '\n' && k < 255)
			interp[k++] = (char)hdr[i++];
		interp[k] = 0;
		result = k > 0 && file_loads_preload(AT_FDCWD, interp, 0, depth + 1);
	} else if (n >= (long)sizeof(Elf64_Ehdr) && memcmp(hdr, ELFMAG, SELFMAG) == 0 &&
		   hdr[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;
		memcpy(&eh, hdr, sizeof eh);
		for (unsigned i = 0; i < eh.e_phnum && i < 128 && !result; i++) {
			Elf64_Phdr ph;
			if (ac_sys(SYS_pread64, fd, (long)&ph, sizeof ph,
				   (long)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize), 0, 0) != sizeof ph)
				break;
			result = ph.p_type == PT_INTERP;
		}
	}
	ac_sys(SYS_close, fd, 0, 0, 0, 0, 0);
out:
	AC_ERRNO_RESTORE(saved);
	return result;
}

const char *ac_exec_refusal(int dirfd, const char *path, int at_flags, char *const envp[])
{
	if (!path)
		return "program-not-found";
	const char *why = env_refusal(envp);
	if (!why && !file_loads_preload(dirfd, path, at_flags, 0))
		why = "program-static-setuid-or-unreadable";
	return why;
}

bool ac_exec_keeps_us(int dirfd, const char *path, int at_flags, char *const envp[])
{
	return !ac_exec_refusal(dirfd, path, at_flags, envp);
}

/* The file execvp() would run: first match on PATH (default "/bin:/usr/bin"). */
const char *ac_exec_search(const char *file, char buf[4096])
{
	if (!file || !*file || strchr(file, '/'))
		return file;
	const char *path = NULL;
	extern char **environ;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	if (!path)
		path = "/bin:/usr/bin";
	size_t flen = strlen(file);
	for (const char *p = path;; p++) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		if (dlen + flen + 2 <= 4096) {
			memcpy(buf, p, dlen);
			size_t k = dlen;
			if (k == 0)
				buf[k++] = '.';
			buf[k++] = '/';
			memcpy(buf + k, file, flen + 1);
			int saved = errno;
			bool ok = faccessat(AT_FDCWD, buf, X_OK, AT_EACCESS) == 0;
			AC_ERRNO_RESTORE(saved);
			if (ok)
				return buf;
		}
		if (!colon)
			return NULL;
		p = colon;
	}
}
