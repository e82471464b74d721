// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-host attach and detach: a backing into a libvirt domain's definition
 * (and into the running guest, as an NVDIMM hotplug), and out of the
 * definition again, through libvirt's C API. The domain's UUID is the
 * consumer. Erasing stays release's job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "cleanup-libs.h"
#include "host.h"
#include "log.h"
#include "output.h"
#include "size.h"

/* A domain's XML, parsed. */
struct domain_xml {
	xmlDocPtr doc;
	xmlXPathContextPtr xpath;
};

static void xml_freep(xmlChar **p)
{
	xmlFree(*p);
}

static void domain_xml_clear(struct domain_xml *d)
{
	if (d->xpath)
		xmlXPathFreeContext(d->xpath);
	if (d->doc)
		xmlFreeDoc(d->doc);
	*d = (struct domain_xml){ 0 };
}

/* libvirt's own message for the last error (its default handler is silenced) */
static const char *libvirt_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m ? m : "unknown libvirt error";
}

static void no_print(void *data, virErrorPtr err)
{
	(void)data;
	(void)err;
}

static int domain_xml_get(virDomainPtr dom, bool inactive, struct domain_xml *ret)
{
	_cleanup_free_ char *xml = virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);

	if (!xml) {
		log_error("cannot read the domain's %s definition: %s", inactive ? "persistent" : "live", libvirt_error());
		return -EIO;
	}
	ret->doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
				 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ret->xpath = ret->doc ? xmlXPathNewContext(ret->doc) : NULL;
	if (!ret->xpath) {
		log_error("libvirt returned a domain definition that is not XML");
		domain_xml_clear(ret);
		return -EINVAL;
	}
	return 0;
}

/* a number from an XPath expression; -1 when it is not there */
static double xpath_number(struct domain_xml *d, const char *expr)
{
	xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)expr, d->xpath);
	double v = -1;

	if (r && r->type == XPATH_NUMBER && r->floatval == r->floatval)
		v = r->floatval;
	xmlXPathFreeObject(r);
	return v;
}

/* a size element in KiB (libvirt's default unit), or 0 */
static uint64_t size_kib(xmlNodePtr node)
{
	_cleanup_(xml_freep) xmlChar *unit = node ? xmlGetProp(node, (const xmlChar *)"unit") : NULL;
	_cleanup_(xml_freep) xmlChar *text = node ? xmlNodeGetContent(node) : NULL;
	uint64_t v;

	if (!text || size_parse((const char *)text, &v) < 0)
		return 0;
	/* a bare number in a libvirt size is KiB; size_parse read it as bytes */
	if (!unit || !xmlStrcasecmp(unit, (const xmlChar *)"KiB") || !xmlStrcasecmp(unit, (const xmlChar *)"k"))
		return v;
	if (!xmlStrcasecmp(unit, (const xmlChar *)"MiB") || !xmlStrcasecmp(unit, (const xmlChar *)"M"))
		return v << 10;
	if (!xmlStrcasecmp(unit, (const xmlChar *)"GiB") || !xmlStrcasecmp(unit, (const xmlChar *)"G"))
		return v << 20;
	if (!xmlStrcasecmp(unit, (const xmlChar *)"bytes") || !xmlStrcasecmp(unit, (const xmlChar *)"b"))
		return v >> 10;
	return 0;
}

static xmlNodePtr xpath_node(struct domain_xml *d, const char *expr)
{
	xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)expr, d->xpath);
	xmlNodePtr n = NULL;

	if (r && r->type == XPATH_NODESET && r->nodesetval && r->nodesetval->nodeNr > 0)
		n = r->nodesetval->nodeTab[0];
	xmlXPathFreeObject(r);
	return n;
}

/* The domain's machine, from <os><type machine='pseries-7.2'>: its sizes are what the module must have */
static enum guest_machine domain_machine(struct domain_xml *d, enum guest_machine fallback)
{
	xmlNodePtr type = xpath_node(d, "/domain/os/type");
	_cleanup_(xml_freep) xmlChar *machine = type ? xmlGetProp(type, (const xmlChar *)"machine") : NULL;
	enum guest_machine m;

	return machine && guest_machine_parse((const char *)machine, &m) == 0 ? m : fallback;
}

