// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CXL region planner (cxl-plan.h): labels first, then the policy's
 * entries, then the default. Every refusal names the device and the reason.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cxl-plan.h"
#include "size.h"

static bool parse_serial(const char *spec, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!spec[0] || spec[0] == '-' || spec[0] == '+' || spec[0] == ' ')
		return false;
	errno = 0;
	v = strtoull(spec, &end, 0);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

static bool parse_memdev_name(const char *spec, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (strncmp(spec, "mem", 3) != 0 || spec[3] < '0' || spec[3] > '9' || (spec[3] == '0' && spec[4]))
		return false;
	errno = 0;
	v = strtoul(spec + 3, &end, 10);
	if (errno || *end || v > 65535)
		return false;
	*ret = (unsigned)v;
	return true;
}

bool cxl_memdev_spec_valid(const char *spec)
{
	unsigned id;
	uint64_t serial;

	return parse_memdev_name(spec, &id) || parse_serial(spec, &serial);
}

bool cxl_memdev_matches(const struct cxl_memdev_facts *m, const char *spec)
{
	unsigned id;
	uint64_t serial;

	if (parse_memdev_name(spec, &id))
		return strcmp(m->devname, spec) == 0;
	return parse_serial(spec, &serial) && serial == m->serial;
}

const char *cxl_assembly_source_name(enum cxl_assembly_source s)
{
	switch (s) {
	case CXL_FROM_LABELS:
		return "labels";
	case CXL_FROM_POLICY:
		return "policy";
	case CXL_FROM_DEFAULT:
		return "default";
	}
	return "?";
}

