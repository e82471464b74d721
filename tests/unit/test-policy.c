// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec.h"
#include "policy.h"
#include "size.h"
#include "suites.h"

/* Merge one document into a fresh policy; returns the number of errors and
 * checks that one of them mentions want (a JSON path or a phrase). */
static size_t merge_errors(const char *text, const char *want)
{
	struct policy p = { .builtin = true };
	struct errlist errors = { 0 };
	size_t n;
	bool seen = want == NULL;
	int r;

	r = policy_merge_text(&p, "test.json", text, &errors);
	n = errors.count;
	for (size_t i = 0; i < n; i++)
		if (want && strstr(errors.messages[i], want))
			seen = true;
	ck_assert_msg(seen, "no error mentions \"%s\" for %s (got %zu: %s)", want, text, n,
		      n ? errors.messages[0] : "none");
	ck_assert_int_eq(r, n ? -EINVAL : 0);
	/* a rejected document changes nothing */
	if (n)
		ck_assert_uint_eq(p.n_namespaces, 0);
	errlist_clear(&errors);
	policy_clear(&p);
	return n;
}

/* Merge one document that must be accepted into *p. */
static void merge_ok(struct policy *p, const char *text)
{
	struct errlist errors = { 0 };
	int r = policy_merge_text(p, "t.json", text, &errors);

	ck_assert_msg(r == 0, "%s: %d, %s", text, r, errors.count ? errors.messages[0] : "no error");
	errlist_clear(&errors);
}

START_TEST(test_example_policy)
{
	const char *text = "{\"overwrite\": false, \"namespaces\": ["
			   "{\"name\": \"data\", \"region\": 0, \"mode\": \"fsdax\", \"size\": \"4G\", \"align\": \"2M\","
			   " \"map\": \"dev\", \"filesystem\": \"xfs\", \"mountpoint\": \"/mnt/data\","
			   " \"mount_options\": \"noatime\"},"
			   "{\"name\": \"fast\", \"region\": 0, \"mode\": \"devdax\", \"align\": \"2M\","
			   " \"owner\": \"root\", \"group\": \"kvm\", \"permissions\": \"0660\"}]}";
	struct policy p = { .builtin = true };
	struct errlist errors = { 0 };

	ck_assert_int_eq(policy_merge_text(&p, "t.json", text, &errors), 0);
	ck_assert_uint_eq(errors.count, 0);
	ck_assert(!p.builtin);
	ck_assert_uint_eq(p.n_namespaces, 2);
	ck_assert_str_eq(p.namespaces[0].name, "data");
	ck_assert_int_eq(p.namespaces[0].region, 0);
	ck_assert_int_eq(p.namespaces[0].mode, NS_MODE_FSDAX);
	ck_assert_uint_eq(p.namespaces[0].size, UINT64_C(4) << 30);
	ck_assert_uint_eq(p.namespaces[0].align, SZ_2M);
	ck_assert_int_eq(p.namespaces[0].filesystem, FS_XFS);
	ck_assert_str_eq(p.namespaces[0].mountpoint, "/mnt/data");
	ck_assert_str_eq(p.namespaces[0].mount_options, "noatime");
	ck_assert_int_eq(p.namespaces[1].mode, NS_MODE_DEVDAX);
	ck_assert_int_eq(p.namespaces[1].filesystem, FS_NONE);
	ck_assert_str_eq(p.namespaces[1].group, "kvm");
	ck_assert_uint_eq(p.namespaces[1].permissions, 0660);
	ck_assert_uint_eq(p.namespaces[1].size, 0);
	policy_clear(&p);
}
END_TEST

