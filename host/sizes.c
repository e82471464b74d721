// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "size.h"
#include "sizes.h"

int guest_machine_parse(const char *s, enum guest_machine *ret)
{
	static const char *const x86[] = { "x86", "pc", "q35" };
	size_t n = strlen("pseries");

	/* QEMU's versioned names: "pseries-7.2", "pc-q35-7.2", "pc-i440fx-7.2" */
	if (strncmp(s, "pseries", n) == 0 && (s[n] == '\0' || s[n] == '-')) {
		*ret = GUEST_MACHINE_PSERIES;
		return 0;
	}
	for (size_t i = 0; i < sizeof(x86) / sizeof(x86[0]); i++) {
		n = strlen(x86[i]);
		if (strncmp(s, x86[i], n) == 0 && (s[n] == '\0' || s[n] == '-')) {
			*ret = GUEST_MACHINE_X86;
			return 0;
		}
	}
	return -EINVAL;
}

const char *guest_machine_name(enum guest_machine m)
{
	return m == GUEST_MACHINE_PSERIES ? "pseries" : "x86";
}

enum guest_machine guest_machine_native(void)
{
	struct utsname u;

	if (uname(&u) == 0 && strncmp(u.machine, "ppc64", 5) == 0)
		return GUEST_MACHINE_PSERIES;
	return GUEST_MACHINE_X86;
}

uint64_t guest_label_size(enum guest_machine machine, int devdax, uint64_t align)
{
	if (machine != GUEST_MACHINE_PSERIES || !devdax || align <= LABEL_SIZE_MIN)
		return LABEL_SIZE_MIN;
	return align <= PSERIES_DEVDAX_LABEL_MAX ? align : 0;
}

int guest_size_compute(enum guest_machine machine, uint64_t backing, uint64_t label, uint64_t align,
		       struct guest_sizes *ret)
{
	struct guest_sizes s = { .backing = backing, .label = label, .align = align };

	if (label < LABEL_SIZE_MIN || !is_power_of_2(align) || align < LIBVIRT_MODULE_ALIGN)
		return -EINVAL;
	if (machine == GUEST_MACHINE_PSERIES) {
		if (backing <= label)
			return -EINVAL;
		s.guest = align_down(backing - label, align > PSERIES_SCM_BLOCK ? align : PSERIES_SCM_BLOCK);
		if (!s.guest)
			return -EINVAL;
		s.target = s.guest + label;
		*ret = s;
		return 0;
	}
	s.target = align_down(backing, LIBVIRT_MODULE_ALIGN);
	if (s.target <= label)
		return -EINVAL;
	s.guest = align_down(s.target - label, align);
	if (!s.guest)
		return -EINVAL;
	*ret = s;
	return 0;
}

int guest_cxl_size_compute(uint64_t backing, uint64_t align, struct guest_sizes *ret)
{
	struct guest_sizes s = { .backing = backing, .label = CXL_LSA_SIZE, .align = align };

	if (!is_power_of_2(align) || align < LIBVIRT_MODULE_ALIGN)
		return -EINVAL;
	s.guest = s.target = align_down(backing, align > CXL_CAPACITY_ALIGN ? align : CXL_CAPACITY_ALIGN);
	if (!s.guest)
		return -EINVAL;
	*ret = s;
	return 0;
}

uint64_t cxl_window_size(uint64_t total)
{
	uint64_t w = align_down(2 * total + CXL_CAPACITY_ALIGN - 1, CXL_CAPACITY_ALIGN);

	return w < CXL_WINDOW_MIN ? CXL_WINDOW_MIN : w;
}