static int refuse(struct cxl_plan *plan, enum apply_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(struct cxl_plan *plan, enum apply_reason reason, const char *fmt, ...)
{
	enum apply_reason *reasons;
	char **n;
	va_list ap;
	int r;

	n = realloc(plan->refusals, (plan->n_refusals + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	plan->refusals = n;
	reasons = realloc(plan->refusal_reasons, (plan->n_refusals + 1) * sizeof(*reasons));
	if (!reasons)
		return -ENOMEM;
	plan->refusal_reasons = reasons;
	reasons[plan->n_refusals] = reason;
	va_start(ap, fmt);
	r = vasprintf(&n[plan->n_refusals], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	plan->n_refusals++;
	return 0;
}

static int add_assembly(struct cxl_plan *plan, const struct cxl_assembly *a)
{
	struct cxl_assembly *n = realloc(plan->assemblies, (plan->n_assemblies + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	plan->assemblies = n;
	n[plan->n_assemblies++] = *a;
	return 0;
}

/* "mem0 (serial 0x1)" */
static const char *who(const struct cxl_memdev_facts *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s (serial %#llx)", m->devname, (unsigned long long)m->serial);
	return buf;
}

void cxl_assembly_describe(const struct cxl_memdev_facts *m, const struct cxl_assembly *a, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < a->ways && off < len; i++) {
		char w[64];
		int k = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", who(&m[a->members[i]], w, sizeof(w)));

		if (k < 0)
			break;
		off += (size_t)k;
	}
}

/* The share every member can give: the smallest persistent capacity, in whole 256 MiB. */
static uint64_t member_size(const struct cxl_memdev_facts *m, const size_t *members, size_t ways)
{
	uint64_t size = UINT64_MAX;

	for (size_t i = 0; i < ways; i++)
		if (m[members[i]].pmem_size < size)
			size = m[members[i]].pmem_size;
	return size / CXL_REGION_ALIGN * CXL_REGION_ALIGN;
}

static bool ways_valid(size_t ways)
{
	/* CXL 2.0 8.2.5.12.7: 1, 2, 4, 8, 16 and 3, 6, 12 */
	return ways == 1 || ways == 2 || ways == 3 || ways == 4 || ways == 6 || ways == 8 || ways == 12 ||
	       ways == 16;
}

/* The policy entry that names device i, or -1. */
static int entry_naming(const struct cxl_memdev_facts *m, const struct cxl_policy *policy, size_t i)
{
	for (size_t e = 0; e < policy->n_entries; e++)
		for (size_t k = 0; k < policy->entries[e].n_memdevs; k++)
			if (cxl_memdev_matches(&m[i], policy->entries[e].memdevs[k]))
				return (int)e;
	return -1;
}

/*
 * The set device first's labels record: its members in position order, from
 * the devices whose labels carry the same cookie and ways. Returns 0 with the
 * assembly filled, 1 when refused (message added), or -ENOMEM. Marks every
 * device it looked at as done.
 */
static int plan_label_set(const struct cxl_memdev_facts *m, size_t n, size_t first, const struct cxl_policy *policy,
			  bool *done, struct cxl_plan *plan, struct cxl_assembly *a)
{
	const struct cxl_ns_label *l0 = &m[first].lsa.labels[0];
	uint64_t cookie = l0->isetcookie;
	size_t ways = l0->nlabel, found = 0;
	ssize_t pos[CXL_MAX_WAYS];
	struct cxl_iset_member iset[CXL_MAX_WAYS];
	char w[64], w2[64];
	int e;

	if (ways > CXL_MAX_WAYS)
		return refuse(plan, APPLY_REFUSED_DEVICE, "%s: its labels are of a %zu-way interleave set, more than CXL has: data this agent "
			      "cannot account for; left as it is", who(&m[first], w, sizeof(w)), ways) ?: 1;
	for (size_t p = 0; p < ways; p++)
		pos[p] = -1;
	for (size_t i = 0; i < n; i++) {
		const struct cxl_ns_label *l;

		if (done[i] || m[i].lsa.state != CXL_LSA_LABELS)
			continue;
		l = &m[i].lsa.labels[0];
		if (l->isetcookie != cookie || l->nlabel != ways)
			continue;
		done[i] = true;
		if (pos[l->position] >= 0)
			return refuse(plan, APPLY_REFUSED_CONFLICT, "%s and %s: the labels of both say position %u of one interleave set; left "
				      "as they are", who(&m[pos[l->position]], w, sizeof(w)), who(&m[i], w2, sizeof(w2)),
				      l->position) ?: 1;
		pos[l->position] = (ssize_t)i;
		found++;
	}
	if (found != ways) {
		for (size_t p = 0; p < ways; p++)
			if (pos[p] < 0)
				return refuse(plan, APPLY_REFUSED_DEVICE, "%s: its labels are position %u of a %zu-way interleave set whose "
					      "position %zu is not here: assembled without it, its namespaces would "
					      "read wrong data; left as it is (the missing device back, it is assembled)",
					      who(&m[first], w, sizeof(w)), l0->position, ways, p) ?: 1;
	}
	for (size_t p = 0; p < ways; p++) {
		a->members[p] = (size_t)pos[p];
		iset[p].dpa = m[pos[p]].pmem_base;
		iset[p].serial = m[pos[p]].serial;
	}
	a->ways = ways;
	/* the kernel accepts the labels only for the same members, in that order, at these addresses */
	if (cxl_iset_cookie(iset, ways) != cookie)
		return refuse(plan, APPLY_REFUSED_CONFLICT, "%s: its labels belong to an interleave set of %zu device(s) at other device "
			      "addresses or of other devices (cookie %#llx, these give %#llx): data this agent cannot "
			      "account for; left as it is", who(&m[first], w, sizeof(w)), ways,
			      (unsigned long long)cookie, (unsigned long long)cxl_iset_cookie(iset, ways)) ?: 1;
	a->member_size = member_size(m, a->members, ways);
	for (size_t p = 0; p < ways; p++) {
		const struct cxl_memdev_facts *d = &m[a->members[p]];

		for (size_t k = 0; k < d->lsa.n_labels; k++) {
			const struct cxl_ns_label *l = &d->lsa.labels[k];

			if (l->dpa < d->pmem_base || l->dpa - d->pmem_base + l->rawsize > a->member_size)
				return refuse(plan, APPLY_REFUSED_DEVICE, "%s: a namespace label lies outside the %s its region can have "
					      "there; left as it is", who(d, w, sizeof(w)),
					      size_format_human(a->member_size, w2, sizeof(w2))) ?: 1;
		}
	}
	/* a policy entry naming any member must name this set, in this order */
	a->granularity = 0;
	a->entry = -1;
	for (size_t p = 0; p < ways; p++) {
		const struct cxl_policy_entry *pe;
		bool same;

		e = entry_naming(m, policy, a->members[p]);
		if (e < 0)
			continue;
		pe = &policy->entries[e];
		same = pe->n_memdevs == ways;
		for (size_t k = 0; same && k < ways; k++)
			same = cxl_memdev_matches(&m[a->members[k]], pe->memdevs[k]);
		if (!same)
			return refuse(plan, APPLY_REFUSED_CONFLICT, "%s: the policy's \"cxl\" entry %d asks for another interleave set than the "
				      "%zu-way one its labels hold namespaces of: left as it is (the namespaces, and "
				      "their data, are there only in that set)", who(&m[a->members[p]], w, sizeof(w)), e,
				      ways) ?: 1;
		a->granularity = pe->granularity;
		a->entry = e;
	}
	a->source = CXL_FROM_LABELS;
	a->prove_empty = false;
	return 0;
}

static uint64_t smallest_serial(const struct cxl_memdev_facts *m, const struct cxl_assembly *a)
{
	uint64_t s = UINT64_MAX;

	for (size_t i = 0; i < a->ways; i++)
		if (m[a->members[i]].serial < s)
			s = m[a->members[i]].serial;
	return s;
}

static bool assembly_before(const struct cxl_memdev_facts *m, const struct cxl_assembly *a,
			    const struct cxl_assembly *b)
{
	long ea = a->entry < 0 ? (long)INT32_MAX + 1 : a->entry, eb = b->entry < 0 ? (long)INT32_MAX + 1 : b->entry;

	if (ea != eb)
		return ea < eb;
	return smallest_serial(m, a) < smallest_serial(m, b);
}

int cxl_plan_build(const struct cxl_memdev_facts *m, size_t n, const struct cxl_policy *policy, struct cxl_plan *ret)
{
	_cleanup_free_ bool *done = calloc(n ? n : 1, sizeof(bool));
	struct cxl_plan plan = { 0 };
	char w[64];
	int r = 0;

	if (!done)
		return -ENOMEM;

	/* what is assembled already, or cannot be read or accounted for, is left as it is */
	for (size_t i = 0; i < n && r >= 0; i++) {
		if (m[i].pmem_size == 0) {
			done[i] = true;
		} else if (m[i].busy[0]) {
			done[i] = true;
		} else if (!m[i].lsa_read) {
			done[i] = true;
			r = refuse(&plan, APPLY_REFUSED_DEVICE, "%s: cannot read its label storage area (%s): what it holds is unknown; left "
				   "as it is", who(&m[i], w, sizeof(w)), m[i].lsa_error);
		} else if (m[i].lsa.state == CXL_LSA_UNKNOWN) {
			done[i] = true;
			r = refuse(&plan, APPLY_REFUSED_DATA, "%s: its label storage area holds what is no label set the kernel wrote (%s): "
				   "data this agent cannot account for; left as it is (\"ndctl zero-labels\" on its nmem "
				   "destroys it)", who(&m[i], w, sizeof(w)), m[i].lsa.reason);
		} else if (m[i].lsa.state == CXL_LSA_LABELS) {
			const struct cxl_ns_label *l0 = &m[i].lsa.labels[0];

			for (size_t k = 1; k < m[i].lsa.n_labels; k++) {
				const struct cxl_ns_label *l = &m[i].lsa.labels[k];

				if (l->isetcookie != l0->isetcookie || l->nlabel != l0->nlabel ||
				    l->position != l0->position) {
					done[i] = true;
					r = refuse(&plan, APPLY_REFUSED_CONFLICT, "%s: its labels are of more than one interleave set: assemble "
						   "its regions by hand (cxl create-region); left as it is",
						   who(&m[i], w, sizeof(w)));
					break;
				}
			}
		}
	}

	/* 1. the sets the labels record */
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct cxl_assembly a = { 0 };
		int q;

		if (done[i] || m[i].lsa.state != CXL_LSA_LABELS)
			continue;
		q = plan_label_set(m, n, i, policy, done, &plan, &a);
		if (q < 0)
			r = q;
		else if (q == 0)
			r = add_assembly(&plan, &a);
	}

	/* 2. the policy's entries, on devices without labels */
	for (size_t e = 0; e < policy->n_entries && r >= 0; e++) {
		const struct cxl_policy_entry *pe = &policy->entries[e];
		struct cxl_assembly a = { .granularity = pe->granularity, .source = CXL_FROM_POLICY, .entry = (int)e };
		const char *problem = NULL;
		size_t missing = 0;

		if (!ways_valid(pe->n_memdevs)) {
			r = refuse(&plan, APPLY_REFUSED_CONFLICT, "the policy's \"cxl\" entry %zu has %zu devices: CXL interleaves 1, 2, 3, 4, "
				   "6, 8, 12 or 16", e, pe->n_memdevs);
			continue;
		}
		for (size_t k = 0; k < pe->n_memdevs && !problem; k++) {
			size_t found = n;

			for (size_t i = 0; i < n; i++)
				if (cxl_memdev_matches(&m[i], pe->memdevs[k]))
					found = i;
			if (found == n) {
				missing++;
				continue;
			}
			a.members[k] = found;
			for (size_t j = 0; j < k; j++)
				if (a.members[j] == found)
					problem = "names one device twice";
		}
		if (problem) {
			r = refuse(&plan, APPLY_REFUSED_CONFLICT, "the policy's \"cxl\" entry %zu %s", e, problem);
			continue;
		}
		if (missing) {
			/* not an error: a hot-plugged device may come later, and the agent runs again then */
			continue;
		}
		a.ways = pe->n_memdevs;
		for (size_t k = 0; k < a.ways; k++)
			if (done[a.members[k]])
				problem = "busy";
		if (problem) {
			/* assembled already, refused, or in a labelled set (said there), or in an earlier entry's */
			for (size_t k = 0; k < a.ways && r >= 0; k++) {
				if (!done[a.members[k]] || m[a.members[k]].busy[0] || !m[a.members[k]].lsa_read ||
				    m[a.members[k]].lsa.state == CXL_LSA_UNKNOWN || m[a.members[k]].lsa.state == CXL_LSA_LABELS)
					continue;
				r = refuse(&plan, APPLY_REFUSED_CONFLICT, "the policy's \"cxl\" entry %zu: %s is in an earlier entry's region: "
					   "name each device once", e, who(&m[a.members[k]], w, sizeof(w)));
			}
			for (size_t k = 0; k < a.ways; k++)
				done[a.members[k]] = true;
			continue;
		}
		a.member_size = member_size(m, a.members, a.ways);
		for (size_t k = 0; k < a.ways; k++) {
			done[a.members[k]] = true;
			a.prove_empty |= m[a.members[k]].lsa.state == CXL_LSA_BLANK;
		}
		if (a.member_size == 0) {
			r = refuse(&plan, APPLY_REFUSED_CAPACITY, "the policy's \"cxl\" entry %zu: a device has less than 256 MiB of persistent "
				   "capacity, the least a CXL region maps", e);
			continue;
		}
		r = add_assembly(&plan, &a);
	}

	/* 3. without a "cxl" key: one region per device */
	for (size_t i = 0; i < n && r >= 0 && !policy->given; i++) {
		struct cxl_assembly a = { .members = { i }, .ways = 1, .source = CXL_FROM_DEFAULT, .entry = -1 };

		if (done[i])
			continue;
		done[i] = true;
		a.member_size = member_size(m, a.members, 1);
		a.prove_empty = m[i].lsa.state == CXL_LSA_BLANK;
		if (a.member_size == 0) {
			r = refuse(&plan, APPLY_REFUSED_CAPACITY, "%s: less than 256 MiB of persistent capacity, the least a CXL region maps; "
				   "left as it is", who(&m[i], w, sizeof(w)));
			continue;
		}
		r = add_assembly(&plan, &a);
	}

	if (r < 0) {
		cxl_plan_clear(&plan);
		return r;
	}
	/* the same order at every boot (insertion sort: a handful of regions) */
	for (size_t i = 1; i < plan.n_assemblies; i++) {
		struct cxl_assembly a = plan.assemblies[i];
		size_t j = i;

		while (j > 0 && assembly_before(m, &a, &plan.assemblies[j - 1])) {
			plan.assemblies[j] = plan.assemblies[j - 1];
			j--;
		}
		plan.assemblies[j] = a;
	}
	*ret = plan;
	return 0;
}

void cxl_plan_clear(struct cxl_plan *plan)
{
	for (size_t i = 0; i < plan->n_refusals; i++)
		free(plan->refusals[i]);
	free(plan->refusals);
	free(plan->refusal_reasons);
	free(plan->assemblies);
	memset(plan, 0, sizeof(*plan));
}

void cxl_policy_clear(struct cxl_policy *p)
{
	for (size_t e = 0; e < p->n_entries; e++) {
		for (size_t k = 0; k < p->entries[e].n_memdevs; k++)
			free(p->entries[e].memdevs[k]);
		free(p->entries[e].memdevs);
	}
	free(p->entries);
	memset(p, 0, sizeof(*p));
}
