/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_CXL_LABEL_H
#define VPMEM_CXL_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A CXL memory device's label storage area (LSA), as the kernel's
 * drivers/nvdimm/label.c writes it for the nvdimm that stands for the
 * device: two namespace index blocks (the current one has a valid checksum
 * and the newer sequence number), then label slots; a slot the index does
 * not mark free holds a label. Kernels 6.1 to 6.12 write UEFI 2.7 namespace
 * labels there (v1.1 or v1.2), as on an NVDIMM: the CXL label format's
 * accessors exist but nothing turns them on, and no region label is written.
 * An interleave set is known by its labels: nlabel (the ways), position and
 * the isetcookie, which the kernel computes from each member's DPA and serial
 * number in position order (cxl_iset_cookie()). Nothing here reads a device.
 */

enum cxl_lsa_state {
	CXL_LSA_BLANK,   /* every byte zero: nothing was ever written */
	CXL_LSA_EMPTY,   /* a valid index with no label in use */
	CXL_LSA_LABELS,  /* a valid index and namespace labels */
	CXL_LSA_UNKNOWN, /* bytes that are none of the above: reason says what */
};

struct cxl_ns_label {
	uint8_t uuid[16];        /* the namespace's */
	char name[65];
	uint32_t flags;
	uint16_t nlabel;         /* the interleave ways of its set */
	uint16_t position;       /* this device's place in the set */
	uint64_t isetcookie;
	uint64_t dpa;            /* where on the device the namespace's share starts */
	uint64_t rawsize;        /* and its size there */
	uint32_t slot;
};

#define CXL_LSA_MAX_LABELS 1024

struct cxl_lsa {
	enum cxl_lsa_state state;
	char reason[160];        /* CXL_LSA_UNKNOWN: why */
	struct cxl_ns_label *labels;
	size_t n_labels;
};

/* The index block's signature, NUL included. */
#define CXL_LSA_INDEX_SIG "NAMESPACE_INDEX"

/* Fletcher-64 over 32-bit little-endian words, as the label format uses (len a multiple of 4). */
uint64_t cxl_lsa_fletcher64(const void *buf, size_t len);

/*
 * Parse size bytes of an LSA. Returns 0 with *ret filled (any state), or
 * -ENOMEM. Conservative: an index that marks a slot in use whose label is
 * not a valid namespace label (its slot number, its checksum in v1.2) makes
 * the whole area CXL_LSA_UNKNOWN, never a partial list.
 */
int cxl_lsa_parse(const void *buf, size_t size, struct cxl_lsa *ret);

void cxl_lsa_clear(struct cxl_lsa *lsa);

/* One member of an interleave set, in position order: where its share starts (DPA) and its serial number. */
struct cxl_iset_member {
	uint64_t dpa;
	uint64_t serial;
};

/* The isetcookie the kernel gives a CXL pmem region of these members (drivers/cxl/pmem.c). */
uint64_t cxl_iset_cookie(const struct cxl_iset_member *members, size_t n);

/* "8-4-4-4-12" of a 16-byte UUID as the label stores it; buf holds 37 bytes. */
void cxl_label_uuid_format(const uint8_t uuid[16], char buf[37]);

#endif
