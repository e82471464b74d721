// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cleanup.h"
#include "hostconf.h"
#include "ledger.h"
#include "output.h"
#include "size.h"
#include "sizes.h"
#include "suites.h"

static size_t parse_errors(const char *text, const char *want)
{
	struct host_config c = { 0 };
	struct errlist errors = { 0 };
	bool seen = want == NULL;
	size_t n;

	host_config_parse("host.json", text, &c, &errors);
	n = errors.count;
	for (size_t i = 0; i < n; i++)
		seen = seen || strstr(errors.messages[i], want);
	ck_assert_msg(seen, "no error mentions \"%s\" for %s (first: %s)", want, text, n ? errors.messages[0] : "none");
	if (n)
		ck_assert_uint_eq(c.n_nova + c.n_layout, 0);
	errlist_clear(&errors);
	host_config_clear(&c);
	return n;
}

START_TEST(test_nova_syntax)
{
	struct host_config c = { 0 };
	struct errlist errors = { 0 };

	ck_assert_int_eq(host_config_parse("h.json", "{\"pmem_namespaces\": \"6GB:ns0|ns1|ns2, LARGE:ns3\"}", &c, &errors), 0);
	ck_assert_uint_eq(c.n_nova, 4);
	ck_assert_str_eq(c.nova[0].label, "6GB");
	ck_assert_str_eq(c.nova[2].name, "ns2");
	ck_assert_str_eq(c.nova[3].label, "LARGE");
	ck_assert_str_eq(c.nova[3].name, "ns3");
	host_config_clear(&c);
}
END_TEST

START_TEST(test_nova_errors)
{
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": \"6GB\"}", "doesn't follow the format"), 1);
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": \"6GB:ns0,,LARGE:ns1\"}", NULL), 0);
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": \"6GB:ns0|ns1,LARGE:ns1\"}", "Duplicated PMEM namespace ns1"), 1);
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": \":ns0\"}", "a label must be"), 1);
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": \"6GB:ns0||ns1\"}", "empty namespace name"), 1);
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": \"6GB:\"}", "empty namespace name"), 1);
	/* what Nova misses: two labels, one resource class */
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": \"6gb:ns0,6GB:ns1\"}", "both become resource class"), 1);
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": \"a-b:ns0,a.b:ns1\"}", "CUSTOM_PMEM_NAMESPACE_A_B"), 1);
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": 5}", "must be a string"), 1);
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": \"x:vpmem-x-0\"}", "the ones setup makes"), 1);
}
END_TEST

