#!/bin/sh
# kernels.sh for Debian 13 alone (kernel 6.12), a test of its own so that
# make -j runs the releases side by side
VPMEM_COMPAT_RELEASES=trixie exec sh "$(dirname "$0")/kernels.sh"
