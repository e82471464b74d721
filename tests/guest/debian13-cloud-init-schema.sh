#!/bin/sh
# cloud-init-schema.sh on a Debian 13 image: cloud-init 25.1, whose schema
# takes no top-level key it does not list
VPMEM_GUEST_RELEASE=trixie exec sh "$(dirname "$0")/cloud-init-schema.sh"