START_TEST(test_defaults)
{
	struct policy p = { .builtin = true };
	struct errlist errors = { 0 };

	ck_assert_int_eq(policy_merge_text(&p, "t.json", "{\"namespaces\": [{\"name\": \"a\"}]}", &errors), 0);
	ck_assert_int_eq(p.namespaces[0].region, POLICY_REGION_ANY);
	ck_assert_int_eq(p.namespaces[0].mode, NS_MODE_FSDAX);
	ck_assert_int_eq(p.namespaces[0].filesystem, FS_XFS);
	ck_assert_int_eq(p.namespaces[0].map, PFN_MAP_DEV);
	/* the system's: the plan picks the huge-page size the region can do */
	ck_assert_uint_eq(p.namespaces[0].align, 0);
	ck_assert_ptr_null(p.namespaces[0].mountpoint);
	{
		char *name = ns_policy_name_for(&p.namespaces[0], 3);
		char *mnt = ns_policy_mountpoint_for(&p.namespaces[0], 3);

		ck_assert_str_eq(name, "a3");
		ck_assert_str_eq(mnt, "/mnt/a3");
		free(name);
		free(mnt);
	}
	policy_clear(&p);
}
END_TEST

START_TEST(test_errors_named_by_path)
{
	ck_assert_uint_eq(merge_errors("{\"namespces\": []}", "unknown key \"namespces\""), 1);
	ck_assert_uint_eq(merge_errors("{\"overwrite\": \"yes\"}", "$.overwrite"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": {}}", "$.namespaces"), 1);
	ck_assert_uint_eq(merge_errors("[]", "must be a JSON object"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [42]}", "$.namespaces[0]"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{}]}", "$.namespaces[0].name: is required"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a b\"}]}", "$.namespaces[0].name"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": 7}]}", "$.namespaces[0].name"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"colour\": 1}]}",
				       "$.namespaces[0].colour: unknown key"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"size\": \"4X\"}]}",
				       "$.namespaces[0].size"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"size\": -5}]}", "$.namespaces[0].size"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"size\": \"1M\"}]}", "16M"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"size\": true}]}", "$.namespaces[0].size"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"region\": -1}]}", "$.namespaces[0].region"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"region\": \"0\"}]}",
				       "$.namespaces[0].region"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"mode\": \"memory\"}]}",
				       "$.namespaces[0].mode"),
			  1);
	/* sector mode: its own keys, and not the DAX ones */
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"mode\": \"sector\", \"sector_size\": 520}]}",
				       "$.namespaces[0].sector_size"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"sector_size\": 512}]}",
				       "$.namespaces[0].sector_size"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"mode\": \"sector\", \"align\": \"2M\"}]}",
				       "$.namespaces[0].align"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"mode\": \"sector\", \"map\": \"mem\"}]}",
				       "$.namespaces[0].map"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"mode\": \"sector\", \"sector_size\": 512,"
				       " \"filesystem\": \"ext4\", \"mountpoint\": \"/srv/journal\"}]}", NULL),
			  0);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"align\": \"3M\"}]}",
				       "$.namespaces[0].align"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"map\": \"disk\"}]}", "$.namespaces[0].map"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"filesystem\": \"btrfs\"}]}",
				       "$.namespaces[0].filesystem"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"permissions\": \"rw\", \"mode\": \"devdax\"}]}",
				       "$.namespaces[0].permissions"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"permissions\": \"0660\"}]}",
				       "only applies to devdax"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"mode\": \"devdax\", \"filesystem\": \"xfs\"}]}",
				       "only applies to fsdax"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"mode\": \"devdax\", \"system_ram\": true, "
				       "\"owner\": \"root\"}]}",
				       "system RAM"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"filesystem\": \"none\", \"mountpoint\": \"/x\"}]}",
				       "$.namespaces[0].mountpoint"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"mount_options\": \"dax=never\"}]}",
				       "$.namespaces[0].mount_options"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", "duplicate name"), 1);
	/* several errors are all reported */
	ck_assert_uint_eq(merge_errors("{\"x\": 1, \"namespaces\": [{\"name\": \"a\", \"size\": \"z\", \"mode\": \"q\"}]}",
				       NULL),
			  3);
}
END_TEST