START_TEST(test_normalise)
{
	static const struct {
		const char *label, *rc;
	} cases[] = {
		{ "6GB", "CUSTOM_PMEM_NAMESPACE_6GB" },
		{ "small", "CUSTOM_PMEM_NAMESPACE_SMALL" },
		{ "a--b..c", "CUSTOM_PMEM_NAMESPACE_A_B_C" },
		{ "x y", "CUSTOM_PMEM_NAMESPACE_X_Y" },
		{ "-lead", "CUSTOM_PMEM_NAMESPACE__LEAD" },
		{ "FILE4G", "CUSTOM_PMEM_NAMESPACE_FILE4G" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *rc = resource_class_for_label(cases[i].label);

		ck_assert_str_eq(rc, cases[i].rc);
	}
}
END_TEST

START_TEST(test_layout)
{
	struct host_config c = { 0 };
	struct errlist errors = { 0 };
	_cleanup_free_ char *name = NULL;

	ck_assert_int_eq(host_config_parse("h.json",
					   "{\"layout\": [{\"label\": \"6GB\", \"count\": 3, \"size\": \"6G\", \"region\": 0, \"align\": \"2M\"},"
					   " {\"label\": \"FILE4G\", \"backend\": \"file\", \"directory\": \"/var/lib/vpmem/files\","
					   " \"size\": \"4G\", \"count\": 2}]}",
					   &c, &errors),
			 0);
	ck_assert_uint_eq(c.n_layout, 2);
	ck_assert_uint_eq(c.layout[0].count, 3);
	ck_assert_uint_eq(c.layout[0].size, UINT64_C(6) << 30);
	ck_assert_int_eq(c.layout[0].backend, BACKEND_DEVDAX);
	ck_assert_int_eq(c.layout[0].region, 0);
	ck_assert_int_eq(c.layout[1].backend, BACKEND_FILE);
	ck_assert_str_eq(c.layout[1].directory, "/var/lib/vpmem/files");
	name = layout_backing_name(&c.layout[0], 2);
	ck_assert_str_eq(name, "vpmem-6GB-2");
	host_config_clear(&c);
}
END_TEST

START_TEST(test_layout_errors)
{
	ck_assert_uint_eq(parse_errors("{\"layout\": [{\"label\": \"a\", \"count\": 1, \"size\": \"1G\"}]}", "$.layout[0].region"), 1);
	ck_assert_uint_eq(parse_errors("{\"layout\": [{\"label\": \"a\", \"count\": 0, \"size\": \"1G\", \"region\": 0}]}", "$.layout[0].count"), 1);
	ck_assert_uint_eq(parse_errors("{\"layout\": [{\"label\": \"a b\", \"count\": 1, \"size\": \"1G\", \"region\": 0}]}", "$.layout[0].label"), 1);
	ck_assert_uint_eq(parse_errors("{\"layout\": [{\"label\": \"a\", \"count\": 1, \"size\": \"1X\", \"region\": 0}]}", "$.layout[0].size"), 1);
	ck_assert_uint_eq(parse_errors("{\"layout\": [{\"label\": \"a\", \"count\": 1, \"size\": \"1G\", \"backend\": \"file\"}]}", "$.layout[0].directory"), 1);
	ck_assert_uint_eq(parse_errors("{\"layout\": [{\"label\": \"a\", \"count\": 1, \"size\": \"1G\", \"backend\": \"file\", \"directory\": \"rel\"}]}", "absolute"), 1);
	ck_assert_uint_eq(parse_errors("{\"layout\": [{\"label\": \"a\", \"count\": 1, \"size\": \"1G\", \"backend\": \"nfs\", \"region\": 0}]}", "$.layout[0].backend"), 1);
	ck_assert_uint_eq(parse_errors("{\"layout\": [{\"label\": \"a\", \"count\": 1, \"size\": \"1G\", \"region\": 0, \"colour\": 1}]}", "$.layout[0].colour: unknown key"), 1);
	ck_assert_uint_eq(parse_errors("{\"layout\": [{\"label\": \"a\", \"count\": 1, \"size\": \"4M\", \"region\": 0}]}", "16M"), 1);
	ck_assert_uint_eq(parse_errors("{\"layout\": [{\"label\": \"a\", \"count\": 1, \"size\": \"17M\", \"region\": 0}]}", "multiple of align"), 1);
	ck_assert_uint_eq(parse_errors("{\"pmem_namespaces\": \"A:ns0\", \"layout\": [{\"label\": \"a\", \"count\": 1, \"size\": \"1G\", \"region\": 0}]}", "both become"), 1);
	ck_assert_uint_eq(parse_errors("{\"layouts\": []}", "unknown key \"layouts\""), 1);
	ck_assert_uint_eq(parse_errors("[", "not a JSON object"), 1);
	ck_assert_uint_eq(parse_errors("[]", "not a JSON object (another JSON value)"), 1);
	/* the one reader's strictness (jsonparse.h): no comments, nothing after the document */
	ck_assert_uint_eq(parse_errors("{\"layout\": [] // the layout\n}", "not valid JSON at offset"), 1);
	ck_assert_uint_eq(parse_errors("{} x", "not valid JSON"), 1);
}
END_TEST

START_TEST(test_placement_section)
{
	struct host_config c = { 0 };
	struct errlist errors = { 0 };

	ck_assert_int_eq(host_config_parse("t", "{\"placement\": {\"url\": \"https://p:8778\", \"provider\": \"cn-pmem\", "
					   "\"parent\": \"8a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11\", \"timeout\": 5, "
					   "\"token_file\": \"/etc/vpmem/token\"}}", &c, &errors), 0);
	ck_assert_str_eq(c.placement.url, "https://p:8778");
	ck_assert_str_eq(c.placement.provider, "cn-pmem");
	ck_assert_str_eq(c.placement.parent, "8a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11");
	ck_assert_int_eq(c.placement.timeout, 5);
	ck_assert_str_eq(c.placement.token_file, "/etc/vpmem/token");
	ck_assert_ptr_null(c.placement.cacert);
	host_config_clear(&c);
	errlist_clear(&errors);

	ck_assert_uint_eq(parse_errors("{\"placement\": {\"url\": \"p:8778\"}}", "$.placement.url"), 1);
	ck_assert_uint_eq(parse_errors("{\"placement\": {\"url\": \"http://p/\"}}", "$.placement.url"), 1);
	ck_assert_uint_eq(parse_errors("{\"placement\": {\"parent\": \"cn\"}}", "$.placement.parent"), 1);
	ck_assert_uint_eq(parse_errors("{\"placement\": {\"timeout\": 0}}", "$.placement.timeout"), 1);
	ck_assert_uint_eq(parse_errors("{\"placement\": {\"cacert\": \"ca.pem\"}}", "$.placement.cacert"), 1);
	ck_assert_uint_eq(parse_errors("{\"placement\": {\"provider\": 3}}", "$.placement.provider"), 1);
	ck_assert_uint_eq(parse_errors("{\"placement\": {\"colour\": 3}}", "$.placement.colour: unknown key"), 1);
	ck_assert_uint_eq(parse_errors("{\"placement\": []}", "$.placement"), 1);
}
END_TEST

START_TEST(test_guest_size)
{
	struct guest_sizes s;

	/* the example: oVirt gives 3840 MiB here */
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_X86, UINT64_C(4292870144), 128 << 10, SZ_2M, &s), 0);
	ck_assert_uint_eq(s.target, UINT64_C(4094) << 20);
	ck_assert_uint_eq(s.guest, UINT64_C(4092) << 20);
	/* the guest region is a 2 MiB multiple: the next module starts aligned */
	ck_assert_uint_eq(s.guest % SZ_2M, 0);
	ck_assert_uint_eq(s.target % SZ_2M, 0);

	/* a backing that is not a 2 MiB multiple: libvirt would round it up past the end */
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_X86, UINT64_C(4292870144) + 4096, 128 << 10, SZ_2M, &s), 0);
	ck_assert_uint_eq(s.target, UINT64_C(4094) << 20);

	/* 1 GiB alignment */
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_X86, UINT64_C(8) << 30, 128 << 10, SZ_1G, &s), 0);
	ck_assert_uint_eq(s.guest, UINT64_C(7) << 30);

	/* a larger label */
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_X86, UINT64_C(1) << 30, 4 << 20, SZ_2M, &s), 0);
	ck_assert_uint_eq(s.guest, (UINT64_C(1) << 30) - (4 << 20));

	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_X86, UINT64_C(1) << 30, 64 << 10, SZ_2M, &s), -EINVAL);
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_X86, UINT64_C(1) << 30, 128 << 10, 4096, &s), -EINVAL);
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_X86, SZ_2M, 128 << 10, SZ_2M, &s), -EINVAL);
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_X86, SZ_1M, 128 << 10, SZ_2M, &s), -EINVAL);
}
END_TEST

