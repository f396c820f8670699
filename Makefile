# libabortclose - build, test, install.
#
#   make            build/libabortclose.so (+ the helper programs)
#   make demo       the shim on its default policy, without and with, on the wire
#   make check      every test (unit, integration, sanitizers, valgrind)
#   make check-paths the tree copied to odd checkout paths, a quick subset there
#   make bench      cost measurements (never asserted; BENCH=fork: only the fork rows)
#   make soak       crash / graceful soak (long)
#   make install PREFIX=/usr/local DESTDIR=   (LIBDIR= LIBEXECDIR= BINDIR= MANDIR=)
#   make deb        the Debian package in build/deb/, checked by lintian

PREFIX  ?= /usr/local
DESTDIR ?=
# Install directories.  LIBDIR holds libabortclose.so itself (the Debian
# package uses a private one, /usr/lib/<triplet>/abortclose); the helper
# programs go in LIBEXECDIR/abortclose.  The installed wrapper and man pages
# name these paths (make install writes them in).
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR     ?= $(PREFIX)/share/man
CC      ?= gcc
VERSION := 0.1.0

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wundef -Wstrict-prototypes
CFLAGS  ?= -O2 -g
# The shim is preloaded into other people's processes: hidden visibility
# (only the interposed symbols are exported, see shim/export.h), full RELRO.
SHIM_CFLAGS  := $(CFLAGS) $(WARN) -std=gnu11 -fPIC -fvisibility=hidden \
                -ftls-model=initial-exec -fno-strict-aliasing -D_GNU_SOURCE \
                -DAC_VERSION='"$(VERSION)"' -Ipolicy -Ishim
# -z noseparate-code: one executable segment for the headers, symbol tables,
# code and read-only data, instead of three mappings (ld's default on x86-64
# since binutils 2.31, which keeps non-code bytes out of executable pages).
# Every fork copies every mapping of the process: two mappings fewer make a
# fork-per-connection server's accept + fork + close about 5 us cheaper here
# (bench/fork-rows.sh; docs/readme-performance.md, "The seventh landing"), and
# a child's first run through the library one page fault, not two.
# SEPARATE_CODE=1 keeps ld's default layout.
SEPARATE_CODE ?= 0
CODE_LAYOUT  := $(if $(filter 1,$(SEPARATE_CODE)),separate-code,noseparate-code)
SHIM_LDFLAGS := -shared -Wl,-z,relro,-z,now -Wl,-z,$(CODE_LAYOUT) -Wl,--no-undefined -ldl
PROG_CFLAGS  := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Ipolicy -Ishim
# A distribution's build flags (dpkg-buildflags: -D_FORTIFY_SOURCE=2,
# -Wl,-z,relro ...), empty in a plain build.
SHIM_CFLAGS  += $(CPPFLAGS)
SHIM_LDFLAGS += $(LDFLAGS)
PROG_CFLAGS  += $(CPPFLAGS) $(LDFLAGS)