/* what one key means for another holds whatever order the keys come in, and a key that does not apply says only that */
START_TEST(test_rules_across_keys)
{
	static const char long_name[] = "n23456789012345678901234567890123456789012345678901234567890"; /* 60 */

	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"align\": \"3M\", \"mode\": \"sector\", \"name\": \"a\"}]}",
				       "$.namespaces[0].align: does not apply to sector namespaces"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"mountpoint\": 5, \"filesystem\": \"none\", \"name\": \"a\"}]}",
				       "$.namespaces[0].mountpoint: only applies to fsdax and sector namespaces with a filesystem"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"owner\": \"root\", \"system_ram\": true, \"mode\": \"devdax\", "
				       "\"name\": \"a\"}]}",
				       "$.namespaces[0].system_ram: a device given to the kernel as system RAM"),
			  1);
	/* a mode that is no mode: the keys are taken as for the default, fsdax */
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"owner\": \"root\", \"mode\": \"dax\", \"name\": \"a\"}]}",
				       "$.namespaces[0].owner: only applies to devdax namespaces"),
			  2);
	/* a region-less name keeps room for the region's number, wherever region is */
	{
		char text[256];

		snprintf(text, sizeof(text), "{\"namespaces\": [{\"name\": \"%s\"}]}", long_name);
		ck_assert_uint_eq(merge_errors(text, "1 to 58 characters"), 1);
		snprintf(text, sizeof(text), "{\"namespaces\": [{\"name\": \"%s\", \"region\": 1}]}", long_name);
		ck_assert_uint_eq(merge_errors(text, NULL), 0);
		snprintf(text, sizeof(text), "{\"namespaces\": [{\"region\": 1, \"name\": \"%s!\"}]}", long_name);
		ck_assert_uint_eq(merge_errors(text, "1 to 63 characters"), 1);
	}
	/* a sector namespace's sector size, given or not; no filesystem on devdax */
	{
		struct policy p = { .builtin = true };

		merge_ok(&p, "{\"namespaces\": [{\"name\": \"a\", \"mode\": \"sector\"},"
			     " {\"sector_size\": 512, \"name\": \"b\", \"mode\": \"sector\"},"
			     " {\"name\": \"c\", \"mode\": \"devdax\", \"size\": \"1G\"}]}");
		ck_assert_uint_eq(p.namespaces[0].sector_size, 4096);
		ck_assert_uint_eq(p.namespaces[1].sector_size, 512);
		ck_assert_int_eq(p.namespaces[2].filesystem, FS_NONE);
		ck_assert_uint_eq(p.namespaces[2].sector_size, 0);
		policy_clear(&p);
	}
}
END_TEST

START_TEST(test_mountpoints)
{
	static const char *const bad[] = { "mnt/x", "/", "/mnt/../etc", "/mnt/./x", "/mnt//x", "/mnt/x/", "/mnt/a,b" };
	char text[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"namespaces\": [{\"name\": \"a\", \"mountpoint\": \"%s\"}]}", bad[i]);
		ck_assert_uint_eq(merge_errors(text, "$.namespaces[0].mountpoint"), 1);
	}
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"mountpoint\": \"/srv/pmem..x\"}]}", NULL), 0);
}
END_TEST

