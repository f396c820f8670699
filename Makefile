# libabortclose - build, test, install.
#
#   make            build/libabortclose.so (+ the helper programs)
#   make demo       the shim on its default policy, without and with, on the wire
#   make check      every test (unit, integration, sanitizers, valgrind)
#   make check-paths the tree copied to odd checkout paths, a quick subset there
#   make bench      cost measurements (never asserted)
#   make soak       crash / graceful soak (long)
#   make install PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= gcc
VERSION := 0.1.0

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wundef -Wstrict-prototypes
CFLAGS  ?= -O2 -g
# The shim is preloaded into other people's processes: hidden visibility
# (only the interposed symbols are exported, see shim/export.h), full RELRO.
SHIM_CFLAGS  := $(CFLAGS) $(WARN) -std=gnu11 -fPIC -fvisibility=hidden \
                -ftls-model=initial-exec -fno-strict-aliasing -D_GNU_SOURCE \
                -DAC_VERSION='"$(VERSION)"' -Ipolicy -Ishim
SHIM_LDFLAGS := -shared -Wl,-z,relro,-z,now -Wl,--no-undefined -ldl
PROG_CFLAGS  := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Ipolicy -Ishim

SHIM_SRC   := $(wildcard shim/*.c) $(wildcard shim/*.S)
POLICY_SRC := $(wildcard policy/*.c)
SHIM_HDR   := $(wildcard shim/*.h) $(wildcard policy/*.h)

B := build
LIB := $(B)/libabortclose.so
# Test and helper programs: test/progs/NAME.c -> build/test/NAME
TEST_PROGS := $(patsubst test/progs/%.c,$(B)/test/%,$(wildcard test/progs/*.c))
UNIT_SRC   := $(wildcard test/unit/*.c)
TOOLS      := $(patsubst tools/%.c,$(B)/%,$(wildcard tools/*.c))

.PHONY: all lib progs demo check check-unit check-integration check-asan \
        check-valgrind check-fuzz check-paths bench soak deps install uninstall clean

all: $(LIB) progs

lib: $(LIB)

$(LIB): $(SHIM_SRC) $(POLICY_SRC) $(SHIM_HDR) Makefile | $(B)
	$(CC) $(SHIM_CFLAGS) -o $@ $(SHIM_SRC) $(POLICY_SRC) $(SHIM_LDFLAGS)

# The same library with AddressSanitizer + UBSan (used by check-asan).
$(B)/asan/libabortclose.so: $(SHIM_SRC) $(POLICY_SRC) $(SHIM_HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=undefined -o $@ $(SHIM_SRC) $(POLICY_SRC) $(SHIM_LDFLAGS)

progs: $(TEST_PROGS) $(TOOLS) $(if $(UNIT_SRC),$(B)/unit/run-unit)

$(B)/test/%: test/progs/%.c $(wildcard test/progs/*.h) | $(B)
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -o $@ $< -lpthread

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
	@$(MAKE) --no-print-directory all $(B)/asan/libabortclose.so
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
	@bash bench/run.sh

soak: all
	@bash test/soak/run.sh

# --- install ------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/libexec/abortclose \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libabortclose.so
	install -m 0755 scripts/abortclose $(DESTDIR)$(PREFIX)/bin/abortclose
	for t in $(TOOLS); do install -m 0755 $$t $(DESTDIR)$(PREFIX)/libexec/abortclose/; done
	for m in man/*.1; do [ -f "$$m" ] && install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/ || true; done
	for m in man/*.7; do [ -f "$$m" ] && install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man7/ || true; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libabortclose.so $(DESTDIR)$(PREFIX)/bin/abortclose
	rm -rf $(DESTDIR)$(PREFIX)/libexec/abortclose
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/abortclose.1 $(DESTDIR)$(PREFIX)/share/man/man7/libabortclose.7

clean:
	rm -rf $(B)