START_TEST(test_guest_size_cxl)
{
	struct guest_sizes s;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	FILE *f;
	struct vnvdimm d = { .id = "vpmem0", .path = "/dev/dax1.0", .lsa = "/var/lib/vpmem/lsa/u", .serial = 1ULL << 63,
			     .real_pmem = true };

	/* whole 256 MiB: a 4292870144-byte namespace gives 3840 MiB, the label area is a file beside it */
	ck_assert_int_eq(guest_cxl_size_compute(UINT64_C(4292870144), SZ_2M, &s), 0);
	ck_assert_uint_eq(s.guest, UINT64_C(3840) << 20);
	ck_assert_uint_eq(s.target, s.guest);
	ck_assert_uint_eq(s.label, 256 << 10);
	/* a 2 GiB + 2 MiB file: 2 GiB */
	ck_assert_int_eq(guest_cxl_size_compute((UINT64_C(2048) + 2) << 20, SZ_2M, &s), 0);
	ck_assert_uint_eq(s.guest, UINT64_C(2) << 30);
	/* 1 GiB alignment: whole GiB (device-dax maps nothing smaller) */
	ck_assert_int_eq(guest_cxl_size_compute((UINT64_C(3) << 30) - SZ_2M, SZ_1G, &s), 0);
	ck_assert_uint_eq(s.guest, UINT64_C(2) << 30);
	ck_assert_int_eq(guest_cxl_size_compute(UINT64_C(255) << 20, SZ_2M, &s), -EINVAL);
	ck_assert_int_eq(guest_cxl_size_compute(UINT64_C(1) << 30, 4096, &s), -EINVAL);

	/* the window: twice the devices, at least 4 GiB, whole 256 MiB */
	ck_assert_uint_eq(cxl_window_size(UINT64_C(512) << 20), UINT64_C(4) << 30);
	ck_assert_uint_eq(cxl_window_size((UINT64_C(3) << 30) + (UINT64_C(128) << 20)), UINT64_C(6400) << 20);

	ck_assert_int_eq(guest_cxl_size_compute(UINT64_C(4292870144), SZ_2M, &d.sizes), 0);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(qemu_cxl_args_write(f, NULL, &d, 1), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "-device pxb-cxl,bus_nr=52,bus=pcie.0,id=vpmem-cxl0 "));
	ck_assert_ptr_nonnull(strstr(buf, "memory-backend-file,id=vpmem0,share=on,mem-path=/dev/dax1.0,size=4026531840,"
					  "align=2097152,pmem=on "));
	ck_assert_ptr_nonnull(strstr(buf, "memory-backend-file,id=vpmem0-lsa,share=on,mem-path=/var/lib/vpmem/lsa/u,"
					  "size=262144 "));
	/* the serial unsigned, as QEMU takes it */
	ck_assert_ptr_nonnull(strstr(buf, "cxl-type3,bus=vpmem0-rp,persistent-memdev=vpmem0,lsa=vpmem0-lsa,id=vpmem0-cxl,"
					  "sn=9223372036854775808 "));
	ck_assert_ptr_nonnull(strstr(buf, "cxl-rp,port=0,bus=vpmem-cxl0,id=vpmem0-rp,chassis=52,slot=1 "));
	ck_assert_ptr_nonnull(strstr(buf, "-M cxl-fmw.0.targets.0=vpmem-cxl0,cxl-fmw.0.size=8053063680\n"));
	free(buf);
	buf = NULL;
	/* a fifth device behind a second host bridge (4 decoders each), with a window of its own */
	{
		struct vnvdimm five[5];
		static const char *ids[] = { "vpmem0", "vpmem1", "vpmem2", "vpmem3", "vpmem4" };

		for (size_t i = 0; i < 5; i++) {
			five[i] = d;
			five[i].id = ids[i];
		}
		f = open_memstream(&buf, &len);
		ck_assert_int_eq(qemu_cxl_args_write(f, NULL, five, 5), 0);
		fclose(f);
		ck_assert_ptr_nonnull(strstr(buf, "-device pxb-cxl,bus_nr=60,bus=pcie.0,id=vpmem-cxl1 "));
		ck_assert_ptr_nonnull(strstr(buf, "cxl-rp,port=3,bus=vpmem-cxl0,id=vpmem3-rp,chassis=52,slot=4 "));
		ck_assert_ptr_nonnull(strstr(buf, "cxl-rp,port=0,bus=vpmem-cxl1,id=vpmem4-rp,chassis=60,slot=1 "));
		ck_assert_ptr_nonnull(strstr(buf, "-M cxl-fmw.0.targets.0=vpmem-cxl0,cxl-fmw.0.size=32212254720,"
						  "cxl-fmw.1.targets.0=vpmem-cxl1,cxl-fmw.1.size=8053063680\n"));
	}
	/* a device without its label area is not written */
	d.lsa = NULL;
	ck_assert_int_eq(qemu_cxl_args_write(stdout, NULL, &d, 1), -EINVAL);
}
END_TEST

