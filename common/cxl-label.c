// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The label storage area of a CXL memory device, parsed to account for what
 * it holds before the agent assembles a region on the device (cxl-label.h).
 * Written from the UEFI 2.7 label format and the kernel's validation of it
 * (drivers/nvdimm/label.c), read-only and stricter: whatever is not plainly
 * a label set the kernel wrote is "unknown", and unknown is data.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cxl-label.h"

/* struct nd_namespace_index, UEFI 2.7 */
#define IDX_SIG 0
#define IDX_LABELSIZE 19
#define IDX_SEQ 20
#define IDX_MYOFF 24
#define IDX_MYSIZE 32
#define IDX_OTHEROFF 40
#define IDX_LABELOFF 48
#define IDX_NSLOT 56
#define IDX_MAJOR 60
#define IDX_MINOR 62
#define IDX_CHECKSUM 64
#define IDX_FREE 72
#define IDX_ALIGN 256

/* struct nvdimm_efi_label */
#define LBL_UUID 0
#define LBL_NAME 16
#define LBL_FLAGS 80
#define LBL_NLABEL 84
#define LBL_POSITION 86
#define LBL_ISETCOOKIE 88
#define LBL_DPA 104
#define LBL_RAWSIZE 112
#define LBL_SLOT 120
#define LBL_CHECKSUM 248

#define SEQ_MASK 3

