// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "erase.h"

#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>

/*
 * Device-dax has no fsync: stores reach the persistence domain only once out
 * of the CPU caches. Non-temporal stores bypass them, and the fence orders
 * them before we report success (what libpmem's memset_persist does).
 */
static void zero_persistent(unsigned char *p, uint64_t len)
{
	const __m128i zero = _mm_setzero_si128();

	uint64_t i = 0;

	/* a cache line per iteration; len is a multiple of the page size */
	for (; i + 64 <= len; i += 64) {
		_mm_stream_si128((__m128i *)(void *)(p + i), zero);
		_mm_stream_si128((__m128i *)(void *)(p + i + 16), zero);
		_mm_stream_si128((__m128i *)(void *)(p + i + 32), zero);
		_mm_stream_si128((__m128i *)(void *)(p + i + 48), zero);
	}
	for (; i < len; i += 16)
		_mm_stream_si128((__m128i *)(void *)(p + i), zero);
	_mm_sfence();
}
#define HAVE_ZERO_PERSISTENT 1
#endif

#define CHUNK (UINT64_C(64) << 20)

static int fail(char **ret_reason, int r, const char *what, const char *path)
{
	if (asprintf(ret_reason, "%s %s: %s", what, path, strerror(-r)) < 0)
		*ret_reason = NULL;
	return r;
}

static bool all_zero(const unsigned char *p, size_t len)
{
	const uint64_t *w = (const void *)p;
	size_t n = len / sizeof(*w), i = 0;
	uint64_t acc = 0;

	/* one pass, word by word, or-ed together (the compiler vectorises it); p is page aligned */
	for (; i + 8 <= n; i += 8) {
		acc |= w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7];
		if (acc)
			return false;
	}
	for (; i < n; i++)
		acc |= w[i];
	for (size_t b = n * sizeof(*w); b < len; b++)
		acc |= p[b];
	return acc == 0;
}

/*
 * Device-dax, a chunk at a time: a chunk that reads back all zero is proven
 * erased as it is and is not written (persistent memory wears with writes,
 * and reads it faster than it writes); any other is zeroed, fenced, and read
 * back. Every byte is read at least once, what was written twice.
 */
#define SCAN_CHUNK (UINT64_C(64) << 10)

static int erase_devdax(int fd, const char *path, uint64_t size, struct erase_stats *stats, char **ret_reason)
{
	unsigned char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int r = 0;

	if (map == MAP_FAILED)
		return fail(ret_reason, -errno, "cannot map", path);
	for (uint64_t off = 0; off < size; off += SCAN_CHUNK) {
		size_t len = size - off < SCAN_CHUNK ? (size_t)(size - off) : (size_t)SCAN_CHUNK;

		if (all_zero(map + off, len))
			continue;
#ifdef HAVE_ZERO_PERSISTENT
		zero_persistent(map + off, len);
#else
		memset(map + off, 0, len);
#endif
		stats->zeroed += len;
		if (!all_zero(map + off, len)) {
			if (asprintf(ret_reason, "%s reads back non-zero data at offset %" PRIu64 " after the erase", path,
				     off) < 0)
				*ret_reason = NULL;
			r = -EIO;
			break;
		}
	}
#ifndef HAVE_ZERO_PERSISTENT
	/* elsewhere the kernel's msync is all there is; device-dax may not take it */
	if (r == 0 && stats->zeroed && msync(map, size, MS_SYNC) < 0 && errno != EINVAL)
		r = fail(ret_reason, -errno, "cannot flush", path);
#endif
	munmap(map, size);
	if (r == 0)
		stats->bytes = size;
	return r;
}