START_TEST(test_guest_size_pseries)
{
	enum guest_machine m;
	struct guest_sizes s;

	/* the field notes' DIMM: 2 GiB + 128 KiB is what QEMU takes, and all of it */
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_PSERIES, (UINT64_C(2) << 30) + (128 << 10), 128 << 10, SZ_2M,
					    &s), 0);
	ck_assert_uint_eq(s.guest, UINT64_C(2) << 30);
	ck_assert_uint_eq(s.target, (UINT64_C(2) << 30) + (128 << 10));
	/* a plain 2 GiB namespace: the label comes out of it, and the guest gets 1792 MiB */
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_PSERIES, UINT64_C(2) << 30, 128 << 10, SZ_2M, &s), 0);
	ck_assert_uint_eq(s.guest, UINT64_C(1792) << 20);
	ck_assert_uint_eq(s.target, (UINT64_C(1792) << 20) + (128 << 10));
	/* the x86 example's namespace: 3840 MiB, a multiple of 256 MiB, never past the backing */
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_PSERIES, UINT64_C(4292870144), 128 << 10, SZ_2M, &s), 0);
	ck_assert_uint_eq(s.guest, UINT64_C(3840) << 20);
	ck_assert_uint_eq(s.guest % PSERIES_SCM_BLOCK, 0);
	ck_assert_uint_le(s.target, UINT64_C(4292870144));
	ck_assert_uint_eq(s.target - s.label, s.guest);
	/* for every backing size: guest a positive multiple of 256 MiB, target within the backing */
	for (uint64_t b = (UINT64_C(256) << 20) + (128 << 10); b < (UINT64_C(3) << 30); b += UINT64_C(37) << 20) {
		ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_PSERIES, b, 128 << 10, SZ_2M, &s), 0);
		ck_assert_uint_eq(s.guest % PSERIES_SCM_BLOCK, 0);
		ck_assert_uint_le(s.target, b);
		ck_assert_uint_gt(s.target + PSERIES_SCM_BLOCK, b);
	}
	/*
	 * device-dax on pseries: the label is the device's alignment, so the
	 * module QEMU maps from it ends on that alignment; a 4 GiB namespace
	 * aligned to 16 MiB: guest 3840 MiB, module 3856 MiB
	 */
	ck_assert_uint_eq(guest_label_size(GUEST_MACHINE_PSERIES, 0, SZ_2M), 128 << 10);
	ck_assert_uint_eq(guest_label_size(GUEST_MACHINE_X86, 1, SZ_2M), 128 << 10);
	ck_assert_uint_eq(guest_label_size(GUEST_MACHINE_PSERIES, 1, SZ_2M), SZ_2M);
	ck_assert_uint_eq(guest_label_size(GUEST_MACHINE_PSERIES, 1, SZ_16M), SZ_16M);
	ck_assert_uint_eq(guest_label_size(GUEST_MACHINE_PSERIES, 1, SZ_1G), 0);
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_PSERIES, UINT64_C(4292870144), SZ_16M, SZ_16M, &s), 0);
	ck_assert_uint_eq(s.guest, UINT64_C(3840) << 20);
	ck_assert_uint_eq(s.target, UINT64_C(3856) << 20);
	ck_assert_uint_eq(s.target % SZ_16M, 0);
	for (uint64_t b = UINT64_C(300) << 20; b < (UINT64_C(3) << 30); b += UINT64_C(34) << 20) {
		ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_PSERIES, b, SZ_2M, SZ_2M, &s), 0);
		ck_assert_uint_eq(s.target % SZ_2M, 0);
		ck_assert_uint_eq(s.guest % PSERIES_SCM_BLOCK, 0);
		ck_assert_uint_ge(s.guest, PSERIES_SCM_BLOCK);
		ck_assert_uint_eq(s.target - s.label, s.guest);
		ck_assert_uint_le(s.target, b);
	}
	/* an alignment over 256 MiB: the guest size is a multiple of it */
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_PSERIES, UINT64_C(3) << 30, 128 << 10, SZ_1G, &s), 0);
	ck_assert_uint_eq(s.guest, UINT64_C(2) << 30);

	/* too small for one SCM block with its label */
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_PSERIES, UINT64_C(256) << 20, 128 << 10, SZ_2M, &s), -EINVAL);
	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_PSERIES, 64 << 10, 128 << 10, SZ_2M, &s), -EINVAL);

	ck_assert_int_eq(guest_machine_parse("pseries", &m), 0);
	ck_assert_int_eq(m, GUEST_MACHINE_PSERIES);
	ck_assert_int_eq(guest_machine_parse("pseries-7.2", &m), 0);
	ck_assert_int_eq(m, GUEST_MACHINE_PSERIES);
	ck_assert_int_eq(guest_machine_parse("pc-q35-7.2", &m), 0);
	ck_assert_int_eq(m, GUEST_MACHINE_X86);
	ck_assert_int_eq(guest_machine_parse("q35", &m), 0);
	ck_assert_int_eq(guest_machine_parse("pseriesx", &m), -EINVAL);
	ck_assert_int_eq(guest_machine_parse("virt", &m), -EINVAL);
	ck_assert_int_eq(guest_machine_parse("", &m), -EINVAL);
}
END_TEST

