// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "cleanup.h"
#include "output.h"
#include "strutil.h"

static unsigned long long kib(uint64_t bytes)
{
	return (unsigned long long)(bytes >> 10);
}

/* pseries: QEMU refuses a module without a uuid; checked for all before anything is written */
static bool modules_complete(const struct vnvdimm *dimms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (dimms[i].machine == GUEST_MACHINE_PSERIES &&
		    (!dimms[i].uuid || !*dimms[i].uuid || strchr(dimms[i].uuid, ',')))
			return false;
	return true;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlTextWriterPtr, xmlFreeTextWriter)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlBufferPtr, xmlBufferFree)

/* <name unit='KiB'>bytes in KiB</name>; libxml2's result, negative on error */
static int write_size(xmlTextWriterPtr w, const char *name, uint64_t bytes)
{
	if (xmlTextWriterStartElement(w, BAD_CAST name) < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "unit", BAD_CAST "KiB") < 0 ||
	    xmlTextWriterWriteFormatString(w, "%llu", kib(bytes)) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

/* <name/>; libxml2's result, negative on error */
static int write_empty(xmlTextWriterPtr w, const char *name)
{
	if (xmlTextWriterStartElement(w, BAD_CAST name) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

/* One module's <memory> element, the shape Nova writes. 0, or -ENOMEM: the writer writes to memory. */
static int write_module(xmlTextWriterPtr w, const struct vnvdimm *d)
{
	/* pseries: the module has a uuid, and the label is mandatory (always written here) */
	bool with_uuid = d->machine == GUEST_MACHINE_PSERIES;

	if (xmlTextWriterStartElement(w, BAD_CAST "memory") < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "model", BAD_CAST "nvdimm") < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "access", BAD_CAST "shared") < 0 ||
	    (with_uuid && xmlTextWriterWriteElement(w, BAD_CAST "uuid", BAD_CAST d->uuid) < 0) ||
	    /* <source> */
	    xmlTextWriterStartElement(w, BAD_CAST "source") < 0 ||
	    xmlTextWriterWriteElement(w, BAD_CAST "path", BAD_CAST d->path) < 0 ||
	    write_size(w, "alignsize", d->sizes.align) < 0 || (d->real_pmem && write_empty(w, "pmem") < 0) ||
	    xmlTextWriterEndElement(w) < 0 ||
	    /* <target> */
	    xmlTextWriterStartElement(w, BAD_CAST "target") < 0 || write_size(w, "size", d->sizes.target) < 0 ||
	    xmlTextWriterWriteFormatElement(w, BAD_CAST "node", "%u", d->guest_node) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "label") < 0 || write_size(w, "size", d->sizes.label) < 0 ||
	    xmlTextWriterEndElement(w) < 0 || xmlTextWriterEndElement(w) < 0 ||
	    /* </memory> */
	    xmlTextWriterEndElement(w) < 0)
		return -ENOMEM;
	return 0;
}