START_TEST(test_system_mountpoints)
{
	static const char *const refused[] = {
		"{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"mountpoint\": \"/etc\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"mountpoint\": \"/var/lib\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"mountpoint\": \"/run/data\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"mountpoint\": \"" LOCALSTATEDIR "/lib/vpmem\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"mountpoint\": \"/lib\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"mode\": \"sector\", \"mountpoint\": \"/proc/pmem\"}]}",
	};
	static const char *const allowed[] = {
		"{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"mountpoint\": \"/var/lib/pgsql\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"mountpoint\": \"/srv/app\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"mode\": \"devdax\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"filesystem\": \"none\"}]}",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct policy p = { .builtin = true };
		struct errlist errors = { 0 };

		ck_assert_int_eq(policy_merge_text(&p, "t.json", refused[i], &errors), 0);
		ck_assert_uint_eq(errors.count, 0);
		ck_assert_int_eq(policy_validate(&p, &errors), 0);
		ck_assert_msg(errors.count == 1 && strstr(errors.messages[0], "one of the system's own directories"),
			      "%s: %zu errors", refused[i], errors.count);
		errlist_clear(&errors);
		policy_clear(&p);
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		struct policy p = { .builtin = true };
		struct errlist errors = { 0 };

		ck_assert_int_eq(policy_merge_text(&p, "t.json", allowed[i], &errors), 0);
		ck_assert_int_eq(policy_validate(&p, &errors), 0);
		ck_assert_msg(errors.count == 0, "%s: %s", allowed[i], errors.count ? errors.messages[0] : "");
		errlist_clear(&errors);
		policy_clear(&p);
	}
	/* the key that allows a directory with files in it, and nothing else */
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"hide_existing_files\": true}]}", NULL), 0);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"hide_existing_files\": 1}]}",
				       "$.namespaces[0].hide_existing_files"),
			  1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"mode\": \"devdax\", \"hide_existing_files\": true}]}",
				       "$.namespaces[0].hide_existing_files"),
			  1);
}
END_TEST

START_TEST(test_json_syntax)
{
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [", "not valid JSON"), 1);
	/* a second document: strict json-c stops at it, where it starts */
	ck_assert_uint_eq(merge_errors("{} {}", "not valid JSON at offset 3"), 1);
	ck_assert_uint_eq(merge_errors("{}\n x", "not valid JSON"), 1);
	ck_assert_uint_eq(merge_errors("", "not valid JSON"), 1);
	/* json-c reports the end of a // comment past the text's end (tests/fuzz found it: read overflow) */
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [{\"name\": \"a\", \"size\": \"1G\"//", "test.json"), 1);
	/* comments, which json-c takes by default, single-quoted strings and trailing commas are no JSON */
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [] /* none */}", "not valid JSON at offset 18"), 1);
	ck_assert_uint_eq(merge_errors("// the image's\n{\"namespaces\": []}", "not valid JSON at offset 0"), 1);
	/* (strict json-c 0.16 still takes a single-quoted key, not a value) */
	ck_assert_uint_eq(merge_errors("{\"namespaces\": ['a']}", "not valid JSON"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": [],}", "not valid JSON"), 1);
	ck_assert_uint_eq(merge_errors("{\"namespaces\": []}   \n\t", NULL), 0);
}
END_TEST

START_TEST(test_merge_rules)
{
	struct policy p = { .builtin = true };
	struct errlist errors = { 0 };

	ck_assert_int_eq(policy_merge_text(&p, "image.json",
					   "{\"namespaces\": [{\"name\": \"a\", \"size\": \"1G\"}, {\"name\": \"b\"}]}",
					   &errors),
			 0);
	/* same name: replaced whole, in place; new name: appended */
	ck_assert_int_eq(policy_merge_text(&p, "run.json",
					   "{\"overwrite\": true, \"namespaces\": [{\"name\": \"a\", \"mode\": \"devdax\"},"
					   " {\"name\": \"c\", \"size\": \"2G\"}]}",
					   &errors),
			 0);
	ck_assert_uint_eq(p.n_namespaces, 3);
	ck_assert_str_eq(p.namespaces[0].name, "a");
	ck_assert_int_eq(p.namespaces[0].mode, NS_MODE_DEVDAX);
	ck_assert_uint_eq(p.namespaces[0].size, 0);
	ck_assert_str_eq(p.namespaces[0].source, "run.json");
	ck_assert_str_eq(p.namespaces[1].name, "b");
	ck_assert_str_eq(p.namespaces[2].name, "c");
	ck_assert(p.overwrite);
	/* a file without "namespaces" keeps them; one with "replace" drops them */
	ck_assert_int_eq(policy_merge_text(&p, "x.json", "{\"overwrite\": false}", &errors), 0);
	ck_assert_uint_eq(p.n_namespaces, 3);
	ck_assert(!p.overwrite);
	ck_assert_int_eq(policy_merge_text(&p, "y.json", "{\"replace\": true, \"namespaces\": [{\"name\": \"z\"}]}", &errors),
			 0);
	ck_assert_uint_eq(p.n_namespaces, 1);
	ck_assert_str_eq(p.namespaces[0].name, "z");
	/* a bad later file leaves the merged policy as it was */
	ck_assert_int_eq(policy_merge_text(&p, "bad.json", "{\"namespaces\": [{\"name\": \"q\", \"size\": 1}]}", &errors),
			 -EINVAL);
	ck_assert_uint_eq(p.n_namespaces, 1);
	ck_assert_uint_eq(errors.count, 1);
	errlist_clear(&errors);
	policy_clear(&p);
}
END_TEST

