/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cleanup wrappers for the handles of the libraries vpmem links against (libblkid and libmount: dlopen-libs.h). */
#ifndef VPMEM_CLEANUP_LIBS_H
#define VPMEM_CLEANUP_LIBS_H

#include <json-c/json.h>
#include <ndctl/libndctl.h>
#include <linux/ndctl.h>
#include <daxctl/libdaxctl.h>

#include "cleanup.h"

static inline void json_object_putp(struct json_object **j)
{
	if (*j)
		json_object_put(*j);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ndctl_ctx *, ndctl_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ndctl_cmd *, ndctl_cmd_unref)

#define _cleanup_json_ _cleanup_(json_object_putp)

#endif