START_TEST(test_output)
{
	struct vnvdimm d = {
		.id = "vpmem0", .path = "/dev/dax0.0", .real_pmem = true, .guest_node = 0,
	};
	char *buf = NULL, *notes = NULL;
	size_t len = 0, notes_len = 0;
	FILE *f, *n;
	_cleanup_strv_free_ char **argv = NULL;

	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_X86, UINT64_C(4292870144), 128 << 10, SZ_2M, &d.sizes), 0);
	f = open_memstream(&buf, &len);
	n = open_memstream(&notes, &notes_len);
	ck_assert_int_eq(libvirt_xml_write(f, n, &d, 1), 0);
	fclose(f);
	fclose(n);
	/* the XML alone on stdout, starting with the element; what the domain also needs on the side */
	ck_assert(strncmp(buf, "<memory model='nvdimm'", 22) == 0);
	ck_assert(strstr(buf, "<memory model='nvdimm' access='shared'>\n  <source>\n    <path>/dev/dax0.0</path>\n"
			      "    <alignsize unit='KiB'>2048</alignsize>\n    <pmem/>\n  </source>\n  <target>\n"
			      "    <size unit='KiB'>4192256</size>\n    <node>0</node>\n    <label>\n"
			      "      <size unit='KiB'>128</size>\n    </label>\n  </target>\n</memory>\n"));
	ck_assert(strstr(notes, "<maxMemory slots='N' unit='KiB'>"));
	free(buf);
	free(notes);

	argv = qemu_args_for(&d);
	ck_assert_str_eq(argv[1], "memory-backend-file,id=vpmem0,share=on,mem-path=/dev/dax0.0,size=4292870144,"
				  "align=2097152,pmem=on");
	ck_assert_str_eq(argv[3], "nvdimm,id=vpmem0-dimm,memdev=vpmem0,label-size=131072,node=0");
	strv_free(argv);

	/* a file is not persistent memory: no <pmem/>, no pmem=on; commas escaped for QEMU */
	d.real_pmem = false;
	d.path = "/srv/a,b.img";
	argv = qemu_args_for(&d);
	ck_assert(strstr(argv[1], "mem-path=/srv/a,,b.img,size="));
	ck_assert(!strstr(argv[1], "pmem=on"));
	buf = NULL;
	f = open_memstream(&buf, &len);
	libvirt_xml_write(f, NULL, &d, 1);
	fclose(f);
	ck_assert(!strstr(buf, "<pmem/>"));
	free(buf);

	/* QEMU's arguments: one line a shell reads back word for word, notes apart */
	d.path = "/srv/it's a,b.img";
	buf = notes = NULL;
	f = open_memstream(&buf, &len);
	n = open_memstream(&notes, &notes_len);
	ck_assert_int_eq(qemu_args_write(f, n, &d, 1), 0);
	fclose(f);
	fclose(n);
	ck_assert_str_eq(buf, "-object 'memory-backend-file,id=vpmem0,share=on,mem-path=/srv/it'\\''s a,,b.img,"
			      "size=4292870144,align=2097152' -device nvdimm,id=vpmem0-dimm,memdev=vpmem0,"
			      "label-size=131072,node=0\n");
	ck_assert(strstr(notes, "-machine <type>,nvdimm=on -m <ram>,slots=1,maxmem=<ram + 4292870144>"));
	free(buf);
	free(notes);
}
END_TEST

