// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The data guard (see guard.h): every step that can destroy data asks here,
 * and everything that cannot be proven empty counts as data.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup-libs.h"
#include "dlopen-libs.h"
#include "guard.h"
#include "strutil.h"

/* The kernel's info blocks: 4 KiB into a namespace, BTT 2.0 (v1.2 labels) at its start. */
static const struct {
	size_t offset;
	const char *magic;
	size_t len;
	const char *what;
} info_blocks[] = {
	{ 4096, "NVDIMM_PFN_INFO", 16, "an fsdax (pfn) info block" },
	{ 4096, "NVDIMM_DAX_INFO", 16, "a devdax info block" },
	{ 4096, "BTT_ARENA_INFO", 15, "a sector (btt) info block" },
	{ 0, "BTT_ARENA_INFO", 15, "a sector (btt 2.0) info block" },
};

bool guard_signatures_have(const char *signatures, const char *type)
{
	size_t len = strlen(type);

	for (const char *p = signatures; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == len && strncmp(p, type, len) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

enum guard_fs_verdict guard_decide_fs(const struct guard_fs_facts *f, bool *ret_force)
{
	*ret_force = false;
	/* also beside a stale second signature, also with overwrite */
	if (f->fstype && (strcmp(f->fstype, f->want) == 0 || guard_signatures_have(f->signatures, f->want)))
		return GUARD_FS_KEEP;
	/* no finished filesystem, nobody using it, and the agent's own mkfs was under way on it */
	if (f->contents && !f->fstype && !f->mounted && f->own_mkfs) {
		*ret_force = true;
		return GUARD_FS_MAKE_AGAIN;
	}
	if (f->contents && !f->overwrite)
		return GUARD_FS_REFUSE;
	*ret_force = f->contents != NULL;
	return GUARD_FS_MAKE;
}

bool guard_may_force_retry(const char *path, bool had_xfs_before)
{
	return !had_xfs_before && guard_starts_with_xfs(path) > 0;
}

/* Look for filesystems, RAID and swap superblocks, and partition tables. */
static void probe_everything(blkid_probe pr)
{
	sym_blkid_probe_enable_superblocks(pr, 1);
	sym_blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	sym_blkid_probe_enable_partitions(pr, 1);
	sym_blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
}

/* Every signature libblkid knows on the device, comma separated (several: "ambiguous"). */
static char *all_signatures(int fd)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = sym_blkid_new_probe();
	char *list = NULL;

	if (!pr || sym_blkid_probe_set_device(pr, fd, 0, 0) < 0)
		return NULL;
	probe_everything(pr);
	while (sym_blkid_do_probe(pr) == 0) {
		const char *type = NULL;
		char *grown;

		if (sym_blkid_probe_lookup_value(pr, "TYPE", &type, NULL) < 0 &&
		    sym_blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL) < 0)
			continue;
		if (guard_signatures_have(list, type))
			continue;
		grown = strdup_printf("%s%s%s", list ? list : "", list ? "," : "", type);
		free(list);
		list = grown;
		if (!list)
			return NULL;
	}
	return list;
}

static uint64_t device_size(int fd)
{
	struct stat st;
	uint64_t size = 0;

	if (fstat(fd, &st) < 0)
		return 0;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, &size) < 0 ? 0 : size;
	return (uint64_t)st.st_size;
}

/*
 * The first MiB (or the whole device, when smaller): *ret_what NULL when all
 * of it was read and is zero, else what was found. 0 or -ENOMEM.
 */
static int first_mib_contents(int fd, char **ret_what)
{
	uint64_t size = device_size(fd);
	size_t len = size < GUARD_PROBE_BYTES ? (size_t)size : GUARD_PROBE_BYTES, done = 0;
	_cleanup_free_ unsigned char *buf = NULL;
	char *what = NULL;

	*ret_what = NULL;
	if (len == 0) {
		what = strdup("a size that cannot be read");
		goto out;
	}
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			what = strdup_printf("a read error in its first MiB: %s", strerror(errno));
			goto out;
		}
		if (n == 0) {
			what = strdup_printf("a short read: %zu of %zu bytes", done, len);
			goto out;
		}
		done += (size_t)n;
	}
	for (size_t i = 0; i < ELEMENTSOF(info_blocks); i++)
		if (len >= info_blocks[i].offset + info_blocks[i].len &&
		    memcmp(buf + info_blocks[i].offset, info_blocks[i].magic, info_blocks[i].len) == 0) {
			what = strdup(info_blocks[i].what);
			goto out;
		}
	for (size_t i = 0; i < len; i++)
		if (buf[i]) {
			what = strdup_printf("non-zero bytes in its first MiB (at offset %zu)", i);
			goto out;
		}
	return 0;
