#!/bin/sh
# Stands in for the unit tests when configure found no libcheck: building and
# installing vpmem do not need it, running its tests does.
echo "no-libcheck: configure did not find libcheck (pkg-config check >= 0.10; Debian: apt-get install check)," >&2
echo "no-libcheck: so the unit tests were not built; install it and run configure again" >&2
exit 99
