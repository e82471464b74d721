// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "size.h"
#include "sizes.h"

int guest_size_compute(uint64_t backing, uint64_t label, uint64_t align, struct guest_sizes *ret)
{
	struct guest_sizes s = { .backing = backing, .label = label, .align = align };

	if (label < LABEL_SIZE_MIN || !is_power_of_2(align) || align < LIBVIRT_MODULE_ALIGN)
		return -EINVAL;
	s.target = align_down(backing, LIBVIRT_MODULE_ALIGN);
	if (s.target <= label)
		return -EINVAL;
	s.guest = align_down(s.target - label, align);
	if (!s.guest)
		return -EINVAL;
	*ret = s;
	return 0;
}