out:
	*ret_what = what;
	return what ? 0 : -ENOMEM;
}

/*
 * The rest of what a destructive step destroys, beyond the first MiB: the
 * last MiB and the first GUARD_SAMPLE_BYTES of every GUARD_SAMPLE_STRIDE.
 * Read from map when there is one (device-dax has no read()), else with
 * pread from fd. *ret_what NULL when all of it is zero, else what was found
 * (a read error or short read is data too). 0 or -ENOMEM.
 */
static int sampled_contents(int fd, const unsigned char *map, uint64_t size, char **ret_what)
{
	_cleanup_free_ unsigned char *buf = NULL;
	uint64_t last = size > 2 * GUARD_PROBE_BYTES ? size - GUARD_PROBE_BYTES : GUARD_PROBE_BYTES;
	char *what = NULL;

	*ret_what = NULL;
	/* aligned for O_DIRECT: the buffer, every offset and the last MiB's start */
	last &= ~(uint64_t)(GUARD_SAMPLE_BYTES - 1);
	if (!map && posix_memalign((void **)&buf, GUARD_SAMPLE_BYTES, GUARD_PROBE_BYTES + GUARD_SAMPLE_BYTES) != 0)
		return -ENOMEM;
	/* the samples, then the last MiB as one more "sample" */
	for (uint64_t offset = GUARD_SAMPLE_STRIDE;; offset += GUARD_SAMPLE_STRIDE) {
		bool tail = offset >= last;
		uint64_t start = tail ? last : offset;
		size_t len = tail ? (size_t)(size - last) : GUARD_SAMPLE_BYTES, done = 0;
		const unsigned char *p = map ? map + start : buf;

		if (start >= size)
			break;
		if (start + len > size)
			len = (size_t)(size - start);
		while (!map && done < len) {
			ssize_t n = pread(fd, buf + done, len - done, (off_t)(start + done));

			if (n < 0 && errno == EINTR)
				continue;
			/* O_DIRECT wants aligned offsets: after a short read, go on through the page cache */
			if (n < 0 && errno == EINVAL && (fcntl(fd, F_GETFL) & O_DIRECT) &&
			    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT) == 0)
				continue;
			if (n <= 0) {
				what = n < 0 ? strdup_printf("a read error at offset %" PRIu64 ": %s", start + done,
							     strerror(errno))
					     : strdup_printf("a short read at offset %" PRIu64, start + done);
				goto out;
			}
			done += (size_t)n;
		}
		for (size_t i = 0; i < len; i++)
			if (p[i]) {
				what = strdup_printf("non-zero bytes %" PRIu64 " MiB into it (at offset %" PRIu64
						     "), beyond its first MiB",
						     (start + i) >> 20, start + i);
				goto out;
			}
		if (tail)
			break;
	}
	return 0;
out:
	*ret_what = what;
	return what ? 0 : -ENOMEM;
}

/*
 * The same for the device at path, read with O_DIRECT: a buffered read of a
 * block device fills its page cache first, which under TCG made 64 samples
 * of a 4 GiB device take 0.6 s against 0.01 s direct. Files where O_DIRECT
 * is not supported (tmpfs, for the unit tests) are read through the cache.
 */
static int sampled_path_contents(const char *path, char **ret_what)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_DIRECT);
	uint64_t size;

	*ret_what = NULL;
	if (fd < 0 && errno == EINVAL)
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*ret_what = strdup_printf("a device that cannot be opened: %s", strerror(errno));
		return *ret_what ? 0 : -ENOMEM;
	}
	size = device_size(fd);
	if (size == 0) {
		*ret_what = strdup("a size that cannot be read");
		return *ret_what ? 0 : -ENOMEM;
	}
	/* 4 KiB here and there: readahead would read far more than the samples (a second per 4 GiB under TCG) */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	return sampled_contents(fd, NULL, size, ret_what);
}

/*
 * mkfs.xfs writes its superblock first, with sb_inprogress set, and clears
 * the flag last: a superblock that still has it set is a filesystem whose
 * making was cut short, which the kernel refuses to mount. 1 when the xfs
 * superblock at the start of fd says so, 0 when not, -errno when it cannot
 * be read.
 */
#define XFS_SB_MAGIC "XFSB"
#define XFS_SB_INPROGRESS_OFFSET 126
#define XFS_UNFINISHED "an xfs filesystem whose mkfs never finished (its superblock says \"in progress\")"