static int erase_file(int fd, const char *path, uint64_t size, struct erase_stats *stats, char **ret_reason)
{
	_cleanup_free_ unsigned char *buf = calloc(1, CHUNK);

	if (!buf)
		return -ENOMEM;
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, (off_t)size) < 0) {
		for (uint64_t off = 0; off < size;) {
			ssize_t n = pwrite(fd, buf, size - off < CHUNK ? size - off : CHUNK, (off_t)off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return fail(ret_reason, n < 0 ? -errno : -EIO, "cannot write", path);
			off += (uint64_t)n;
		}
	}
	if (fsync(fd) < 0)
		return fail(ret_reason, -errno, "cannot sync", path);
	/*
	 * Read back what the file system says holds data. A hole, and a range
	 * ZERO_RANGE left unwritten, reads as zeros by the file system's own
	 * guarantee; what was written with zeros (the fallback) is data and is
	 * read. Where SEEK_DATA is not supported, everything is read.
	 */
	for (uint64_t off = 0; off < size;) {
		off_t data = lseek(fd, (off_t)off, SEEK_DATA), hole;
		uint64_t end;

		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			data = (off_t)off;
		hole = lseek(fd, data, SEEK_HOLE);
		/* no answer, or a nonsensical one: read to the end */
		end = hole <= data || (uint64_t)hole > size ? size : (uint64_t)hole;
		for (off = (uint64_t)data; off < end;) {
			ssize_t n = pread(fd, buf, end - off < CHUNK ? end - off : CHUNK, (off_t)off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return fail(ret_reason, n < 0 ? -errno : -EIO, "cannot read back", path);
			if (!all_zero(buf, (size_t)n)) {
				if (asprintf(ret_reason, "%s reads back non-zero data after the erase", path) < 0)
					*ret_reason = NULL;
				return -EIO;
			}
			off += (uint64_t)n;
		}
	}
	stats->bytes = stats->zeroed = size;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int backing_erase(enum backend_kind kind, const char *path, uint64_t size, struct erase_stats *stats,
		  char **ret_reason)
{
	_cleanup_close_ int fd = -EBADF;
	double start = now();
	struct stat st;
	int r;

	*ret_reason = NULL;
	*stats = (struct erase_stats){ 0 };
	fd = open(path, O_RDWR | O_CLOEXEC | (kind == BACKEND_FILE ? O_NOFOLLOW : 0));
	if (fd < 0)
		return fail(ret_reason, -errno, "cannot open", path);
	if (fstat(fd, &st) < 0)
		return fail(ret_reason, -errno, "cannot stat", path);
	if (kind == BACKEND_DEVDAX) {
		if (!S_ISCHR(st.st_mode))
			return fail(ret_reason, -ENODEV, "not a device-dax character device:", path);
		r = erase_devdax(fd, path, size, stats, ret_reason);
	} else {
		if (!S_ISREG(st.st_mode))
			return fail(ret_reason, -EINVAL, "not a regular file:", path);
		r = erase_file(fd, path, (uint64_t)st.st_size, stats, ret_reason);
	}
	stats->seconds = now() - start;
	return r;
}

bool same_object(const struct stat *a, const struct stat *b)
{
	if (S_ISCHR(b->st_mode))
		return S_ISCHR(a->st_mode) && a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Does a mapping of PID, a line of /proc/PID/maps, map the object? A file's
 * mapping shows its device and inode. A device node's shows the node's
 * (another in another /dev): what the node is comes from following the
 * mapping (/proc/PID/map_files, CAP_SYS_ADMIN), else from the node at that
 * path in the process's own view of the file system (/proc/PID/root) when it
 * is the node mapped.
 */
static bool mapping_is(int pid, const char *line, const struct stat *o)
{
	char range[64], file[4096], path[4200];
	unsigned maj, min;
	unsigned long long inode;
	struct stat st;
	int n = 0;

	/* start-end perms offset major:minor inode [path] */
	if (sscanf(line, "%63s %*s %*s %x:%x %llu %n", range, &maj, &min, &inode, &n) != 4 || inode == 0)
		return false;
	if (!S_ISCHR(o->st_mode))
		return inode == (unsigned long long)o->st_ino && makedev(maj, min) == o->st_dev;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%s", pid, range);
	if (stat(path, &st) == 0)
		return same_object(&st, o);
	snprintf(file, sizeof(file), "%s", line + n);
	file[strcspn(file, "\n")] = '\0';
	if (file[0] != '/')
		return false;
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, file);
	return stat(path, &st) == 0 && st.st_ino == (ino_t)inode && st.st_dev == makedev(maj, min) &&
	       same_object(&st, o);
}

/* does PID map the object? */
static bool maps_object(int pid, const struct stat *o)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = mapping_is(pid, line, o);
	fclose(f);
	return found;
}

/* does a file descriptor of PID refer to the object? (stat follows the fd's link to what it holds) */
static bool opens_object(int pid, const struct stat *o)
{
	char path[64];
	struct dirent *d;
	bool found = false;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (d = readdir(dir))) {
		struct stat st;

		if (d->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(dir), d->d_name, &st, 0) == 0 && same_object(&st, o))
			found = true;
	}
	closedir(dir);
	return found;
}

int backing_user(const char *path, int *ret_pid, char ret_comm[16])
{
	struct dirent *d;
	struct stat st;
	int self = getpid();
	DIR *proc;

	if (stat(path, &st) < 0)
		return -errno;
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((d = readdir(proc))) {
		char *end, comm_path[64];
		long pid = strtol(d->d_name, &end, 10);
		FILE *f;

		if (*end || pid <= 0 || pid == self)
			continue;
		if (!opens_object((int)pid, &st) && !maps_object((int)pid, &st))
			continue;
		*ret_pid = (int)pid;
		snprintf(ret_comm, 16, "?");
		snprintf(comm_path, sizeof(comm_path), "/proc/%ld/comm", pid);
		f = fopen(comm_path, "re");
		if (f) {
			if (fgets(ret_comm, 16, f))
				ret_comm[strcspn(ret_comm, "\n")] = '\0';
			fclose(f);
		}
		closedir(proc);
		return 1;
	}
	closedir(proc);
	return 0;
}