/* "overwrite" can name the regions and DIMMs it applies to; a later file's replaces it */
START_TEST(test_overwrite_scoped)
{
	static char *const dimms0[] = { "nmem0", NULL }, *const dimms23[] = { "nmem2", "nmem3", NULL };
	struct policy p = { .builtin = true };
	struct errlist errors = { 0 };
	_cleanup_free_ char *described = NULL;

	ck_assert_int_eq(policy_merge_text(&p, "a.json", "{\"overwrite\": [\"region1\", \"nmem3\"]}", &errors), 0);
	ck_assert(!p.overwrite);
	ck_assert(!policy_overwrites(&p, 0, dimms0));
	ck_assert(policy_overwrites(&p, 1, NULL));
	/* a DIMM names every region it is part of, interleaved ones whole */
	ck_assert(policy_overwrites(&p, 2, dimms23));
	described = policy_overwrite_describe(&p);
	ck_assert_str_eq(described, "overwrite on region1, nmem3");
	/* a file without "overwrite" keeps it */
	ck_assert_int_eq(policy_merge_text(&p, "b.json", "{\"namespaces\": []}", &errors), 0);
	ck_assert(policy_overwrites(&p, 1, NULL));
	/* true: everywhere; false: nowhere */
	ck_assert_int_eq(policy_merge_text(&p, "c.json", "{\"overwrite\": true}", &errors), 0);
	ck_assert(policy_overwrites(&p, 0, dimms0));
	ck_assert_int_eq(policy_merge_text(&p, "d.json", "{\"overwrite\": false}", &errors), 0);
	ck_assert(!policy_overwrites(&p, 1, NULL));
	ck_assert_ptr_null(policy_overwrite_describe(&p));
	ck_assert_uint_eq(errors.count, 0);
	policy_clear(&p);

	ck_assert_uint_eq(merge_errors("{\"overwrite\": []}", "is an empty list"), 1);
	ck_assert_uint_eq(merge_errors("{\"overwrite\": [\"region0\", \"pmem1\"]}", "$.overwrite[1]"), 1);
	ck_assert_uint_eq(merge_errors("{\"overwrite\": [\"/sys/bus/nd/devices/region0\"]}", "$.overwrite[0]"), 1);
	ck_assert_uint_eq(merge_errors("{\"overwrite\": [0]}", "must name a region or a DIMM"), 1);
	ck_assert_uint_eq(merge_errors("{\"overwrite\": \"region0\"}", "a list of the regions and DIMMs"), 1);
}
END_TEST

static bool errors_have(const struct errlist *errors, const char *text)
{
	for (size_t i = 0; i < errors->count; i++)
		if (strstr(errors->messages[i], text))
			return true;
	return false;
}