int libvirt_xml_format(const struct vnvdimm *dimms, size_t n, char **ret)
{
	_cleanup_(xmlBufferFreep) xmlBufferPtr buf = NULL;
	_cleanup_(xmlFreeTextWriterp) xmlTextWriterPtr w = NULL;
	char *text;

	if (!modules_complete(dimms, n))
		return -EINVAL;
	buf = xmlBufferCreate();
	w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
	if (!w)
		return -ENOMEM;
	/*
	 * Indented by two, attributes in single quotes, as libvirt writes them
	 * (the writer does not escape ' in a value: ours are all constants).
	 * No XML declaration: the elements go inside a domain's <devices>.
	 */
	if (xmlTextWriterSetIndent(w, 1) < 0 || xmlTextWriterSetIndentString(w, BAD_CAST "  ") < 0 ||
	    xmlTextWriterSetQuoteChar(w, '\'') < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (write_module(w, &dimms[i]) < 0)
			return -ENOMEM;
	if (xmlTextWriterFlush(w) < 0)
		return -ENOMEM;
	text = strdup((const char *)xmlBufferContent(buf));
	if (!text)
		return -ENOMEM;
	*ret = text;
	return 0;
}

int libvirt_xml_write(FILE *out, FILE *notes, const struct vnvdimm *dimms, size_t n)
{
	_cleanup_free_ char *xml = NULL;
	uint64_t total = 0;
	int r;

	r = libvirt_xml_format(dimms, n, &xml);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		total += dimms[i].sizes.target;
	if (notes)
		fprintf(notes,
			"vpmem-host: %zu nvdimm module(s), %llu KiB in all. The domain also needs "
			"<maxMemory slots='N' unit='KiB'>M</maxMemory> with N >= %zu free slots and M >= memory + %llu, "
			"and a guest NUMA cell (<cpu><numa><cell id='0' .../></numa></cpu>) for each <node>%s.\n",
			n, kib(total), n, kib(total),
			n && dimms[0].machine == GUEST_MACHINE_PSERIES ? "; a pseries machine (<type machine='pseries'>)"
								      : "");
	fputs(xml, out);
	return ferror(out) ? -EIO : 0;
}

/* QEMU's option syntax: a comma inside a value is written twice */
static char *qemu_escape(const char *s)
{
	char *r = malloc(strlen(s) * 2 + 1), *p = r;

	if (!r)
		return NULL;
	for (; *s; s++) {
		*p++ = *s;
		if (*s == ',')
			*p++ = ',';
	}
	*p = '\0';
	return r;
}

char **qemu_args_for(const struct vnvdimm *d)
{
	_cleanup_free_ char *path = qemu_escape(d->path), *uuid = NULL;
	char **argv = calloc(5, sizeof(char *));

	if (!argv || !path) {
		free(argv);
		return NULL;
	}
	/* pseries: QEMU refuses an NVDIMM without a uuid */
	if (!modules_complete(d, 1) || (d->machine == GUEST_MACHINE_PSERIES && asprintf(&uuid, ",uuid=%s", d->uuid) < 0)) {
		free(argv);
		return NULL;
	}
	if (asprintf(&argv[0], "-object") < 0 ||
	    asprintf(&argv[1], "memory-backend-file,id=%s,share=on,mem-path=%s,size=%llu,align=%llu%s", d->id, path,
		     (unsigned long long)d->sizes.target, (unsigned long long)d->sizes.align,
		     d->real_pmem ? ",pmem=on" : "") < 0 ||
	    asprintf(&argv[2], "-device") < 0 ||
	    asprintf(&argv[3], "nvdimm,id=%s-dimm,memdev=%s,label-size=%llu,node=%u%s", d->id, d->id,
		     (unsigned long long)d->sizes.label, d->guest_node, uuid ? uuid : "") < 0) {
		strv_free(argv);
		return NULL;
	}
	return argv;
}

/* A word as the shell reads it back: as it is when that is safe, else in single quotes. */
static void shell_quoted(FILE *out, const char *word)
{
	if (*word && strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789,._+:@%/=-") ==
			     strlen(word)) {
		fputs(word, out);
		return;
	}
	fputc('\'', out);
	for (; *word; word++) {
		if (*word == '\'')
			fputs("'\\''", out);
		else
			fputc(*word, out);
	}
	fputc('\'', out);
}

int qemu_args_write(FILE *out, FILE *notes, const struct vnvdimm *dimms, size_t n)
{
	uint64_t total = 0;
	bool first = true;

	if (!modules_complete(dimms, n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		total += dimms[i].sizes.target;
	if (notes)
		fprintf(notes, "vpmem-host: QEMU also needs -machine %s,nvdimm=on -m <ram>,slots=%zu,maxmem=<ram + %llu>\n",
			n && dimms[0].machine == GUEST_MACHINE_PSERIES ? "pseries" : "<type>", n,
			(unsigned long long)total);
	for (size_t i = 0; i < n; i++) {
		_cleanup_strv_free_ char **argv = qemu_args_for(&dimms[i]);

		if (!argv)
			return -ENOMEM;
		for (char **a = argv; *a; a++, first = false) {
			if (!first)
				fputc(' ', out);
			shell_quoted(out, *a);
		}
	}
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

/*
 * A CXL host bridge for every CXL_HB_DEVICES devices: QEMU's pxb-cxl has 4
 * HDM decoders, and every region takes one of each port on its way (a fifth
 * region behind one bridge fails, EBUSY). Each bridge has its fixed memory
 * window. Bridge g is PCI bus CXL_BUS_NR + 8 g, its root ports' buses follow.
 */
#define CXL_BUS_NR 52
#define CXL_HB_DEVICES 4

int qemu_cxl_args_write(FILE *out, FILE *notes, const struct vnvdimm *dimms, size_t n)
{
	size_t groups = (n + CXL_HB_DEVICES - 1) / CXL_HB_DEVICES;
	_cleanup_strv_free_ char **argv = calloc(2 * groups + 8 * n + 3, sizeof(char *));
	_cleanup_free_ char *windows = NULL;
	size_t k = 0;

	if (!argv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!dimms[i].lsa)
			return -EINVAL;
	for (size_t g = 0; g < groups; g++) {
		uint64_t total = 0;
		char *w;

		if (asprintf(&argv[k++], "-device") < 0 ||
		    asprintf(&argv[k++], "pxb-cxl,bus_nr=%zu,bus=pcie.0,id=vpmem-cxl%zu", CXL_BUS_NR + 8 * g, g) < 0)
			return -ENOMEM;
		for (size_t i = g * CXL_HB_DEVICES; i < n && i < (g + 1) * CXL_HB_DEVICES; i++)
			total += dimms[i].sizes.target;
		if (asprintf(&w, "%s%scxl-fmw.%zu.targets.0=vpmem-cxl%zu,cxl-fmw.%zu.size=%llu", windows ? windows : "",
			     windows ? "," : "", g, g, g, (unsigned long long)cxl_window_size(total)) < 0)
			return -ENOMEM;
		free(windows);
		windows = w;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vnvdimm *d = &dimms[i];
		_cleanup_free_ char *path = qemu_escape(d->path), *lsa = qemu_escape(d->lsa);
		size_t g = i / CXL_HB_DEVICES, port = i % CXL_HB_DEVICES;

		if (!path || !lsa)
			return -ENOMEM;
		if (asprintf(&argv[k++], "-object") < 0 ||
		    asprintf(&argv[k++], "memory-backend-file,id=%s,share=on,mem-path=%s,size=%llu,align=%llu%s", d->id,
			     path, (unsigned long long)d->sizes.target, (unsigned long long)d->sizes.align,
			     d->real_pmem ? ",pmem=on" : "") < 0 ||
		    asprintf(&argv[k++], "-object") < 0 ||
		    asprintf(&argv[k++], "memory-backend-file,id=%s-lsa,share=on,mem-path=%s,size=%llu", d->id, lsa,
			     (unsigned long long)d->sizes.label) < 0 ||
		    asprintf(&argv[k++], "-device") < 0 ||
		    asprintf(&argv[k++], "cxl-rp,port=%zu,bus=vpmem-cxl%zu,id=%s-rp,chassis=%zu,slot=%zu", port, g, d->id,
			     CXL_BUS_NR + 8 * g, port + 1) < 0 ||
		    asprintf(&argv[k++], "-device") < 0 ||
		    asprintf(&argv[k++], "cxl-type3,bus=%s-rp,persistent-memdev=%s,lsa=%s-lsa,id=%s-cxl,sn=%llu", d->id,
			     d->id, d->id, d->id, (unsigned long long)d->serial) < 0)
			return -ENOMEM;
	}
	if (windows && (asprintf(&argv[k++], "-M") < 0 || !(argv[k++] = strdup(windows))))
		return -ENOMEM;
	if (notes)
		fprintf(notes,
			"vpmem-host: QEMU 10.0 or later also needs -machine q35,cxl=on and SeaBIOS or OVMF (qboot numbers "
			"no bus behind the CXL host bridge); QEMU 7.2's CXL emulation returns other bytes than were "
			"written. A guest kernel from 6.2 on commits CXL regions only with -cpu MODEL,-hypervisor. In "
			"the guest, vpmem-agent assembles the region (kernel modules cxl_acpi, cxl_pci, cxl_mem, "
			"cxl_pmem)\n");
	for (size_t i = 0; i < k; i++) {
		if (i)
			fputc(' ', out);
		shell_quoted(out, argv[i]);
	}
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}