/* The <memory model='nvdimm'> element whose source is path, or NULL. */
/* the domain's NVDIMM whose source leads to b (by its link, its device name, or the same device or file) */
static xmlNodePtr find_nvdimm(struct domain_xml *d, const struct backing *b)
{
	xmlXPathObjectPtr r = xmlXPathEvalExpression(
		(const xmlChar *)"/domain/devices/memory[@model='nvdimm']/source/path", d->xpath);
	xmlNodePtr found = NULL;

	for (int i = 0; r && r->type == XPATH_NODESET && r->nodesetval && i < r->nodesetval->nodeNr && !found; i++) {
		xmlNodePtr p = r->nodesetval->nodeTab[i];
		xmlChar *text = xmlNodeGetContent(p);

		if (text && backing_named_by(b, (const char *)text))
			found = p->parent->parent;
		xmlFree(text);
	}
	xmlXPathFreeObject(r);
	return found;
}

/*
 * What the domain lacks to take one more NVDIMM of target bytes on guest
 * node: each missing piece, said as the XML that would supply it. NULL when
 * nothing is missing.
 */
static char *domain_lacks(struct domain_xml *d, uint64_t target, unsigned node)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	double slots = xpath_number(d, "number(/domain/maxMemory/@slots)");
	double used = xpath_number(d, "count(/domain/devices/memory)");
	double cells = xpath_number(d, "count(/domain/cpu/numa/cell)");
	uint64_t max = size_kib(xpath_node(d, "/domain/maxMemory"));
	uint64_t memory = size_kib(xpath_node(d, "/domain/memory"));
	xmlXPathObjectPtr sizes;

	/* what cannot be examined is not taken as fine */
	if (!f)
		return strdup("it could not be examined (out of memory)");
	if (slots < 1) {
		fprintf(f, "; no <maxMemory slots='N' unit='KiB'>SIZE</maxMemory> (memory hotplug slots, which NVDIMMs use)");
	} else if (used >= slots) {
		fprintf(f, "; all %.0f slots of <maxMemory> are taken: raise slots", slots);
	} else {
		/* the modules there already, counted as libvirt does: every memory device's target size */
		sizes = xmlXPathEvalExpression((const xmlChar *)"/domain/devices/memory/target/size", d->xpath);
		for (int i = 0; sizes && sizes->nodesetval && i < sizes->nodesetval->nodeNr; i++)
			memory += size_kib(sizes->nodesetval->nodeTab[i]);
		xmlXPathFreeObject(sizes);
		if (memory + (target >> 10) > max)
			fprintf(f, "; <maxMemory> is %llu KiB, less than <memory> and the modules with this one, %llu KiB",
				(unsigned long long)max, (unsigned long long)(memory + (target >> 10)));
	}
	if (cells < 1)
		fprintf(f, "; no guest NUMA cell (<cpu><numa><cell id='0' cpus='...' memory='...'/></numa></cpu>)");
	if (cells >= 1 && (double)node >= cells)
		fprintf(f, "; no guest NUMA cell %u (--guest-node): it has %.0f", node, cells);
	fclose(f);
	if (!text || !*text)
		return NULL;
	return strdup(text + 2);
}

/* A domain, looked up by name, with both of its definitions read. */
struct domain {
	virConnectPtr conn;
	virDomainPtr dom;
	char uuid[VIR_UUID_STRING_BUFLEN];
	bool active;
	struct domain_xml persistent;
	struct domain_xml live; /* when active */
};

static void domain_close(struct domain *d)
{
	domain_xml_clear(&d->persistent);
	domain_xml_clear(&d->live);
	if (d->dom)
		virDomainFree(d->dom);
	if (d->conn)
		virConnectClose(d->conn);
}

static int domain_open(const char *uri, const char *name, struct domain *d)
{
	*d = (struct domain){ 0 };
	virSetErrorFunc(NULL, no_print);
	d->conn = virConnectOpen(uri);
	if (!d->conn) {
		log_error("cannot connect to libvirt%s%s: %s", uri ? " at " : "", uri ? uri : "", libvirt_error());
		return -EIO;
	}
	d->dom = virDomainLookupByName(d->conn, name);
	if (!d->dom) {
		log_error("libvirt has no domain %s: %s", name, libvirt_error());
		domain_close(d);
		return -ENOENT;
	}
	d->active = virDomainIsActive(d->dom) == 1;
	if (virDomainGetUUIDString(d->dom, d->uuid) < 0) {
		log_error("cannot read the UUID of domain %s: %s", name, libvirt_error());
		domain_close(d);
		return -EIO;
	}
	if (domain_xml_get(d->dom, true, &d->persistent) < 0 || (d->active && domain_xml_get(d->dom, false, &d->live) < 0)) {
		domain_close(d);
		return -EIO;
	}
	return 0;
}