SHIM_SRC   := $(wildcard shim/*.c) $(wildcard shim/*.S)
POLICY_SRC := $(wildcard policy/*.c)
SHIM_HDR   := $(wildcard shim/*.h) $(wildcard policy/*.h)

B := build
LIB := $(B)/libabortclose.so
# Test and helper programs: test/progs/NAME.c -> build/test/NAME
TEST_PROGS := $(patsubst test/progs/%.c,$(B)/test/%,$(wildcard test/progs/*.c))
UNIT_SRC   := $(wildcard test/unit/*.c)
TOOLS      := $(patsubst tools/%.c,$(B)/%,$(wildcard tools/*.c))
# Unwinding tests (issue 11): test/unwind/NAME.cc (g++) and NAME.rs (Debian's
# rustc if installed, else rustc on PATH; std only, offline) -> build/test/NAME
CXX     ?= g++
CXXWARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wundef
ifeq ($(origin RUSTC),undefined)
RUSTC := $(shell if [ -x /usr/bin/rustc ]; then echo /usr/bin/rustc; else command -v rustc; fi)
endif
UNWIND_PROGS := $(patsubst test/unwind/%.cc,$(B)/test/%,$(wildcard test/unwind/*.cc)) \
                $(B)/test/cxx_server_static $(B)/test/cxx_plugin.so \
                $(if $(RUSTC),$(patsubst test/unwind/%.rs,$(B)/test/%,$(wildcard test/unwind/*.rs)))

.PHONY: all lib progs tools demo check check-unit check-integration check-asan \
        check-valgrind check-fuzz check-paths bench soak deps install uninstall deb clean

all: $(LIB) progs

lib: $(LIB)

$(LIB): $(SHIM_SRC) $(POLICY_SRC) $(SHIM_HDR) Makefile | $(B)
	$(CC) $(SHIM_CFLAGS) -o $@ $(SHIM_SRC) $(POLICY_SRC) $(SHIM_LDFLAGS)

# The same library with AddressSanitizer + UBSan (used by check-asan).
$(B)/asan/libabortclose.so: $(SHIM_SRC) $(POLICY_SRC) $(SHIM_HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=undefined -o $@ $(SHIM_SRC) $(POLICY_SRC) $(SHIM_LDFLAGS)

# The library with its fork epochs starting just below 2^32, where its
# narrower fields (a release record's 32 bits, a ring entry's 26-bit tag)
# wrap, far beyond the 2^20 where the epochs of before saturated; and one
# starting just below AC_EPOCH_MAX, to saturate in a few forks: the
# control that the test sees a saturation.  test/fdpaths/fork-epochs.sh.
$(B)/epochs/libabortclose.so $(B)/epochs-saturating/libabortclose.so: $(SHIM_SRC) $(POLICY_SRC) $(SHIM_HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) -DAC_EPOCH_ORIGIN='$(if $(findstring saturating,$@),(AC_EPOCH_MAX - 6),((1ull << 32) - 3))' \
	  -o $@ $(SHIM_SRC) $(POLICY_SRC) $(SHIM_LDFLAGS)

progs: $(TEST_PROGS) $(UNWIND_PROGS) $(TOOLS) $(B)/test/setsockopt_counter.so $(B)/test/fork_inside.so $(if $(UNIT_SRC),$(B)/unit/run-unit)

# What is installed: the library and the helper programs (no libcheck needed).
tools: $(TOOLS)

$(B)/test/%: test/progs/%.c $(wildcard test/progs/*.h) | $(B)
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -o $@ $< -lpthread

$(B)/test/%: test/unwind/%.cc | $(B)
	@mkdir -p $(@D)
	$(CXX) $(CFLAGS) $(CXXWARN) -std=c++17 -o $@ $< -lpthread

# The same C++ server with libstdc++ linked in (no __cxa_get_globals to find).
$(B)/test/cxx_server_static: test/unwind/cxx_server.cc | $(B)
	@mkdir -p $(@D)
	$(CXX) $(CFLAGS) $(CXXWARN) -std=c++17 -static-libstdc++ -o $@ $< -lpthread

# Another preloaded library that wraps setsockopt (test/fdpaths/interposer.sh).
$(B)/test/setsockopt_counter.so: test/preload/setsockopt_counter.c | $(B)
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -fPIC -shared -o $@ $< -ldl

# Forks inside accept or recvmsg, after the library (test/fdpaths/fork-window.sh, scm.sh).
$(B)/test/fork_inside.so: test/preload/fork_inside.c | $(B)
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -fPIC -shared -o $@ $< -ldl

# A C++ plugin that a C host dlopen()s (test/progs/unwind_plugin_host.c).
$(B)/test/cxx_plugin.so: test/unwind/plugin/cxx_plugin.cc | $(B)
	@mkdir -p $(@D)
	$(CXX) $(CFLAGS) $(CXXWARN) -std=c++17 -fPIC -shared -o $@ $<

$(B)/test/%: test/unwind/%.rs | $(B)
	@mkdir -p $(@D)
	$(RUSTC) --edition 2021 -C opt-level=2 -o $@ $<

# check unit tests: every test/unit/*.c linked into one runner with policy/.
$(B)/unit/run-unit: $(UNIT_SRC) $(POLICY_SRC) $(SHIM_HDR) $(wildcard test/unit/*.h) | $(B)
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -o $@ $(UNIT_SRC) $(POLICY_SRC) $$(pkg-config --cflags --libs check)

$(B)/%: tools/%.c $(POLICY_SRC) $(SHIM_HDR) | $(B)
	$(CC) $(PROG_CFLAGS) -o $@ $< $(POLICY_SRC)

$(B):
	@mkdir -p $(B)

# --- the main job -------------------------------------------------------------
demo: all
	@sh scripts/demo.sh

# --- tests --------------------------------------------------------------------
# check installs what the tests need first (idempotent: apt-get only runs
# when something is missing), so it works on a fresh Debian 12 machine.
check: deps
	@$(MAKE) --no-print-directory all $(B)/asan/libabortclose.so $(B)/epochs/libabortclose.so \
	  $(B)/epochs-saturating/libabortclose.so
	@bash test/run-all.sh

check-unit: all
	@bash test/run-all.sh unit

check-integration: all
	@bash test/run-all.sh integration

# Also part of check (test/paths/*.sh): mode-700 parent, >100-char path,
# files of another uid, a space, a ':'; make demo + a test subset in each.
check-paths: all
	@bash test/run-all.sh paths

check-fuzz:
	@bash test/fuzz/run.sh $${FUZZ_SECONDS:-60}

deps:
	@sh scripts/install-deps.sh

bench: all
	@bash bench/run.sh $(BENCH)

soak: all
	@bash test/soak/run.sh

# --- install ------------------------------------------------------------------
# The wrapper gets the library and helper directories written into it (its
# installed_libdir= / installed_helperdir= lines); the man pages get the
# default /usr/local paths replaced by the real ones.  Paths are quoted
# (spaces are fine); | & \ and ' are refused, they would break the sed.
INSTALL_SED := -e 's|/usr/local/lib/libabortclose\.so|$(subst -,\\-,$(LIBDIR))/libabortclose.so|g' \
               -e 's|/usr/local/libexec/abortclose|$(subst -,\\-,$(LIBEXECDIR))/abortclose|g' \
               -e 's|/usr/local/bin/abortclose|$(subst -,\\-,$(BINDIR))/abortclose|g'
install: $(LIB) $(TOOLS)
	@case "$(LIBDIR)$(LIBEXECDIR)$(BINDIR)$(MANDIR)" in *[\|\&\\\']*) \
	  echo "make install: LIBDIR, LIBEXECDIR, BINDIR and MANDIR must not contain | & \\ or '" >&2; exit 1;; esac
	install -d "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(LIBEXECDIR)/abortclose" \
	  "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man7"
	install -m 0644 $(LIB) "$(DESTDIR)$(LIBDIR)/libabortclose.so"
	sed -e "s|^installed_libdir=.*|installed_libdir='$(LIBDIR)'|" \
	    -e "s|^installed_helperdir=.*|installed_helperdir='$(LIBEXECDIR)/abortclose'|" \
	    scripts/abortclose >"$(DESTDIR)$(BINDIR)/abortclose"
	chmod 0755 "$(DESTDIR)$(BINDIR)/abortclose"
	for t in $(TOOLS); do install -m 0755 $$t "$(DESTDIR)$(LIBEXECDIR)/abortclose/"; done
	for m in man/*.1; do [ -f "$$m" ] || continue; \
	  sed $(INSTALL_SED) "$$m" >"$(DESTDIR)$(MANDIR)/man1/$${m#man/}" && chmod 0644 "$(DESTDIR)$(MANDIR)/man1/$${m#man/}"; done
	for m in man/*.7; do [ -f "$$m" ] || continue; \
	  sed $(INSTALL_SED) "$$m" >"$(DESTDIR)$(MANDIR)/man7/$${m#man/}" && chmod 0644 "$(DESTDIR)$(MANDIR)/man7/$${m#man/}"; done

uninstall:
	rm -f "$(DESTDIR)$(LIBDIR)/libabortclose.so" "$(DESTDIR)$(BINDIR)/abortclose"
	rm -rf "$(DESTDIR)$(LIBEXECDIR)/abortclose"
	for m in man/*.1; do rm -f "$(DESTDIR)$(MANDIR)/man1/$${m#man/}"; done
	for m in man/*.7; do rm -f "$(DESTDIR)$(MANDIR)/man7/$${m#man/}"; done

# --- Debian package -------------------------------------------------------------
# scripts/build-deb.sh: dpkg-buildpackage -us -uc -b on a copy of this tree
# (it writes next to the source directory, which may be read-only or someone
# else's), the results in DEB_OUT (build/deb/), then lintian (errors fail).
DEB_OUT ?= $(B)/deb
deb:
	@sh scripts/build-deb.sh "$(DEB_OUT)"

clean:
	rm -rf $(B)
