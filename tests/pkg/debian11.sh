#!/bin/sh
# Debian 11, where the README has the agent alone built (no package: Debian
# 11 has no systemd-dev): ./autogen.sh, ./configure --disable-host and make
# check-unit pass in a clean Debian 11 chroot with only what the build and
# the unit tests need, Build-Depends less the host's libraries and the
# packaging (tests/pkg/lib.sh), in a plain chroot whose / is no mountpoint,
# as a new user or a build daemon would run them.
set -eu
: "${top_srcdir:?}"
# shellcheck source=tests/pkg/lib.sh
. "$top_srcdir/tests/pkg/lib.sh"
pkg_require
out=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-pkg11.XXXXXX"); trap 'rm -rf "$out"' EXIT
if pkg_build bullseye "$out"; then
	echo "ok: Debian 11, in a clean chroot ($(pkg_agent_depends)): ./configure --disable-host, make check-unit:"
	grep -E "^(PASS|SKIP|FAIL|XFAIL|ERROR):|^test-.*Checks:" "$out/build.log"
	! grep -q "^SKIP:" "$out/build.log" || { echo "FAIL: make check-unit skipped tests"; exit 1; }
else
	echo "FAIL: Debian 11, in a clean chroot: ./configure --disable-host, make check-unit:"
	tail -n 80 "$out/build.log"
	exit 1
fi