static char *nvdimm_xml(const struct backing *b, unsigned node, enum guest_machine machine)
{
	struct vnvdimm d = { .id = "vpmem0", .path = b->link, .uuid = b->uuid, .real_pmem = b->kind == BACKEND_DEVDAX,
			     .guest_node = node, .machine = machine };
	char *xml = NULL;

	if (backing_guest_sizes(b, machine, &d.sizes) < 0 || libvirt_xml_format(&d, 1, &xml) < 0)
		return NULL;
	return xml;
}

struct attach_args {
	bool json;
	const char *label;
	long numa_node;
	long guest_node;
	struct placement_args placement;
	const char *domain;
	const char *connect;
};

static const struct host_option attach_options[] = {
	{ "json", NULL, option_flag, offsetof(struct attach_args, json), 0, 0 },
	{ "label", "LABEL", option_string, offsetof(struct attach_args, label), 0, 0 },
	{ "numa-node", "N", option_number, offsetof(struct attach_args, numa_node), 0, 65535 },
	{ "guest-node", "N", option_number, offsetof(struct attach_args, guest_node), 0, 255 },
	PLACEMENT_OPTIONS(struct attach_args, placement),
	{ "domain", "NAME", option_string, offsetof(struct attach_args, domain), 0, 0 },
	{ "connect", "URI", option_string, offsetof(struct attach_args, connect), 0, 0 },
	{},
};

static int attach(struct host *h, const struct attach_args *args, struct domain *d)
{
	_cleanup_free_ char *lacks = NULL, *xml = NULL, *why = NULL;
	const char *uuid = d->uuid;
	/* the domain says what it is (a machine vpmem does not know: this host's own kind) */
	enum guest_machine machine = domain_machine(&d->persistent, guest_machine_native());
	struct ledger_entry *e = NULL;
	struct backing *b = NULL;
	struct guest_sizes sz;
	bool in_config, in_live = false, live_possible = false;
	unsigned flags = 0;
	int r;

	r = host_open(h, true);
	if (r < 0)
		return r;
	/* a domain that cannot take the device gets no reservation (one it holds already: a retried attach) */
	if (!ledger_find_reserved(&h->ledger, uuid, args->label)) {
		uint64_t target = 0;

		for (size_t i = 0; i < h->set.n && !target; i++) {
			const struct backing *c = &h->set.items[i];

			if (c->present && strcmp(c->label, args->label) == 0 && backing_guest_sizes(c, machine, &sz) == 0)
				target = sz.target;
		}
		lacks = domain_lacks(&d->persistent, target, (unsigned)args->guest_node);
		if (lacks) {
			log_error("domain %s cannot take an NVDIMM: %s. Nothing was reserved.", args->domain, lacks);
			return -EOPNOTSUPP;
		}
	}
	r = host_reserve(h, &args->placement, args->label, uuid, (int)args->numa_node, &e);
	if (r < 0)
		return r;
	b = backings_find_uuid(&h->set, e->uuid);
	if (!b || !b->path) {
		log_error("%s (%s) reserved for %s has no usable device", e->name, e->uuid, args->domain);
		return -ENODEV;
	}
	/* the definition names it by a name that survives renumbering, checked with the kernel */
	r = backing_check_link(b, &why);
	if (r < 0) {
		log_error("%s (%s) reserved for %s: %s. It stays reserved for it: run attach again once that is "
			  "mended, or \"vpmem-host release --consumer %s\"",
			  e->name, e->uuid, args->domain, why ? why : "cannot be named", uuid);
		return host_failure(r);
	}
	if (!(xml = nvdimm_xml(b, (unsigned)args->guest_node, machine))) {
		log_error("%s (%s) reserved for %s has no usable device", e->name, e->uuid, args->domain);
		return -ENODEV;
	}

	in_config = find_nvdimm(&d->persistent, b) != NULL;
	if (d->active) {
		in_live = find_nvdimm(&d->live, b) != NULL;
		/* hotplug needs QEMU started with nvdimm=on, which libvirt sets when the domain had an NVDIMM */
		live_possible = xpath_number(&d->live, "count(/domain/devices/memory[@model='nvdimm'])") > 0;
	}
	if (!in_config)
		flags |= VIR_DOMAIN_AFFECT_CONFIG;
	if (d->active && !in_live && live_possible)
		flags |= VIR_DOMAIN_AFFECT_LIVE;
	if (flags && virDomainAttachDeviceFlags(d->dom, xml, flags) < 0) {
		log_error("libvirt did not attach %s to %s: %s. %s stays reserved for it: run attach again, or "
			  "\"vpmem-host release --consumer %s\"",
			  b->link, args->domain, libvirt_error(), e->name, uuid);
		return -EIO;
	}
	if (flags & VIR_DOMAIN_AFFECT_CONFIG)
		log_notice("%s: added %s (label %s) to the persistent definition", args->domain, b->link, e->label);
	if (flags & VIR_DOMAIN_AFFECT_LIVE)
		log_notice("%s: hot-plugged %s into the running guest", args->domain, b->link);
	if (d->active && !in_live && !live_possible)
		log_notice("%s is running without NVDIMMs (QEMU has no nvdimm=on): the guest gets %s at its next start",
			   args->domain, b->link);
	if (!flags)
		log_info("%s already has %s", args->domain, b->link);

	if (args->json) {
		_cleanup_json_ struct json_object *o = reservation_json(h, e, machine);

		json_object_object_add(o, "domain", json_object_new_string(args->domain));
		json_object_object_add(o, "in_definition", json_object_new_boolean(true));
		json_object_object_add(o, "in_running_guest",
				       json_object_new_boolean(in_live || (flags & VIR_DOMAIN_AFFECT_LIVE)));
		print_json(o);
	} else if (backing_guest_sizes(b, machine, &sz) == 0) {
		printf("%s\t%s\t%s\tguest %llu bytes\n", uuid, e->label, b->path, (unsigned long long)sz.guest);
	}
	return 0;
}

