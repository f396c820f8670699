/* abortclose-inspect - tell, before a program runs, whether LD_PRELOAD can
 * reach it.  The abortclose wrapper runs this on its target and passes the
 * lines through; warnings never change what the wrapper does.
 *
 *   abortclose-inspect [--lib LIBRARY] [--] PROGRAM
 *
 * Prints one stderr line per reason the library will not take effect:
 *   - statically linked (no PT_INTERP): there is no dynamic loader to read
 *     LD_PRELOAD;
 *   - a Go program (.go.buildinfo section, or a "Go" build-ID note): Go's
 *     runtime makes its socket system calls itself, not through libc;
 *   - setuid, setgid, or file capabilities that the kernel will honour: the
 *     exec is then "secure" (AT_SECURE) and ld.so ignores LD_PRELOAD entries
 *     that contain a '/' (ld.so(8));
 *   - an ELF class or machine different from LIBRARY's: ld.so skips it;
 *   - a #! script whose interpreter is one of the above (one level).
 * Always exits 0 once it could run (an unreadable file is not an error: the
 * exec will report whatever is wrong with it); 2 for a usage error.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#define PREFIX "abortclose: warning: "

/* Go's buildinfo blob starts with this magic, 16-byte aligned, in the data
 * segment (Go's debug/buildinfo looks for it the same way). */
static const char go_buildinfo_magic[14] = "\xff Go buildinf:";
#define NT_GO_BUILDID 4 /* type of the "Go" note in .note.go.buildid */

struct elf_facts {
	bool is_elf;
	bool is_program;  /* ET_EXEC or ET_DYN with program headers */
	bool has_interp;
	bool is_go;
	int cls;          /* ELFCLASS32 / ELFCLASS64 */
	unsigned machine; /* e_machine */
};

/* A read-only view of a file, with bounds-checked accessors in the file's
 * own byte order.  Everything read from the file is untrusted. */
struct view {
	const unsigned char *p;
	size_t size;
	bool big_endian; /* the file's byte order (EI_DATA) */
};

static bool in_bounds(const struct view *v, uint64_t off, uint64_t len)
{
	return off <= v->size && len <= v->size - off;
}

static uint64_t rd(const struct view *v, uint64_t off, unsigned len)
{
	uint64_t x = 0;
	if (!in_bounds(v, off, len))
		return 0;
	/* Assembled arithmetically, so the result does not depend on the
	 * host's byte order, only on the file's. */
	for (unsigned i = 0; i < len; i++) {
		unsigned idx = v->big_endian ? len - 1 - i : i;
		x |= (uint64_t)v->p[off + idx] << (8 * i);
	}
	return x;
}

/* Walk a block of ELF notes; true when it holds Go's build-ID note. */
static bool notes_have_go(const struct view *v, uint64_t off, uint64_t size,
			  uint64_t align)
{
	uint64_t a = align == 8 ? 8 : 4;
	uint64_t end;
	if (!in_bounds(v, off, size))
		return false;
	end = off + size;
	while (off + 12 <= end) {
		uint64_t namesz = rd(v, off, 4), descsz = rd(v, off + 4, 4);
		uint64_t type = rd(v, off + 8, 4);
		uint64_t name = off + 12;
		uint64_t desc = name + ((namesz + a - 1) & ~(a - 1));
		if (namesz > size || descsz > size || desc > end)
			return false;
		if (type == NT_GO_BUILDID && namesz == 3 &&
		    in_bounds(v, name, 3) && memcmp(v->p + name, "Go", 3) == 0)
			return true;
		off = desc + ((descsz + a - 1) & ~(a - 1));
	}
	return false;
}

static bool segment_has_go_magic(const struct view *v, uint64_t off, uint64_t size)
{
	if (!in_bounds(v, off, size))
		return false;
	for (uint64_t i = (off + 15) & ~(uint64_t)15; i + sizeof go_buildinfo_magic <= off + size; i += 16)
		if (memcmp(v->p + i, go_buildinfo_magic, sizeof go_buildinfo_magic) == 0)
			return true;
	return false;
}

/* The header fields this tool needs, the same for Elf32 and Elf64. */
struct ehdr {
	bool is64;
	uint64_t type, phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
	uint64_t type, flags, offset, filesz, align;
};
struct shdr {
	uint64_t name, type, offset, size, link, info, addralign;
};

#define RD(v, base, T, field) rd((v), (base) + offsetof(T, field), sizeof(((T *)0)->field))

