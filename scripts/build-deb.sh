#!/bin/sh
# build-deb.sh [OUTDIR] - `make deb`: the Debian package, then lintian.
#
# dpkg-buildpackage writes its results into the PARENT of the source
# directory, which may be read-only or belong to someone else (a checkout
# in a shared directory, a CI workspace).  So the package is built from a
# copy of this tree (without build/ and .git) in a temp directory, and the
# results (.deb, .buildinfo, .changes, the build log, lintian's report)
# are copied to OUTDIR (default build/deb; the old contents are replaced).
# The tree itself is only read.
#
# lintian errors fail the build; its warnings are printed and kept in
# OUTDIR/lintian.txt (README.md, "Install as a Debian package", lists each
# and why it is kept).  DEB_BUILD_OPTIONS passes through (nocheck skips the
# unit tests of the build).  Build dependencies: sh scripts/install-deps.sh.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/deb}

for t in dpkg-buildpackage dpkg-parsechangelog dh lintian; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "make deb: $t not found (sh scripts/install-deps.sh installs it)" >&2
		exit 1
	fi
done

version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
# debhelper cannot build in a directory whose path has a space (debhelper
# 13.11.4's dh_installdocs copies a directory with an unquoted target): such
# a TMPDIR is not used, /tmp is.
base=${TMPDIR:-/tmp}
case $base in *[!A-Za-z0-9._/+-]*) base=/tmp ;; esac
tmp=$(mktemp -d "$base/abortclose-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
src=$tmp/abortclose-$version
mkdir "$src"
tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -

echo "make deb: dpkg-buildpackage -us -uc -b in $src"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	tail -n 40 "$tmp/build.log" >&2
	echo "make deb: dpkg-buildpackage failed (the last 40 lines of its log are above)" >&2
	exit 1
fi

mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes "$out"/build.log "$out"/lintian.txt
cp "$tmp"/*.deb "$tmp"/*.buildinfo "$tmp"/*.changes "$out"/
cp "$tmp/build.log" "$out/build.log"
changes=$(ls "$out"/*.changes)

# --fail-on error: errors fail, warnings do not (they are listed, with
# their reasons, in the README).
st=0
lintian --fail-on error --tag-display-limit 0 "$changes" >"$out/lintian.txt" 2>&1 || st=$?
cat "$out/lintian.txt"
if [ "$st" -ne 0 ]; then
	echo "make deb: lintian failed (exit $st): $(grep -c '^E:' "$out/lintian.txt" || true) error(s)" >&2
	exit 1
fi
echo "make deb: lintian: $(grep -c '^E:' "$out/lintian.txt" || true) errors, $(grep -c '^W:' "$out/lintian.txt" || true) warnings"
for f in "$out"/*.deb; do
	echo "make deb: $f"
done