static int cmd_attach_run(struct host *h, int argc, char **argv)
{
	struct attach_args args = { .numa_node = -1 };
	struct domain d;
	int r;

	r = host_parse_options(h, &cmd_attach, argc, argv, &args);
	if (r <= 0)
		return r;
	if (!args.domain || !args.label) {
		log_error("attach needs --domain NAME and --label LABEL");
		return -EINVAL;
	}
	r = domain_open(args.connect, args.domain, &d);
	if (r < 0)
		return host_failure(r);
	r = attach(h, &args, &d);
	domain_close(&d);
	return r;
}

/* the element as XML text, to name it to libvirt */
static char *node_text(xmlDocPtr doc, xmlNodePtr node)
{
	xmlBufferPtr buf = xmlBufferCreate();
	char *s = NULL;

	if (buf && xmlNodeDump(buf, doc, node, 0, 0) >= 0)
		s = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return s;
}

struct detach_args {
	const char *label;
	const char *domain;
	const char *connect;
};

static const struct host_option detach_options[] = {
	{ "label", "LABEL", option_string, offsetof(struct detach_args, label), 0, 0 },
	{ "domain", "NAME", option_string, offsetof(struct detach_args, domain), 0, 0 },
	{ "connect", "URI", option_string, offsetof(struct detach_args, connect), 0, 0 },
	{},
};

static int detach(struct host *h, const struct detach_args *args, struct domain *d)
{
	const char *uuid = d->uuid;
	unsigned detached = 0, still_live = 0;
	int r;

	r = host_open(h, false);
	if (r < 0)
		return r;
	for (size_t i = 0; i < h->ledger.n; i++) {
		const struct ledger_entry *e = &h->ledger.entries[i];
		struct backing *b;
		xmlNodePtr node;
		_cleanup_free_ char *xml = NULL;

		if (!ledger_reserved_for(e, uuid) || (args->label && strcmp(e->label, args->label) != 0))
			continue;
		b = backings_find_uuid(&h->set, e->uuid);
		if (!b || !b->path)
			continue;
		if (d->active && find_nvdimm(&d->live, b)) {
			log_notice("%s: the running guest keeps %s until it stops (QEMU cannot unplug an NVDIMM); "
				   "release it only after that",
				   args->domain, b->path);
			still_live++;
		}
		node = find_nvdimm(&d->persistent, b);
		if (!node)
			continue;
		xml = node_text(d->persistent.doc, node);
		if (!xml)
			return log_error_errno(-ENOMEM, "libvirt did not remove %s from %s's definition: %m", b->path,
					       args->domain);
		if (virDomainDetachDeviceFlags(d->dom, xml, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
			log_error("libvirt did not remove %s from %s's definition: %s", b->path, args->domain,
				  libvirt_error());
			return -EIO;
		}
		log_notice("%s: removed %s (label %s) from the persistent definition; it stays reserved until "
			   "\"vpmem-host release --consumer %s\"",
			   args->domain, b->path, e->label, uuid);
		detached++;
	}
	if (!detached && !still_live)
		log_info("%s has no NVDIMM of vpmem-host's%s%s in its definition", args->domain,
			 args->label ? " with label " : "", args->label ? args->label : "");
	return 0;
}

static int cmd_detach_run(struct host *h, int argc, char **argv)
{
	struct detach_args args = { 0 };
	struct domain d;
	int r;

	r = host_parse_options(h, &cmd_detach, argc, argv, &args);
	if (r <= 0)
		return r;
	if (!args.domain) {
		log_error("detach needs --domain NAME");
		return -EINVAL;
	}
	r = domain_open(args.connect, args.domain, &d);
	if (r < 0)
		return host_failure(r);
	r = detach(h, &args, &d);
	domain_close(&d);
	return r;
}

void libvirt_sources_clear(struct libvirt_sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].domain);
		free(s->items[i].path);
	}
	free(s->items);
	*s = (struct libvirt_sources){ 0 };
}