START_TEST(test_cross_entry_rules)
{
	struct policy p = { .builtin = true };
	struct errlist errors = { 0 };

	merge_ok(&p, "{\"namespaces\": [{\"name\": \"data\"}, {\"name\": \"data0\", \"region\": 0, \"size\": \"1G\"},"
		     " {\"name\": \"x\", \"region\": 1, \"size\": \"1G\", \"mountpoint\": \"/srv/p\"},"
		     " {\"name\": \"y\", \"region\": 1, \"size\": \"1G\", \"mountpoint\": \"/srv/p\"}]}");
	ck_assert_int_eq(policy_validate(&p, &errors), 0);
	ck_assert_uint_eq(errors.count, 3);
	ck_assert(errors_have(&errors, "\"data\" and \"data0\" both become \"data0\" on region0"));
	ck_assert(errors_have(&errors, "\"data\" and \"data0\" can both mount at /mnt/data0 (\"data\" on region0, "
				       "\"data0\" on region0)"));
	ck_assert(errors_have(&errors, "\"x\" and \"y\" can both mount at /srv/p"));
	errlist_clear(&errors);
	policy_clear(&p);

	/* one mountpoint over every region: entries for other regions, or "data" on all and "data1" on one */
	p.builtin = true;
	merge_ok(&p, "{\"namespaces\": [{\"name\": \"data\"}, {\"name\": \"data1\", \"region\": 0, \"size\": \"1G\"},"
		     " {\"name\": \"x\", \"region\": 2, \"size\": \"1G\", \"mountpoint\": \"/srv/p\"},"
		     " {\"name\": \"y\", \"region\": 3, \"size\": \"1G\", \"mountpoint\": \"/srv/p\"},"
		     " {\"name\": \"d\", \"mode\": \"fsdax\", \"size\": \"1G\"},"
		     " {\"name\": \"d1\", \"size\": \"1G\"},"
		     " {\"name\": \"z\", \"region\": 4, \"size\": \"1G\", \"mountpoint\": \"/srv/p0\"},"
		     " {\"name\": \"dev\", \"region\": 5, \"size\": \"1G\", \"mode\": \"devdax\"}]}");
	ck_assert_int_eq(policy_validate(&p, &errors), 0);
	ck_assert(errors_have(&errors, "\"data\" and \"data1\" can both mount at /mnt/data1 (\"data\" on region1, "
				       "\"data1\" on region0): one would hide the other"));
	ck_assert(errors_have(&errors, "\"x\" and \"y\" can both mount at /srv/p (\"x\" on region2, \"y\" on region3)"));
	ck_assert(errors_have(&errors, "\"d\" and \"d1\" can both mount at /mnt/d10 (\"d\" on region10, \"d1\" on region0)"));
	ck_assert(!errors_have(&errors, "/srv/p0"));
	ck_assert(!errors_have(&errors, "\"dev\""));
	errlist_clear(&errors);
	policy_clear(&p);

	p.builtin = true;
	merge_ok(&p, "{\"namespaces\": [{\"name\": \"a\", \"region\": 0}, {\"name\": \"b\", \"region\": 0}]}");
	ck_assert_int_eq(policy_validate(&p, &errors), 0);
	ck_assert_uint_eq(errors.count, 1);
	ck_assert(strstr(errors.messages[0], "both take the rest of region0"));
	errlist_clear(&errors);
	policy_clear(&p);
}
END_TEST

/* A policy with more entries than any guest has room for is refused, cheaply (user-data may be anything) */
static char *entries_text(size_t n, size_t first)
{
	size_t size = 64 + n * 64, len;
	char *text = malloc(size);

	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, size, "{\"namespaces\": [");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, size - len, "%s{\"name\": \"n%zu\", \"size\": \"16M\", \"mode\": \"devdax\"}",
				i ? ", " : "", first + i);
	snprintf(text + len, size - len, "]}");
	return text;
}