static void read_phdr(const struct view *v, const struct ehdr *e, uint64_t i, struct phdr *ph)
{
	uint64_t b = e->phoff + i * e->phentsize;
	if (e->is64) {
		ph->type = RD(v, b, Elf64_Phdr, p_type);
		ph->flags = RD(v, b, Elf64_Phdr, p_flags);
		ph->offset = RD(v, b, Elf64_Phdr, p_offset);
		ph->filesz = RD(v, b, Elf64_Phdr, p_filesz);
		ph->align = RD(v, b, Elf64_Phdr, p_align);
	} else {
		ph->type = RD(v, b, Elf32_Phdr, p_type);
		ph->flags = RD(v, b, Elf32_Phdr, p_flags);
		ph->offset = RD(v, b, Elf32_Phdr, p_offset);
		ph->filesz = RD(v, b, Elf32_Phdr, p_filesz);
		ph->align = RD(v, b, Elf32_Phdr, p_align);
	}
}

static void read_shdr(const struct view *v, const struct ehdr *e, uint64_t i, struct shdr *sh)
{
	uint64_t b = e->shoff + i * e->shentsize;
	if (e->is64) {
		sh->name = RD(v, b, Elf64_Shdr, sh_name);
		sh->type = RD(v, b, Elf64_Shdr, sh_type);
		sh->offset = RD(v, b, Elf64_Shdr, sh_offset);
		sh->size = RD(v, b, Elf64_Shdr, sh_size);
		sh->link = RD(v, b, Elf64_Shdr, sh_link);
		sh->info = RD(v, b, Elf64_Shdr, sh_info);
		sh->addralign = RD(v, b, Elf64_Shdr, sh_addralign);
	} else {
		sh->name = RD(v, b, Elf32_Shdr, sh_name);
		sh->type = RD(v, b, Elf32_Shdr, sh_type);
		sh->offset = RD(v, b, Elf32_Shdr, sh_offset);
		sh->size = RD(v, b, Elf32_Shdr, sh_size);
		sh->link = RD(v, b, Elf32_Shdr, sh_link);
		sh->info = RD(v, b, Elf32_Shdr, sh_info);
		sh->addralign = RD(v, b, Elf32_Shdr, sh_addralign);
	}
}

/* Is section i named ".go.buildinfo"?  (Go >= 1.18 always has it, also in
 * stripped binaries: `strip` keeps the section table.) */
static bool section_is_go_buildinfo(const struct view *v, const struct shdr *strtab,
				    const struct shdr *sh)
{
	static const char want[] = ".go.buildinfo";
	if (!strtab || sh->name >= strtab->size || strtab->size - sh->name < sizeof want)
		return false;
	return memcmp(v->p + strtab->offset + sh->name, want, sizeof want) == 0;
}