/* add the memory devices' source paths of one definition */
static int sources_add(struct libvirt_sources *s, const char *domain, struct domain_xml *d)
{
	xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)"/domain/devices/memory/source/path", d->xpath);
	int ret = 0;

	for (int i = 0; r && r->type == XPATH_NODESET && r->nodesetval && i < r->nodesetval->nodeNr; i++) {
		_cleanup_(xml_freep) xmlChar *text = xmlNodeGetContent(r->nodesetval->nodeTab[i]);
		struct libvirt_source *grown, *src;

		if (!text || !*text)
			continue;
		grown = realloc(s->items, (s->n + 1) * sizeof(*s->items));
		if (!grown) {
			ret = -ENOMEM;
			break;
		}
		s->items = grown;
		src = &s->items[s->n];
		*src = (struct libvirt_source){ .domain = strdup(domain), .path = strdup((const char *)text) };
		if (!src->domain || !src->path) {
			free(src->domain);
			free(src->path);
			ret = -ENOMEM;
			break;
		}
		s->n++;
	}
	xmlXPathFreeObject(r);
	return ret;
}

int libvirt_sources_read(const char *uri, struct libvirt_sources *ret)
{
	virConnectPtr conn;
	virDomainPtr *doms = NULL;
	int n, r = 0;

	*ret = (struct libvirt_sources){ 0 };
	virSetErrorFunc(NULL, no_print);
	conn = virConnectOpen(uri);
	if (!conn) {
		log_error("cannot connect to libvirt%s%s: %s", uri ? " at " : "", uri ? uri : "", libvirt_error());
		return -EIO;
	}
	/* no flags: every domain, running or not, persistent or transient */
	n = virConnectListAllDomains(conn, &doms, 0);
	if (n < 0) {
		log_error("cannot list libvirt's domains: %s", libvirt_error());
		virConnectClose(conn);
		return -EIO;
	}
	for (int i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);
		struct domain_xml persistent = { 0 }, live = { 0 };
		bool active = virDomainIsActive(doms[i]) == 1;

		if (r == 0 && (domain_xml_get(doms[i], true, &persistent) < 0 ||
			       (active && domain_xml_get(doms[i], false, &live) < 0)))
			r = -EIO;
		if (r == 0)
			r = sources_add(ret, name ? name : "?", &persistent);
		if (r == 0 && active)
			r = sources_add(ret, name ? name : "?", &live);
		domain_xml_clear(&persistent);
		domain_xml_clear(&live);
		virDomainFree(doms[i]);
	}
	free(doms);
	virConnectClose(conn);
	if (r < 0)
		libvirt_sources_clear(ret);
	return r;
}

const char *libvirt_sources_naming(const struct libvirt_sources *s, const struct backing *b)
{
	for (size_t i = 0; i < s->n; i++)
		if (backing_named_by(b, s->items[i].path))
			return s->items[i].domain;
	return NULL;
}

const struct command cmd_attach = {
	"attach", cmd_attach_run, attach_options,
	"--domain NAME --label LABEL [--guest-node N] [--connect URI] [--json]",
	"Reserve a backing of LABEL for a libvirt domain (its UUID is the consumer), or find the\n"
	"one it holds, and add it as an NVDIMM to the domain's definition, and to the running\n"
	"guest too when it runs with NVDIMMs already (hotplug). The domain needs <maxMemory\n"
	"slots=...> and a guest NUMA cell; what it lacks is named and nothing is reserved.",
};

const struct command cmd_detach = {
	"detach", cmd_detach_run, detach_options,
	"--domain NAME [--label LABEL] [--connect URI]",
	"Remove the domain's vpmem-host NVDIMMs from its definition. A running guest keeps them\n"
	"until it stops (QEMU cannot unplug an NVDIMM). The backings stay reserved: \"release\"\n"
	"erases them, once the domain has stopped.",
};
