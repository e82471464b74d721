#!/bin/sh
# cloud-init-policy.sh on a Debian 13 guest: cloud-init 25.1 (handle() without
# log, the vpmem key in the schema by the package's merge), kernel 6.12
VPMEM_GUEST_RELEASE=trixie exec sh "$(dirname "$0")/cloud-init-policy.sh"
