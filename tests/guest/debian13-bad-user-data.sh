#!/bin/sh
# bad user-data on a Debian 13 guest: cloud-init 25.1 reports the error,
# nothing is touched
VPMEM_GUEST_RELEASE=trixie exec sh "$(dirname "$0")/bad-user-data.sh"