START_TEST(test_output_pseries)
{
	struct vnvdimm d = {
		.id = "vpmem0", .path = "/srv/p.img", .uuid = "1d3bb5a5-0f7c-4a36-9fb7-8f0c0c6e7a11",
		.machine = GUEST_MACHINE_PSERIES,
	};
	char *buf = NULL, *notes = NULL;
	size_t len = 0, notes_len = 0;
	FILE *f, *n;
	_cleanup_strv_free_ char **argv = NULL;

	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_PSERIES, UINT64_C(2) << 30, 128 << 10, SZ_2M, &d.sizes), 0);
	argv = qemu_args_for(&d);
	ck_assert_str_eq(argv[1], "memory-backend-file,id=vpmem0,share=on,mem-path=/srv/p.img,size=1879179264,"
				  "align=2097152");
	/* QEMU refuses a pseries NVDIMM without a label or a uuid */
	ck_assert_str_eq(argv[3], "nvdimm,id=vpmem0-dimm,memdev=vpmem0,label-size=131072,node=0,"
				  "uuid=1d3bb5a5-0f7c-4a36-9fb7-8f0c0c6e7a11");
	f = open_memstream(&buf, &len);
	n = open_memstream(&notes, &notes_len);
	ck_assert_int_eq(libvirt_xml_write(f, n, &d, 1), 0);
	fclose(f);
	fclose(n);
	ck_assert(strstr(buf, "<memory model='nvdimm' access='shared'>\n  <uuid>1d3bb5a5-0f7c-4a36-9fb7-8f0c0c6e7a11</uuid>\n"
			      "  <source>\n"));
	ck_assert(strstr(buf, "<size unit='KiB'>1835136</size>"));
	ck_assert(strstr(buf, "<label>\n      <size unit='KiB'>128</size>\n    </label>"));
	ck_assert(strstr(notes, "a pseries machine"));
	free(buf);
	free(notes);
	strv_free(argv);
	argv = NULL;

	/* no uuid, no module: nothing half-made */
	d.uuid = NULL;
	ck_assert_ptr_null(qemu_args_for(&d));
	buf = NULL;
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(libvirt_xml_write(f, NULL, &d, 1), -EINVAL);
	fclose(f);
	free(buf);
}
END_TEST

/* the first element child of node named name, or NULL */
static xmlNodePtr child_named(xmlNodePtr node, const char *name)
{
	for (xmlNodePtr c = node ? node->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST name))
			return c;
	return NULL;
}

/*
 * What libvirt reads: a parser, not a string compare. A path with every
 * character XML escapes comes back whole, and two modules are two <memory>
 * elements with their own nodes.
 */