START_TEST(test_too_many_entries)
{
	struct policy p = { .builtin = true };
	struct errlist errors = { 0 };
	_cleanup_free_ char *full = entries_text(POLICY_MAX_ENTRIES, 0), *over = entries_text(POLICY_MAX_ENTRIES + 1, 0);
	_cleanup_free_ char *half1 = entries_text(200, 0), *half2 = entries_text(200, 1000);

	ck_assert_int_eq(policy_merge_text(&p, "t.json", full, &errors), 0);
	ck_assert_int_eq(policy_validate(&p, &errors), 0);
	ck_assert_uint_eq(errors.count, 0);
	policy_clear(&p);

	p = (struct policy){ .builtin = true };
	ck_assert_int_eq(policy_merge_text(&p, "t.json", over, &errors), -EINVAL);
	ck_assert_uint_eq(errors.count, 1);
	ck_assert(strstr(errors.messages[0], "t.json: $.namespaces: has 257 entries, more than the 256 a policy may have"));
	errlist_clear(&errors);
	policy_clear(&p);

	/* each file within the limit, together over it */
	p = (struct policy){ .builtin = true };
	ck_assert_int_eq(policy_merge_text(&p, "a.json", half1, &errors), 0);
	ck_assert_int_eq(policy_merge_text(&p, "b.json", half2, &errors), 0);
	ck_assert_int_eq(policy_validate(&p, &errors), 0);
	ck_assert_uint_eq(errors.count, 1);
	ck_assert(strstr(errors.messages[0], "together have 400 namespace entries"));
	errlist_clear(&errors);
	policy_clear(&p);
}
END_TEST

static char tmpdir[] = "/tmp/vpmem-policy-XXXXXX";

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* a drop-in directory that cannot be read is an error, never a part of the policy skipped in silence */
START_TEST(test_unreadable_dropins)
{
	char etc[300], run[300], notdir[320];
	struct policy p = { 0 };
	struct errlist errors = { 0 };
	char *argv[] = { "rm", "-rf", tmpdir, NULL };

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(etc, sizeof(etc), "%s/etc", tmpdir);
	snprintf(run, sizeof(run), "%s/run", tmpdir);
	ck_assert_int_eq(mkdir(etc, 0755), 0);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	/* (the tests run as root, whom permissions do not stop: a file where the directory belongs) */
	write_text(run, "vpmem.d", "not a directory");
	snprintf(notdir, sizeof(notdir), "%s/vpmem.d", run);
	ck_assert_int_eq(policy_load(&p, NULL, etc, run, &errors), -EINVAL);
	ck_assert_uint_eq(errors.count, 1);
	ck_assert_ptr_nonnull(strstr(errors.messages[0], notdir));
	ck_assert_ptr_nonnull(strstr(errors.messages[0], "cannot read the directory: Not a directory"));
	errlist_clear(&errors);
	exec_wait(argv, NULL);
}
END_TEST

