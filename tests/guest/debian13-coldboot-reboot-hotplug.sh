#!/bin/sh
# the boot, reboot and hotplug scenario on a Debian 13 guest: kernel 6.12,
# systemd 257, cloud-init 25.1 (whose network stage is cloud-init-network.service);
# one vCPU (the Debian 12 run has two)
VPMEM_GUEST_RELEASE=trixie VPMEM_GUEST_SMP=${VPMEM_GUEST_SMP:-1} exec sh "$(dirname "$0")/coldboot-reboot-hotplug.sh"
