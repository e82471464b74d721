#!/bin/sh
# kernels.sh for Debian 11 alone (kernel 5.10), a test of its own so that
# make -j runs the releases side by side
VPMEM_COMPAT_RELEASES=bullseye exec sh "$(dirname "$0")/kernels.sh"