START_TEST(test_load_order)
{
	char etc[300], run[300], dropins[320];
	struct policy p = { 0 };
	struct errlist errors = { 0 };

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(etc, sizeof(etc), "%s/etc", tmpdir);
	snprintf(run, sizeof(run), "%s/run", tmpdir);
	snprintf(dropins, sizeof(dropins), "%s/vpmem.d", etc);
	ck_assert_int_eq(mkdir(etc, 0755), 0);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	ck_assert_int_eq(mkdir(dropins, 0755), 0);

	/* nothing at all: the built-in default */
	ck_assert_int_eq(policy_load(&p, NULL, etc, run, &errors), 0);
	ck_assert(p.builtin);
	ck_assert_uint_eq(p.n_namespaces, 1);
	ck_assert_str_eq(p.namespaces[0].name, "pmem");
	policy_clear(&p);

	write_text(etc, "vpmem.json", "{\"namespaces\": [{\"name\": \"a\", \"size\": \"1G\"}]}");
	write_text(dropins, "20-b.json", "{\"namespaces\": [{\"name\": \"a\", \"size\": \"3G\"}]}");
	write_text(dropins, "10-a.json", "{\"namespaces\": [{\"name\": \"a\", \"size\": \"2G\"}]}");
	write_text(dropins, "30-ignored.conf", "not json");
	ck_assert_int_eq(policy_load(&p, NULL, etc, run, &errors), 0);
	ck_assert_uint_eq(p.namespaces[0].size, UINT64_C(3) << 30);
	policy_clear(&p);

	/* boot-time drop-ins (metadata) come after the image's, the boot-time file last */
	{
		char run_dropins[320];

		snprintf(run_dropins, sizeof(run_dropins), "%s/vpmem.d", run);
		ck_assert_int_eq(mkdir(run_dropins, 0755), 0);
		write_text(run_dropins, "50-metadata.json", "{\"namespaces\": [{\"name\": \"a\", \"size\": \"5G\"}]}");
		ck_assert_int_eq(policy_load(&p, NULL, etc, run, &errors), 0);
		ck_assert_uint_eq(p.namespaces[0].size, UINT64_C(5) << 30);
		policy_clear(&p);
	}
	write_text(run, "vpmem.json", "{\"namespaces\": [{\"name\": \"a\", \"size\": \"4G\"}]}");
	ck_assert_int_eq(policy_load(&p, NULL, etc, run, &errors), 0);
	ck_assert_uint_eq(p.namespaces[0].size, UINT64_C(4) << 30);
	ck_assert(!p.builtin);
	policy_clear(&p);

	/* an empty list is an explicit "nothing", not the default */
	write_text(run, "vpmem.json", "{\"replace\": true, \"namespaces\": []}");
	ck_assert_int_eq(policy_load(&p, NULL, etc, run, &errors), 0);
	ck_assert_uint_eq(p.n_namespaces, 0);
	policy_clear(&p);

	/* --config replaces them all; a missing file is an error there */
	{
		char override[400];

		snprintf(override, sizeof(override), "%s/only.json", tmpdir);
		ck_assert_int_eq(policy_load(&p, override, etc, run, &errors), -EINVAL);
		ck_assert_uint_eq(errors.count, 1);
		ck_assert(strstr(errors.messages[0], "only.json: cannot read: No such file or directory"));
		errlist_clear(&errors);
		write_text(tmpdir, "only.json", "{\"namespaces\": [{\"name\": \"o\", \"region\": 2}]}");
		ck_assert_int_eq(policy_load(&p, override, etc, run, &errors), 0);
		ck_assert_uint_eq(p.n_namespaces, 1);
		ck_assert_str_eq(p.namespaces[0].name, "o");
		policy_clear(&p);
	}

	/* a bad drop-in fails the whole load */
	write_text(dropins, "15-bad.json", "{\"namespaces\": [{\"name\": \"a\", \"mode\": \"bogus\"}]}");
	ck_assert_int_eq(policy_load(&p, NULL, etc, run, &errors), -EINVAL);
	ck_assert_uint_eq(errors.count, 1);
	ck_assert(strstr(errors.messages[0], "15-bad.json: $.namespaces[0].mode"));
	errlist_clear(&errors);
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_example_policy);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_errors_named_by_path);
	tcase_add_test(tc, test_rules_across_keys);
	tcase_add_test(tc, test_mountpoints);
	tcase_add_test(tc, test_system_mountpoints);
	tcase_add_test(tc, test_json_syntax);
	tcase_add_test(tc, test_too_many_entries);
	tcase_add_test(tc, test_merge_rules);
	tcase_add_test(tc, test_overwrite_scoped);
	tcase_add_test(tc, test_cross_entry_rules);
	tcase_add_test(tc, test_load_order);
	tcase_add_test(tc, test_unreadable_dropins);
	suite_add_tcase(s, tc);
	return s;
}
