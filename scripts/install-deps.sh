#!/bin/sh
# install-deps.sh - install what libabortclose's build and tests need (Debian 12).
#
# Idempotent: checks each package with dpkg-query and runs `apt-get update`
# + `apt-get install` only when something is missing.  As root it installs;
# as any other user it prints what is missing and exits 1 (nothing missing:
# exit 0 for everybody).
#
# Add packages to PACKAGES below (one place, so every area can extend it).
set -eu

# --- the package list ----------------------------------------------------------
#   build:   build-essential gcc make pkg-config check (unit tests: libcheck)
#   tests:   tcpdump (wire evidence), socat curl python3 (peers / language
#            checks), iproute2 (ss, ip netns), procps (ps, nstat is iproute2),
#            strace, valgrind (memcheck run), clang + libclang-rt-14-dev
#            (sanitizer/fuzz builds), libcap2-bin (setcap: wrapper warning
#            tests), groff-base man-db (man page tests), openbsd-inetd (a
#            real fork+exec daemon in test/fdpaths/inetd.sh), nftables (a
#            vanished peer in test/keepalive)
PACKAGES="build-essential gcc make pkg-config check tcpdump socat curl python3
iproute2 strace valgrind clang libclang-rt-14-dev procps libcap2-bin groff-base
man-db openbsd-inetd nftables"
#   package: dpkg-dev debhelper lintian (make deb, test/package/deb.sh;
#            Build-Depends of debian/control: debhelper, check, pkg-config)
PACKAGES="$PACKAGES dpkg-dev debhelper lintian"
# nginx-light: the real daemon of test/status/status_nginx.sh (abortclose --status)
PACKAGES="$PACKAGES nginx-light"
#   issue 9: openssh-server openssh-client (test/daemons/sshd.sh), systemd
#            (systemd-socket-activate: test/daemons/socket_activate.sh)
PACKAGES="$PACKAGES openssh-server openssh-client systemd"
#   unwind:  rustc (Debian's, std only: the Rust panic tests in test/unwind/;
#            g++ for the C++ server comes with build-essential)
PACKAGES="$PACKAGES rustc"
#   daemons: apache2 haproxy (test/daemons/: privilege-dropped servers that
#            fork helpers), util-linux (setpriv, setsid)
PACKAGES="$PACKAGES apache2 haproxy util-linux"
#            postgresql-15 (test/daemons/postgres.sh: a fork-per-connection
#            server run as the postgres user, with a cluster of its own)
PACKAGES="$PACKAGES postgresql-15"
#   languages: perl, ruby, openjdk-17-jdk-headless (javac, java): the
#            servers of test/integration/core_langs.sh
PACKAGES="$PACKAGES perl ruby openjdk-17-jdk-headless"
# Debian's nodejs only when no `node` is on PATH (a NodeSource node may
# already be installed; installing Debian's over it would conflict).
NODE_PACKAGE="nodejs"
# -------------------------------------------------------------------------------

pkg_installed() {
	# "install ok installed" is the only state that means usable.
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: dpkg-query not found: this script supports Debian/Ubuntu only" >&2
	exit 1
fi

missing=""
for p in $PACKAGES; do
	pkg_installed "$p" || missing="$missing $p"
done
if ! command -v node >/dev/null 2>&1; then
	pkg_installed "$NODE_PACKAGE" || missing="$missing $NODE_PACKAGE"
fi
missing="${missing# }"

if [ -z "$missing" ]; then
	echo "install-deps: all dependencies present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: $missing" >&2
	echo "install-deps: run as root (e.g. sudo sh scripts/install-deps.sh) or: apt-get install $missing" >&2
	exit 1
fi

echo "install-deps: installing: $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y --no-install-recommends $missing </dev/null
echo "install-deps: done"