/* the first n bytes of fd: how many were read, or -errno */
static ssize_t read_start(int fd, unsigned char *buf, size_t n)
{
	ssize_t r;

	do
		r = pread(fd, buf, n, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static int xfs_mkfs_unfinished(int fd)
{
	unsigned char sb[512];
	ssize_t n = read_start(fd, sb, sizeof(sb));

	if (n < 0)
		return (int)n;
	if (n != (ssize_t)sizeof(sb))
		return -EIO;
	return memcmp(sb, XFS_SB_MAGIC, 4) == 0 && sb[XFS_SB_INPROGRESS_OFFSET] != 0;
}

int guard_starts_with_xfs(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	unsigned char magic[4];
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read_start(fd, magic, sizeof(magic));
	if (n < 0)
		return (int)n;
	return n == (ssize_t)sizeof(magic) && memcmp(magic, XFS_SB_MAGIC, 4) == 0;
}

int guard_probe_blockdev(const char *path, char **ret_fstype, char **ret_signatures, char **ret_what)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *fstype = NULL, *signatures = NULL, *error = NULL;
	const char *value = NULL;
	char *what = NULL;
	bool found = true; /* every way out but the all-zero one found something */
	int r;

	*ret_what = NULL;
	if (ret_fstype)
		*ret_fstype = NULL;
	if (ret_signatures)
		*ret_signatures = NULL;
	if (fd < 0) {
		what = strdup_printf("a device that cannot be opened: %s", strerror(errno));
		goto out;
	}
	/* what cannot be looked at is data */
	if (dlopen_libblkid(&error) < 0) {
		what = strdup_printf("a device that cannot be probed (%s)", error ? error : "libblkid");
		goto out;
	}
	pr = sym_blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (sym_blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		/* say why, when a plain read can */
		r = first_mib_contents(fd, &what);
		if (r < 0)
			return r;
		if (!what)
			what = strdup("a device libblkid cannot probe");
		goto out;
	}
	probe_everything(pr);

	r = sym_blkid_do_safeprobe(pr);
	if (r == -2) {
		fstype = strdup("ambiguous");
		signatures = all_signatures(fd);
		what = strdup_printf("several signatures (%s)", signatures ? signatures : "ambiguous");
	} else if (r < 0) {
		/* say why, when a plain read can: a bad block, a short device */
		r = first_mib_contents(fd, &what);
		if (r < 0)
			return r;
		if (!what)
			what = strdup("a device libblkid cannot read");
	} else if (r == 0) {
		if (sym_blkid_probe_lookup_value(pr, "TYPE", &value, NULL) == 0 && strcmp(value, "xfs") == 0 &&
		    (r = xfs_mkfs_unfinished(fd)) != 0) {
			/* not a filesystem anyone can use, and not provably empty either */
			what = r > 0 ? strdup(XFS_UNFINISHED)
				     : strdup_printf("an xfs superblock that cannot be read: %s", strerror(-r));
		} else if (sym_blkid_probe_lookup_value(pr, "TYPE", &value, NULL) == 0) {
			fstype = strdup(value);
			what = strdup_printf("%s %s signature", strchr("aeiou", value[0]) ? "an" : "a", value);
		} else if (sym_blkid_probe_lookup_value(pr, "PTTYPE", &value, NULL) == 0) {
			fstype = strdup(value);
			what = strdup_printf("a %s partition table", value);
		} else {
			what = strdup("a signature libblkid cannot name");
		}
		signatures = fstype ? strdup(fstype) : NULL;
	} else if ((r = xfs_mkfs_unfinished(fd)) > 0) {
		/* libblkid 2.41 (Debian 13) does not report an xfs superblock
		 * that still says "in progress" at all: seen with blkid -p */
		what = strdup(XFS_UNFINISHED);
	} else {
		r = first_mib_contents(fd, &what);
		if (r < 0)
			return r;
		found = what != NULL;
	}
out:
	if (found && !what)
		return -ENOMEM;
	*ret_what = what;
	if (ret_fstype)
		*ret_fstype = TAKE_PTR(fstype);
	if (ret_signatures)
		*ret_signatures = TAKE_PTR(signatures);
	return 0;
}

static const char *claim_name(struct ndctl_namespace *ndns)
{
	if (ndctl_namespace_get_pfn(ndns))
		return "fsdax";
	if (ndctl_namespace_get_dax(ndns))
		return "devdax";
	if (ndctl_namespace_get_btt(ndns))
		return "sector";
	return NULL;
}

/* What a live namespace holds; with whole, also the samples beyond its first MiB. */
static int probe_namespace(struct ndctl_namespace *ndns, bool whole, char **ret_what)
{
	const char *devname = ndctl_namespace_get_devname(ndns);
	const char *claim = claim_name(ndns), *bdev;
	_cleanup_free_ char *path = NULL, *what = NULL;
	int r;

	*ret_what = NULL;
	/* a personality is data: its info block describes what is behind it */
	if (claim) {
		*ret_what = strdup_printf("%s is a %s namespace", devname, claim);
		return *ret_what ? 0 : -ENOMEM;
	}
	bdev = ndctl_namespace_get_block_device(ndns);
	if (!ndctl_namespace_is_enabled(ndns) || !bdev || !*bdev) {
		*ret_what = strdup_printf("%s is disabled or has no device node: its contents cannot be read", devname);
		return *ret_what ? 0 : -ENOMEM;
	}
	if (asprintf(&path, "/dev/%s", bdev) < 0)
		return -ENOMEM;
	r = guard_probe_blockdev(path, NULL, NULL, &what);
	if (r == 0 && !what && whole)
		r = sampled_path_contents(path, &what);
	if (r < 0)
		return r;
	if (what) {
		*ret_what = strdup_printf("%s (%s) holds %s", devname, path, what);
		return *ret_what ? 0 : -ENOMEM;
	}
	return 0;
}

int guard_probe_namespace(struct ndctl_namespace *ndns, char **ret_what)
{
	return probe_namespace(ndns, false, ret_what);
}

int guard_may_destroy_namespace(struct ndctl_namespace *ndns, bool overwrite, char **ret_what)
{
	int r;

	*ret_what = NULL;
	if (overwrite)
		return 0;
	r = probe_namespace(ndns, true, ret_what);
	if (r < 0)
		return r;
	return *ret_what ? -ENOTEMPTY : 0;
}

int guard_may_destroy_region(struct ndctl_region *region, bool overwrite, char **ret_what)
{
	struct ndctl_namespace *ndns;
	int r;

	*ret_what = NULL;
	if (overwrite)
		return 0;
	ndctl_namespace_foreach(region, ndns) {
		/* idle seeds have no size and hold nothing */
		if (ndctl_namespace_get_size(ndns) == 0)
			continue;
		r = guard_may_destroy_namespace(ndns, false, ret_what);
		if (r < 0)
			return r;
	}
	return 0;
}

static int may_destroy_blockdev(const char *path, bool overwrite, bool whole, char **ret_what)
{
	_cleanup_free_ char *what = NULL;
	int r;

	*ret_what = NULL;
	if (overwrite)
		return 0;
	r = guard_probe_blockdev(path, NULL, NULL, &what);
	if (r == 0 && !what && whole)
		r = sampled_path_contents(path, &what);
	if (r < 0)
		return r;
	if (!what)
		return 0;
	*ret_what = strdup_printf("%s holds %s", path, what);
	return *ret_what ? -ENOTEMPTY : -ENOMEM;
}

int guard_may_destroy_blockdev(const char *path, bool overwrite, char **ret_what)
{
	return may_destroy_blockdev(path, overwrite, true, ret_what);
}

int guard_may_destroy_new_blockdev(const char *path, char **ret_what)
{
	return may_destroy_blockdev(path, false, false, ret_what);
}

int guard_may_destroy_daxdev(const char *path, uint64_t size, size_t align, bool overwrite, char **ret_what)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *what = NULL;
	const unsigned char *p;
	void *map;
	int r = 0;

	*ret_what = NULL;
	if (overwrite)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*ret_what = strdup_printf("%s cannot be opened: %s", path, strerror(errno));
		return *ret_what ? -ENOTEMPTY : -ENOMEM;
	}
	/* device-dax has no read(): map all of it (a whole multiple of its alignment); only what is read faults in */
	if (size < GUARD_PROBE_BYTES || (align && size % align)) {
		*ret_what = strdup_printf("%s has a size (%" PRIu64 ") that cannot be mapped whole", path, size);
		return *ret_what ? -ENOTEMPTY : -ENOMEM;
	}
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		*ret_what = strdup_printf("%s cannot be mapped to be read: %s", path, strerror(errno));
		return *ret_what ? -ENOTEMPTY : -ENOMEM;
	}
	p = map;
	for (size_t i = 0; i < GUARD_PROBE_BYTES; i++)
		if (p[i]) {
			what = strdup_printf("non-zero bytes in its first MiB (at offset %zu)", i);
			break;
		}
	if (!what)
		r = sampled_contents(-EBADF, p, size, &what);
	munmap(map, size);
	if (r < 0)
		return r;
	if (!what)
		return 0;
	*ret_what = strdup_printf("%s holds %s", path, what);
	return *ret_what ? -ENOTEMPTY : -ENOMEM;
}