START_TEST(test_output_xml_parsed)
{
	static const char path[] = "/srv/a&b<c>'d\"e.img";
	struct vnvdimm d[2] = {
		{ .id = "vpmem0", .path = path, .guest_node = 0 },
		{ .id = "vpmem1", .path = "/dev/vpmem/by-uuid/x", .guest_node = 1, .real_pmem = true },
	};
	_cleanup_free_ char *xml = NULL, *devices = NULL;
	xmlNodePtr root, m, p;
	xmlChar *text;
	xmlDocPtr doc;
	unsigned n = 0;

	ck_assert_int_eq(guest_size_compute(GUEST_MACHINE_X86, 64 << 20, 128 << 10, SZ_2M, &d[0].sizes), 0);
	d[1].sizes = d[0].sizes;
	ck_assert_int_eq(libvirt_xml_format(d, 2, &xml), 0);
	/* the elements go into a domain's <devices> */
	ck_assert_int_ge(asprintf(&devices, "<devices>%s</devices>", xml), 0);
	doc = xmlReadMemory(devices, (int)strlen(devices), "devices.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ck_assert_ptr_nonnull(doc);
	root = xmlDocGetRootElement(doc);
	for (m = root->children; m; m = m->next) {
		if (m->type != XML_ELEMENT_NODE)
			continue;
		ck_assert(xmlStrEqual(m->name, BAD_CAST "memory"));
		p = child_named(child_named(m, "source"), "path");
		ck_assert_ptr_nonnull(p);
		text = xmlNodeGetContent(p);
		ck_assert_str_eq((const char *)text, d[n].path);
		xmlFree(text);
		ck_assert_int_eq(child_named(child_named(m, "source"), "pmem") != NULL, d[n].real_pmem);
		text = xmlNodeGetContent(child_named(child_named(m, "target"), "node"));
		ck_assert_uint_eq(strtoul((const char *)text, NULL, 10), d[n].guest_node);
		xmlFree(text);
		n++;
	}
	ck_assert_uint_eq(n, 2);
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(test_ledger_roundtrip)
{
	char dir[] = "/tmp/vpmem-ledger-XXXXXX", path[64];
	struct ledger l = { 0 }, back = { 0 };
	_cleanup_free_ char *err = NULL;
	struct ledger_entry *e;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ledger.json", dir);
	ck_assert_int_eq(ledger_load(path, &l, &err), 0);
	ck_assert_uint_eq(l.n, 0);
	e = ledger_add(&l, "8a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11", "6GB", BACKEND_DEVDAX, "ns0", 6442450944);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(ledger_set_state(e, BACKING_RESERVED, "11111111-2222-3333-4444-555555555555", NULL), 0);
	e = ledger_add(&l, "9a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11", "F", BACKEND_FILE, "/srv/f.img", 1 << 30);
	ck_assert_int_eq(ledger_set_state(e, BACKING_QUARANTINED, NULL, "cannot open /srv/f.img"), 0);
	ck_assert_ptr_nonnull(ledger_add(&l, "7a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11", "F", BACKEND_FILE, "/srv/g.img", 1));
	ck_assert_int_eq(ledger_save(path, &l), 0);
	ck_assert_int_eq(ledger_load(path, &back, &err), 0);
	ck_assert_uint_eq(back.n, 3);
	ck_assert_int_eq(back.entries[2].state, BACKING_UNVERIFIED);
	ck_assert_int_eq(back.entries[0].state, BACKING_RESERVED);
	ck_assert_str_eq(back.entries[0].consumer, "11111111-2222-3333-4444-555555555555");
	ck_assert_uint_eq(back.entries[0].size, 6442450944);
	ck_assert_int_eq(back.entries[1].kind, BACKEND_FILE);
	ck_assert_int_eq(back.entries[1].state, BACKING_QUARANTINED);
	ck_assert_str_eq(back.entries[1].note, "cannot open /srv/f.img");
	ledger_clear(&back);
	ledger_clear(&l);

	/* a corrupt ledger is an error, never an empty one (that would free everything) */
	{
		FILE *f = fopen(path, "w");

		fputs("{\"backings\": [{\"uuid\": \"x\"}]}", f);
		fclose(f);
	}
	ck_assert_int_eq(ledger_load(path, &back, &err), -EBADMSG);
	ck_assert_ptr_nonnull(err);
	unlink(path);
	rmdir(dir);
}
END_TEST

#define A "11111111-2222-3333-4444-555555555555"
#define B "22222222-3333-4444-5555-666666666666"

/* Every state change, from every state: what is allowed happens, anything else changes nothing. */
START_TEST(test_ledger_transitions)
{
	struct ledger l = { 0 };
	struct ledger_entry *e = ledger_add(&l, "8a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11", "6GB", BACKEND_DEVDAX, "ns0", 1);
	struct ledger_owner self, dead, other_boot;

	ck_assert_int_eq(ledger_owner_self(&self), 0);
	ck_assert(ledger_owner_alive(&self));
	/* the same pid with another start time is another process: the recorded one is gone */
	dead = self;
	dead.start = self.start + 1;
	ck_assert(!ledger_owner_alive(&dead));
	other_boot = self;
	other_boot.boot_id[0] = other_boot.boot_id[0] == '0' ? '1' : '0';
	ck_assert(!ledger_owner_alive(&other_boot));

	/* new to the ledger: unverified, never handed out, erased (or proven empty) first */
	ck_assert_int_eq(e->state, BACKING_UNVERIFIED);
	ck_assert_int_eq(ledger_reserve(e, A), -EINVAL);
	ck_assert_int_eq(ledger_unreserve(e, A), -EPERM);
	ck_assert_int_eq(ledger_begin_erase(e, &self, A), -EINVAL);
	ck_assert_int_eq(e->state, BACKING_UNVERIFIED);
	ck_assert_int_eq(ledger_begin_erase(e, &self, NULL), 0);
	ck_assert_int_eq(e->state, BACKING_ERASING);
	ck_assert_int_eq(ledger_proven_empty(e), -EINVAL);
	ck_assert_int_eq(ledger_finish_erase(e, &self, true, NULL), 0);
	ck_assert_int_eq(e->state, BACKING_FREE);
	ck_assert_int_eq(ledger_proven_empty(e), -EINVAL);
	{
		struct ledger_entry *f = ledger_add(&l, "9a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11", "F", BACKEND_FILE, "/f", 1);

		e = &l.entries[0]; /* the array moved */
		ck_assert_int_eq(ledger_proven_empty(f), 0);
		ck_assert_int_eq(f->state, BACKING_FREE);
	}

	/* free: reserved by one consumer, never by a second */
	ck_assert_int_eq(ledger_reserve(e, A), 0);
	ck_assert_int_eq(e->state, BACKING_RESERVED);
	ck_assert_int_eq(ledger_reserve(e, B), -EINVAL);
	ck_assert_str_eq(e->consumer, A);
	/* only the holder undoes it, and erase --uuid never takes it */
	ck_assert_int_eq(ledger_unreserve(e, B), -EPERM);
	ck_assert_int_eq(ledger_begin_erase(e, &self, NULL), -EPERM);
	ck_assert_int_eq(ledger_begin_erase(e, &self, B), -EPERM);
	ck_assert_int_eq(e->state, BACKING_RESERVED);
	ck_assert_int_eq(ledger_unreserve(e, A), 0);
	ck_assert_int_eq(e->state, BACKING_FREE);
	ck_assert_int_eq(ledger_unreserve(e, A), -EPERM);

	/* released: erasing, owned by the releasing process */
	ck_assert_int_eq(ledger_reserve(e, A), 0);
	ck_assert_int_eq(ledger_begin_erase(e, &self, A), 0);
	ck_assert_int_eq(e->state, BACKING_ERASING);
	ck_assert(e->has_owner);
	ck_assert_int_eq(ledger_reserve(e, B), -EINVAL);
	/* again by the same process: still its own */
	ck_assert_int_eq(ledger_begin_erase(e, &self, A), 0);
	/* nobody else finishes it */
	ck_assert_int_eq(ledger_finish_erase(e, &dead, true, NULL), -ESTALE);
	ck_assert_int_eq(e->state, BACKING_ERASING);
	ck_assert_int_eq(ledger_finish_erase(e, &self, true, NULL), 0);
	ck_assert_int_eq(e->state, BACKING_FREE);
	ck_assert(!e->has_owner);
	/* finished once: a second finish (a retried release's) is refused and frees nothing twice */
	ck_assert_int_eq(ledger_reserve(e, B), 0);
	ck_assert_int_eq(ledger_finish_erase(e, &self, true, NULL), -ESTALE);
	ck_assert_int_eq(e->state, BACKING_RESERVED);
	ck_assert_str_eq(e->consumer, B);

	/* an eraser that died: its work is taken over by the next release, or by erase --uuid */
	ck_assert_int_eq(ledger_begin_erase(e, &dead, B), 0);
	ck_assert_int_eq(ledger_begin_erase(e, &self, A), -EPERM);
	ck_assert_int_eq(ledger_begin_erase(e, &self, B), 0);
	ck_assert_int_eq(e->owner.start, self.start);
	ck_assert_int_eq(ledger_finish_erase(e, &dead, true, NULL), -ESTALE);
	/* a live one is never taken over */
	ck_assert_int_eq(ledger_begin_erase(e, &dead, NULL), -EBUSY);
	ck_assert_int_eq(ledger_finish_erase(e, &self, false, "read back non-zero"), 0);
	ck_assert_int_eq(e->state, BACKING_QUARANTINED);
	ck_assert_str_eq(e->note, "read back non-zero");
	ck_assert_int_eq(ledger_reserve(e, A), -EINVAL);
	ck_assert_int_eq(ledger_begin_erase(e, &self, A), -EINVAL);
	ck_assert_int_eq(ledger_begin_erase(e, &other_boot, NULL), 0);
	ck_assert_int_eq(ledger_begin_erase(e, &self, NULL), 0);
	ck_assert_int_eq(ledger_finish_erase(e, &self, true, NULL), 0);
	ck_assert_int_eq(e->state, BACKING_FREE);
	ledger_clear(&l);
}
END_TEST

/* The owner of an erase survives a save and a load, and a missing one counts as dead. */
START_TEST(test_ledger_owner_roundtrip)
{
	char dir[] = "/tmp/vpmem-ledger-XXXXXX", path[64];
	struct ledger l = { 0 }, back = { 0 };
	struct ledger_owner self;
	struct ledger_entry *e;
	char *err = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ledger.json", dir);
	ck_assert_int_eq(ledger_owner_self(&self), 0);
	e = ledger_add(&l, "8a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11", "6GB", BACKEND_DEVDAX, "ns0", 1);
	ck_assert_int_eq(ledger_proven_empty(e), 0);
	ck_assert_int_eq(ledger_reserve(e, A), 0);
	ck_assert_int_eq(ledger_begin_erase(e, &self, A), 0);
	ck_assert_int_eq(ledger_save(path, &l), 0);
	ck_assert_int_eq(ledger_load(path, &back, &err), 0);
	e = &back.entries[0];
	ck_assert_int_eq(e->state, BACKING_ERASING);
	ck_assert(e->has_owner);
	ck_assert_int_eq(e->owner.pid, self.pid);
	ck_assert_str_eq(e->owner.boot_id, self.boot_id);
	ck_assert_int_eq(ledger_finish_erase(e, &self, true, NULL), 0);
	ledger_clear(&back);
	ledger_clear(&l);
	unlink(path);
	rmdir(dir);
}
END_TEST

Suite *host_suite(void)
{
	Suite *s = suite_create("host");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_nova_syntax);
	tcase_add_test(tc, test_nova_errors);
	tcase_add_test(tc, test_normalise);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_layout_errors);
	tcase_add_test(tc, test_placement_section);
	tcase_add_test(tc, test_guest_size);
	tcase_add_test(tc, test_guest_size_pseries);
	tcase_add_test(tc, test_guest_size_cxl);
	tcase_add_test(tc, test_output_pseries);
	tcase_add_test(tc, test_output);
	tcase_add_test(tc, test_output_xml_parsed);
	tcase_add_test(tc, test_ledger_roundtrip);
	tcase_add_test(tc, test_ledger_transitions);
	tcase_add_test(tc, test_ledger_owner_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
