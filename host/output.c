// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "output.h"

static unsigned long long kib(uint64_t bytes)
{
	return (unsigned long long)(bytes >> 10);
}

/* paths come from the system, but are escaped all the same */
static void xml_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '\'': fputs("&apos;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
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

int libvirt_xml_write(FILE *out, FILE *notes, const struct vnvdimm *dimms, size_t n)
{
	uint64_t total = 0;

	if (!modules_complete(dimms, n))
		return -EINVAL;
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
	for (size_t i = 0; i < n; i++) {
		const struct vnvdimm *d = &dimms[i];

		/* pseries: the label is mandatory (always written here) and the module has a uuid */
		fprintf(out, "<memory model='nvdimm' access='shared'>\n");
		if (d->machine == GUEST_MACHINE_PSERIES)
			fprintf(out, "  <uuid>%s</uuid>\n", d->uuid);
		fprintf(out, "  <source>\n    <path>");
		xml_escaped(out, d->path);
		fprintf(out, "</path>\n    <alignsize unit='KiB'>%llu</alignsize>\n", kib(d->sizes.align));
		if (d->real_pmem)
			fprintf(out, "    <pmem/>\n");
		fprintf(out,
			"  </source>\n  <target>\n    <size unit='KiB'>%llu</size>\n    <node>%u</node>\n"
			"    <label>\n      <size unit='KiB'>%llu</size>\n    </label>\n  </target>\n</memory>\n",
			kib(d->sizes.target), d->guest_node, kib(d->sizes.label));
	}
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
