#!/bin/sh
# the boot, reboot and hotplug scenario on a Debian 13 guest: kernel 6.12,
# systemd 257, cloud-init 25.1 (whose network stage is cloud-init-network.service)
VPMEM_GUEST_RELEASE=trixie exec sh "$(dirname "$0")/coldboot-reboot-hotplug.sh"