static uint64_t get_le(const uint8_t *p, size_t bytes)
{
	uint64_t v = 0;

	for (size_t i = bytes; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* Fletcher-64 of len bytes at p whose 8-byte checksum field at sum_at (SIZE_MAX: none) counts as zero. */
static uint64_t checksum_without(const uint8_t *p, size_t len, size_t sum_at)
{
	uint32_t lo = 0;
	uint64_t hi = 0;

	for (size_t i = 0; i + 4 <= len; i += 4) {
		lo += sum_at != SIZE_MAX && i >= sum_at && i < sum_at + 8 ? 0 : (uint32_t)get_le(p + i, 4);
		hi += lo;
	}
	return hi << 32 | lo;
}

uint64_t cxl_lsa_fletcher64(const void *buf, size_t len)
{
	return checksum_without(buf, len, SIZE_MAX);
}

uint64_t cxl_iset_cookie(const struct cxl_iset_member *members, size_t n)
{
	uint32_t lo = 0;
	uint64_t hi = 0;

	/* the kernel sums its array of { u64 offset; u64 serial; } as 32-bit words, low word first */
	for (size_t i = 0; i < n; i++) {
		uint32_t words[4] = {
			(uint32_t)members[i].dpa,
			(uint32_t)(members[i].dpa >> 32),
			(uint32_t)members[i].serial,
			(uint32_t)(members[i].serial >> 32),
		};

		for (size_t w = 0; w < 4; w++) {
			lo += words[w];
			hi += lo;
		}
	}
	return hi << 32 | lo;
}

void cxl_label_uuid_format(const uint8_t u[16], char buf[37])
{
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
		 u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

struct index_facts {
	size_t off;
	uint32_t seq;
	size_t labelsize;
	size_t labeloff;
	uint32_t nslot;
};

/* The size of an index block for an area of size bytes and labels of labelsize (sizeof_namespace_index()). */
static size_t index_size_for(size_t size, size_t labelsize)
{
	size_t n = (IDX_FREE + (size / labelsize + 7) / 8 + IDX_ALIGN - 1) / IDX_ALIGN * IDX_ALIGN;
	size_t nslot = size > 2 * n ? (size - 2 * n) / labelsize : 0;

	return (IDX_FREE + (nslot + 7) / 8 + IDX_ALIGN - 1) / IDX_ALIGN * IDX_ALIGN;
}

/* Is the index block at off, number i, valid as the kernel checks it (and within size)? */
static bool index_valid(const uint8_t *lsa, size_t size, size_t off, unsigned i, struct index_facts *f)
{
	const uint8_t *idx = lsa + off;
	uint64_t mysize, version;

	if (off + IDX_ALIGN > size)
		return false;
	mysize = get_le(idx + IDX_MYSIZE, 8);
	if (memcmp(idx + IDX_SIG, CXL_LSA_INDEX_SIG, sizeof(CXL_LSA_INDEX_SIG)) != 0)
		return false;
	if (mysize < IDX_ALIGN || mysize % IDX_ALIGN || mysize > size / 2 || off != i * mysize)
		return false;
	version = get_le(idx + IDX_MAJOR, 2) * 100 + get_le(idx + IDX_MINOR, 2);
	if (version == 101)
		f->labelsize = 128;
	else if (version == 102 && idx[IDX_LABELSIZE] <= 1)
		f->labelsize = (size_t)128 << idx[IDX_LABELSIZE];
	else
		return false;
	if (checksum_without(idx, mysize, IDX_CHECKSUM) != get_le(idx + IDX_CHECKSUM, 8))
		return false;
	f->seq = (uint32_t)get_le(idx + IDX_SEQ, 4);
	if ((f->seq & SEQ_MASK) == 0)
		return false;
	if (get_le(idx + IDX_MYOFF, 8) != i * mysize || get_le(idx + IDX_OTHEROFF, 8) != (i ? 0 : mysize) ||
	    get_le(idx + IDX_LABELOFF, 8) != 2 * mysize)
		return false;
	f->nslot = (uint32_t)get_le(idx + IDX_NSLOT, 4);
	f->labeloff = 2 * mysize;
	f->off = off;
	/* the free bitmap fits the block, the slots fit the area */
	if (IDX_FREE + (f->nslot + 7) / 8 > mysize || f->nslot < 2 ||
	    (uint64_t)f->nslot * f->labelsize > size - f->labeloff)
		return false;
	return true;
}

static uint32_t seq_next(uint32_t seq)
{
	static const uint32_t next[] = { 0, 2, 3, 1 };

	return next[seq & SEQ_MASK];
}

/* Of two valid indexes, the current one (the kernel's best_seq()). */
static unsigned current_index(const struct index_facts f[2])
{
	uint32_t a = f[0].seq & SEQ_MASK, b = f[1].seq & SEQ_MASK;

	if (a == b || seq_next(a) == b)
		return 1;
	return 0;
}

static void unknown(struct cxl_lsa *ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void unknown(struct cxl_lsa *ret, const char *fmt, ...)
{
	va_list ap;

	ret->state = CXL_LSA_UNKNOWN;
	va_start(ap, fmt);
	vsnprintf(ret->reason, sizeof(ret->reason), fmt, ap);
	va_end(ap);
}

int cxl_lsa_parse(const void *buf, size_t size, struct cxl_lsa *ret)
{
	const uint8_t *lsa = buf;
	struct index_facts f[2] = { 0 };
	bool valid[2];
	size_t nonzero = 0;
	const struct index_facts *cur;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < size; i++)
		nonzero += lsa[i] != 0;
	if (nonzero == 0) {
		ret->state = CXL_LSA_BLANK;
		return 0;
	}
	valid[0] = index_valid(lsa, size, 0, 0, &f[0]);
	/* the second block follows the first, whose size depends on the label size */
	valid[1] = index_valid(lsa, size, index_size_for(size, 256), 1, &f[1]) ||
		   index_valid(lsa, size, index_size_for(size, 128), 1, &f[1]);
	if (valid[0] && valid[1] && (f[0].labelsize != f[1].labelsize || f[0].nslot != f[1].nslot))
		valid[1] = false;
	if (!valid[0] && !valid[1]) {
		unknown(ret, "%zu of its %zu bytes are not zero, and it has no valid namespace index", nonzero, size);
		return 0;
	}
	cur = valid[0] && valid[1] ? &f[current_index(f)] : valid[0] ? &f[0] : &f[1];

	for (uint32_t slot = 0; slot < cur->nslot; slot++) {
		const uint8_t *l = lsa + cur->labeloff + (size_t)slot * cur->labelsize;
		struct cxl_ns_label *nl;

		/* a set bit is a free slot */
		if (lsa[cur->off + IDX_FREE + slot / 8] & (1u << (slot % 8)))
			continue;
		if (get_le(l + LBL_SLOT, 4) != slot) {
			unknown(ret, "slot %u is in use but holds the label of slot %llu", slot,
				(unsigned long long)get_le(l + LBL_SLOT, 4));
			goto fail;
		}
		if (cur->labelsize == 256 && checksum_without(l, 256, LBL_CHECKSUM) != get_le(l + LBL_CHECKSUM, 8)) {
			unknown(ret, "the label in slot %u has a bad checksum", slot);
			goto fail;
		}
		if (ret->n_labels == CXL_LSA_MAX_LABELS) {
			unknown(ret, "more than %d labels in use", CXL_LSA_MAX_LABELS);
			goto fail;
		}
		if (!ret->labels) {
			ret->labels = calloc(cur->nslot < CXL_LSA_MAX_LABELS ? cur->nslot : CXL_LSA_MAX_LABELS,
					     sizeof(*ret->labels));
			if (!ret->labels)
				return -ENOMEM;
		}
		nl = &ret->labels[ret->n_labels++];
		memcpy(nl->uuid, l + LBL_UUID, 16);
		memcpy(nl->name, l + LBL_NAME, 64);
		nl->name[64] = '\0';
		nl->flags = (uint32_t)get_le(l + LBL_FLAGS, 4);
		nl->nlabel = (uint16_t)get_le(l + LBL_NLABEL, 2);
		nl->position = (uint16_t)get_le(l + LBL_POSITION, 2);
		nl->isetcookie = get_le(l + LBL_ISETCOOKIE, 8);
		nl->dpa = get_le(l + LBL_DPA, 8);
		nl->rawsize = get_le(l + LBL_RAWSIZE, 8);
		nl->slot = slot;
		if (nl->nlabel == 0 || nl->position >= nl->nlabel) {
			unknown(ret, "the label in slot %u says position %u of a set of %u", slot, nl->position,
				nl->nlabel);
			goto fail;
		}
	}
	ret->state = ret->n_labels ? CXL_LSA_LABELS : CXL_LSA_EMPTY;
	return 0;
fail:
	free(ret->labels);
	ret->labels = NULL;
	ret->n_labels = 0;
	return 0;
}

void cxl_lsa_clear(struct cxl_lsa *lsa)
{
	free(lsa->labels);
	memset(lsa, 0, sizeof(*lsa));
}