static void parse_elf(const struct view *file, struct elf_facts *f)
{
	struct view v = *file;
	struct ehdr e = { 0 };
	struct shdr sh0 = { 0 }, strtab, *strtabp = NULL;
	bool have_sections;

	memset(f, 0, sizeof *f);
	if (v.size < EI_NIDENT || memcmp(v.p, ELFMAG, SELFMAG) != 0)
		return;
	f->cls = v.p[EI_CLASS];
	if (f->cls != ELFCLASS32 && f->cls != ELFCLASS64)
		return;
	if (v.p[EI_DATA] != ELFDATA2LSB && v.p[EI_DATA] != ELFDATA2MSB)
		return;
	v.big_endian = v.p[EI_DATA] == ELFDATA2MSB;
	e.is64 = f->cls == ELFCLASS64;
	if (v.size < (e.is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return;
	f->is_elf = true;
	if (e.is64) {
		e.type = RD(&v, 0, Elf64_Ehdr, e_type);
		f->machine = (unsigned)RD(&v, 0, Elf64_Ehdr, e_machine);
		e.phoff = RD(&v, 0, Elf64_Ehdr, e_phoff);
		e.shoff = RD(&v, 0, Elf64_Ehdr, e_shoff);
		e.phentsize = RD(&v, 0, Elf64_Ehdr, e_phentsize);
		e.phnum = RD(&v, 0, Elf64_Ehdr, e_phnum);
		e.shentsize = RD(&v, 0, Elf64_Ehdr, e_shentsize);
		e.shnum = RD(&v, 0, Elf64_Ehdr, e_shnum);
		e.shstrndx = RD(&v, 0, Elf64_Ehdr, e_shstrndx);
	} else {
		e.type = RD(&v, 0, Elf32_Ehdr, e_type);
		f->machine = (unsigned)RD(&v, 0, Elf32_Ehdr, e_machine);
		e.phoff = RD(&v, 0, Elf32_Ehdr, e_phoff);
		e.shoff = RD(&v, 0, Elf32_Ehdr, e_shoff);
		e.phentsize = RD(&v, 0, Elf32_Ehdr, e_phentsize);
		e.phnum = RD(&v, 0, Elf32_Ehdr, e_phnum);
		e.shentsize = RD(&v, 0, Elf32_Ehdr, e_shentsize);
		e.shnum = RD(&v, 0, Elf32_Ehdr, e_shnum);
		e.shstrndx = RD(&v, 0, Elf32_Ehdr, e_shstrndx);
	}

	have_sections = e.shoff != 0 &&
			e.shentsize >= (e.is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) &&
			in_bounds(&v, e.shoff, e.shentsize);
	if (have_sections) {
		/* Extended numbering (gABI): the real counts live in section 0. */
		read_shdr(&v, &e, 0, &sh0);
		if (e.shnum == 0)
			e.shnum = sh0.size;
		if (e.shstrndx == SHN_XINDEX)
			e.shstrndx = sh0.link;
		if (e.phnum == PN_XNUM)
			e.phnum = sh0.info;
		have_sections = e.shnum < (1u << 24) &&
				in_bounds(&v, e.shoff, e.shnum * e.shentsize);
	}

	if (e.phentsize >= (e.is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) &&
	    e.phnum > 0 && e.phnum < 65536 && in_bounds(&v, e.phoff, e.phnum * e.phentsize)) {
		f->is_program = e.type == ET_EXEC || e.type == ET_DYN;
		for (uint64_t i = 0; i < e.phnum; i++) {
			struct phdr ph;
			read_phdr(&v, &e, i, &ph);
			if (ph.type == PT_INTERP)
				f->has_interp = true;
			else if (ph.type == PT_NOTE &&
				 notes_have_go(&v, ph.offset, ph.filesz, ph.align))
				f->is_go = true;
			/* No section table at all: look for the blob itself. */
			else if (ph.type == PT_LOAD && !have_sections && (ph.flags & PF_W) &&
				 segment_has_go_magic(&v, ph.offset, ph.filesz))
				f->is_go = true;
		}
	}
	if (!have_sections)
		return;
	if (e.shstrndx < e.shnum) {
		read_shdr(&v, &e, e.shstrndx, &strtab);
		if (in_bounds(&v, strtab.offset, strtab.size))
			strtabp = &strtab;
	}
	for (uint64_t i = 0; i < e.shnum && !f->is_go; i++) {
		struct shdr sh;
		read_shdr(&v, &e, i, &sh);
		if (sh.type == SHT_NOTE && notes_have_go(&v, sh.offset, sh.size, sh.addralign))
			f->is_go = true;
		if (section_is_go_buildinfo(&v, strtabp, &sh))
			f->is_go = true;
	}
}

/* Map path and collect ELF facts; false when it cannot be read. */
static bool inspect_elf(const char *path, struct elf_facts *f)
{
	struct stat st;
	struct view v = { 0 };
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(f, 0, sizeof *f);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < EI_NIDENT) {
		close(fd);
		return false;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return false;
	v.p = map;
	v.size = (size_t)st.st_size;
	parse_elf(&v, f);
	munmap(map, (size_t)st.st_size);
	return true;
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_X86_64: return "x86-64";
	case EM_386: return "i386";
	case EM_AARCH64: return "aarch64";
	case EM_ARM: return "arm";
	case EM_RISCV: return "riscv";
	case EM_PPC64: return "ppc64";
	case EM_S390: return "s390";
	default: return "another machine";
	}
}

/* The dynamic loader itself has no PT_INTERP but honours LD_PRELOAD when
 * run as "ld-linux-x86-64.so.2 PROGRAM". */
static bool is_dynamic_loader(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return (strncmp(base, "ld-", 3) == 0 && strstr(base, ".so")) ||
	       strncmp(base, "ld.so", 5) == 0;
}

/* Will the kernel make this exec "secure" (AT_SECURE)?  Linux sets it when
 * the exec changes the effective uid or gid, or when a non-root caller
 * gains capabilities from the file (security/commoncap.c,
 * cap_bprm_creds_from_file).  Bits on a nosuid mount are ignored.  So root
 * running a setuid-root program keeps LD_PRELOAD: no warning there. */
static void warn_secure(const char *subject, const struct stat *st)
{
	struct statvfs vfs;
	char cap[64];

	if (statvfs(subject, &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
		return;
	if ((st->st_mode & S_ISUID) && st->st_uid != getuid())
		fprintf(stderr, PREFIX "%s is setuid (owner uid %u): the loader ignores "
			"LD_PRELOAD for it, libabortclose will not load\n",
			subject, (unsigned)st->st_uid);
	/* setgid without group-execute marks mandatory locking, not setgid */
	if ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) && st->st_gid != getgid())
		fprintf(stderr, PREFIX "%s is setgid (group gid %u): the loader ignores "
			"LD_PRELOAD for it, libabortclose will not load\n",
			subject, (unsigned)st->st_gid);
	if (getuid() != 0 && getxattr(subject, "security.capability", cap, sizeof cap) > 0)
		fprintf(stderr, PREFIX "%s has file capabilities: the loader ignores "
			"LD_PRELOAD for it, libabortclose will not load\n", subject);
}

/* Warnings about one executable file.  subject names it in the messages. */
static void warn_binary(const char *path, const char *subject, const struct elf_facts *lib)
{
	struct stat st;
	struct elf_facts f;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	warn_secure(path, &st);
	if (!inspect_elf(path, &f) || !f.is_elf)
		return;
	if (f.is_program && !f.has_interp && !is_dynamic_loader(path))
		fprintf(stderr, PREFIX "%s is statically linked (no ELF interpreter): "
			"LD_PRELOAD cannot load libabortclose into it\n", subject);
	if (f.is_go)
		fprintf(stderr, PREFIX "%s is a Go program: Go makes its socket system "
			"calls itself, libabortclose does not see them\n", subject);
	if (lib && lib->is_elf && f.has_interp &&
	    (f.cls != lib->cls || f.machine != lib->machine))
		fprintf(stderr, PREFIX "%s is a %d-bit %s program but the library is "
			"%d-bit %s: the loader will skip libabortclose\n", subject,
			f.cls == ELFCLASS64 ? 64 : 32, machine_name(f.machine),
			lib->cls == ELFCLASS64 ? 64 : 32, machine_name(lib->machine));
}

/* Look name up on PATH the way execvp does; result in out. */
static bool find_on_path(const char *name, char *out, size_t outsz)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (1) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		int n = len ? snprintf(out, outsz, "%.*s/%s", (int)len, path, name)
			    : snprintf(out, outsz, "./%s", name);
		struct stat st;
		if (n > 0 && (size_t)n < outsz && stat(out, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return true;
		if (!end)
			return false;
		path = end + 1;
	}
}

/* A #! script: inspect its interpreter (one level; "env NAME" is followed
 * to NAME on PATH, as that is the program that really runs). */
static void warn_script(const char *script, const struct elf_facts *lib)
{
	char buf[256]; /* the kernel reads this much of a #! line (BINPRM_BUF_SIZE) */
	char interp[4096], subject[8192];
	char *p, *arg, *e;
	ssize_t n;
	int fd = open(script, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return;
	buf[n] = '\0';
	if ((e = strchr(buf, '\n')))
		*e = '\0';
	p = buf + 2;
	p += strspn(p, " \t");
	arg = p + strcspn(p, " \t");
	if (*arg)
		*arg++ = '\0';
	arg += strspn(arg, " \t");
	if (!*p)
		return;
	snprintf(interp, sizeof interp, "%s", p);

	e = strrchr(interp, '/');
	if (strcmp(e ? e + 1 : interp, "env") == 0) {
		char name[256];
		if (strncmp(arg, "-S", 2) == 0) {
			arg += 2;
			arg += strspn(arg, " \t");
		}
		if (*arg == '-' || !*arg)
			return; /* other env options: give up, no guessing */
		snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, " \t"), arg);
		if (strchr(name, '/'))
			snprintf(interp, sizeof interp, "%s", name);
		else if (!find_on_path(name, interp, sizeof interp))
			return;
	}
	snprintf(subject, sizeof subject, "%s (the #! interpreter of %s)", interp, script);
	warn_binary(interp, subject, lib);
}

static bool is_script(const char *path)
{
	char b[2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes;
	if (fd < 0)
		return false;
	yes = read(fd, b, 2) == 2 && b[0] == '#' && b[1] == '!';
	close(fd);
	return yes;
}

int main(int argc, char **argv)
{
	const char *lib_path = NULL;
	struct elf_facts lib;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "--lib") == 0 && i + 1 < argc) {
			lib_path = argv[++i];
		} else {
			fprintf(stderr, "usage: abortclose-inspect [--lib LIBRARY] [--] PROGRAM\n");
			return 2;
		}
	}
	if (i + 1 != argc) {
		fprintf(stderr, "usage: abortclose-inspect [--lib LIBRARY] [--] PROGRAM\n");
		return 2;
	}
	if (!lib_path || !inspect_elf(lib_path, &lib))
		memset(&lib, 0, sizeof lib);

	/* The kernel ignores setuid/setgid/capabilities on scripts: only the
	 * interpreter matters there. */
	if (is_script(argv[i]))
		warn_script(argv[i], &lib);
	else
		warn_binary(argv[i], argv[i], &lib);
	return 0;
}
