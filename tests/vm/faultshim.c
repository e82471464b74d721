// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * faultshim.so: a test-only LD_PRELOAD library (as kmod's tests preload
 * theirs) that makes one step of a run fail, or cuts the power right at it.
 * Used inside the test VM only; it never ships.
 *
 * VPMEM_SHIM holds rules separated by ';', each
 *
 *     [PROG/]POINT[@PREFIX][#N]:WHEN:ACTION
 *
 *   PROG    only in the process of that name (vpmem-agent, mkfs.xfs, mke2fs)
 *   POINT   a libndctl function (ndctl_pfn_enable, ...), a system call
 *           (mount, open, write, pread, fsync, rename, mkdir, ioctl, ...),
 *           "blkwrite" (any write, fsync or zeroing of a block device, one
 *           count for all), "blkread" (any read of a block device), or
 *           "dlopen" (by library name)
 *   PREFIX  only calls on a path (or descriptor of a path) that starts so
 *   N       only the Nth matching call (1 = first); every one when absent
 *   WHEN    before or after the real call
 *   ACTION  cut        the power goes: QEMU's isa-debug-exit port, at once
 *           stop       the process stops (SIGSTOP) for good, and writes the
 *                      rule to the file $VPMEM_SHIM_STOPPED: for a harness
 *                      that cuts the power once several runs have each
 *                      reached their step (VPMEM_SHIM_CUT, below)
 *           fail=E     the call fails with errno E (a number or EIO, ENOSPC,
 *                      EROFS, ENXIO, EBUSY, ENOMEM, EINVAL, EPERM)
 *           short      a read returns half of what it asked for
 *           eof        a read returns 0: the device ends early
 *           kill=S     the process kills itself with signal S
 *           count      nothing; the number of matching calls is appended
 *                      to $VPMEM_SHIM_LOG at exit
 *
 * A rule that fires says so on the console (/dev/kmsg), so the harness can
 * tell the step it cut at from a crash.
 *
 * VPMEM_SHIM_CUT=now cuts the power as the preloading program starts, with
 * no rule: how a harness cuts it when its stopped runs are all in place.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
/* after <sys/mount.h>: glibc before 2.36 cannot take them the other way round */
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ndctl/libndctl.h>

#define MAX_RULES 8

enum when { BEFORE, AFTER };
enum action { CUT, STOP, FAIL, SHORT, END, KILL, COUNT };

struct rule {
	char prog[32];
	char point[64];
	char prefix[128];
	unsigned long nth;  /* 0: every call */
	enum when when;
	enum action action;
	int value;          /* errno or signal */
	unsigned long seen; /* matching calls so far */
	char text[256];
};

static struct rule rules[MAX_RULES];
static size_t n_rules;
static bool loaded;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int fd, n;

	n = snprintf(line, sizeof(line), "<2>");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fd = (int)syscall(SYS_open, "/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		syscall(SYS_write, fd, line, (size_t)n);
		syscall(SYS_close, fd);
	}
}

static int errno_value(const char *s)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {
		{ "EIO", EIO },       { "ENOSPC", ENOSPC }, { "EROFS", EROFS }, { "ENXIO", ENXIO }, { "EBUSY", EBUSY },
		{ "ENOMEM", ENOMEM }, { "EINVAL", EINVAL }, { "EPERM", EPERM }, { "ENODEV", ENODEV },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].value;
	return atoi(s);
}

static void parse_rule(char *text)
{
	struct rule *r = &rules[n_rules];
	char *when, *action, *p;

	snprintf(r->text, sizeof(r->text), "%s", text);
	when = strchr(text, ':');
	action = when ? strchr(when + 1, ':') : NULL;
	if (!when || !action) {
		say("faultshim: bad rule \"%s\"\n", r->text);
		return;
	}
	*when++ = '\0';
	*action++ = '\0';
	if ((p = strchr(text, '/'))) {
		*p = '\0';
		snprintf(r->prog, sizeof(r->prog), "%s", text);
		text = p + 1;
	}
	if ((p = strchr(text, '#'))) {
		*p = '\0';
		r->nth = strtoul(p + 1, NULL, 10);
	}
	if ((p = strchr(text, '@'))) {
		*p = '\0';
		snprintf(r->prefix, sizeof(r->prefix), "%s", p + 1);
	}
	snprintf(r->point, sizeof(r->point), "%s", text);
	r->when = strcmp(when, "after") == 0 ? AFTER : BEFORE;
	if (strcmp(action, "cut") == 0)
		r->action = CUT;
	else if (strcmp(action, "stop") == 0)
		r->action = STOP;
	else if (strncmp(action, "fail=", 5) == 0)
		r->action = FAIL, r->value = errno_value(action + 5);
	else if (strcmp(action, "short") == 0)
		r->action = SHORT;
	else if (strcmp(action, "eof") == 0)
		r->action = END;
	else if (strncmp(action, "kill=", 5) == 0)
		r->action = KILL, r->value = atoi(action + 5);
	else if (strcmp(action, "count") == 0)
		r->action = COUNT;
	else {
		say("faultshim: bad action in \"%s\"\n", r->text);
		return;
	}
	n_rules++;
}

static void load(void)
{
	const char *env;
	char *copy, *save = NULL;

	if (loaded)
		return;
	loaded = true;
	env = getenv("VPMEM_SHIM");
	if (!env)
		return;
	copy = strdup(env);
	for (char *t = copy ? strtok_r(copy, ";", &save) : NULL; t && n_rules < MAX_RULES; t = strtok_r(NULL, ";", &save))
		parse_rule(t);
	free(copy);
}

__attribute__((destructor)) static void report_counts(void)
{
	const char *log = getenv("VPMEM_SHIM_LOG");
	char line[512];
	int fd, n;

	if (!log)
		return;
	for (size_t i = 0; i < n_rules; i++) {
		if (rules[i].action != COUNT)
			continue;
		fd = (int)syscall(SYS_open, log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return;
		n = snprintf(line, sizeof(line), "%s %s %lu\n", program_invocation_short_name, rules[i].text,
			     rules[i].seen);
		syscall(SYS_write, fd, line, (size_t)n);
		syscall(SYS_close, fd);
	}
}

static void power_cut(const char *why)
{
	say("VPMEM-CUT %s in %s\n", why, program_invocation_short_name);
	/* QEMU's isa-debug-exit: the machine stops at this instruction, nothing is flushed */
	if (ioperm(0xf4, 4, 1) == 0)
		outb(0x31, 0xf4);
	say("faultshim: cannot reach isa-debug-exit: %s\n", strerror(errno));
	_exit(99);
}

static void cut(const struct rule *r)
{
	power_cut(r->text);
}

/* Stop here for good; the harness cuts the power when every run it waits for has stopped. */
static void stop(const struct rule *r)
{
	const char *marker = getenv("VPMEM_SHIM_STOPPED");

	say("VPMEM-STOPPED %s in %s\n", r->text, program_invocation_short_name);
	if (marker) {
		int fd = (int)syscall(SYS_open, marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			syscall(SYS_write, fd, r->text, strlen(r->text));
			syscall(SYS_close, fd);
		}
	}
	for (;;)
		kill(getpid(), SIGSTOP);
}

__attribute__((constructor)) static void cut_now(void)
{
	const char *e = getenv("VPMEM_SHIM_CUT");

	if (e && strcmp(e, "now") == 0)
		power_cut("VPMEM_SHIM_CUT=now");
}

static bool path_matches(const struct rule *r, const char *path)
{
	return !r->prefix[0] || (path && strncmp(path, r->prefix, strlen(r->prefix)) == 0);
}

/*
 * Does a rule fire for this call? Returns the rule (with *act filled) or
 * NULL. Counting happens here, once per call and rule, on the "before" pass.
 */
static struct rule *match(const char *point, enum when when, const char *path)
{
	load();
	for (size_t i = 0; i < n_rules; i++) {
		struct rule *r = &rules[i];

		if (r->prog[0] && strcmp(r->prog, program_invocation_short_name) != 0)
			continue;
		if (strcmp(r->point, point) != 0 || !path_matches(r, path))
			continue;
		if (when == BEFORE)
			r->seen++;
		if (r->action == COUNT || r->when != when)
			continue;
		if (r->nth && r->seen != r->nth)
			continue;
		return r;
	}
	return NULL;
}

/* Act on a rule that fired: cut, stop and kill do not return; fail and short do. */
static void act(const struct rule *r)
{
	if (r->action == CUT)
		cut(r);
	if (r->action == STOP)
		stop(r);
	if (r->action == KILL) {
		say("faultshim: %s kills %s with signal %d\n", r->text, program_invocation_short_name, r->value);
		kill(getpid(), r->value);
		pause();
	}
	say("faultshim: %s fires in %s\n", r->text, program_invocation_short_name);
}

static const char *fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static bool is_blockdev(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISBLK(st.st_mode);
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

/*
 * One hook around a call on a descriptor: the named point, and the
 * block-device point (blkwrite or blkread) when fd is a block device.
 * Returns true when the call must fail (errno set) without being made.
 */
static bool fd_before(const char *point, const char *blockpoint, int fd, const struct rule **ret)
{
	char buf[256];
	const char *path = fd_path(fd, buf, sizeof(buf));
	struct rule *r = match(point, BEFORE, path);

	if (!r && blockpoint && is_blockdev(fd))
		r = match(blockpoint, BEFORE, path);
	*ret = r;
	if (!r)
		return false;
	act(r);
	if (r->action == FAIL) {
		errno = r->value;
		return true;
	}
	return false;
}

static void fd_after(const char *point, const char *blockpoint, int fd)
{
	char buf[256];
	const char *path = fd_path(fd, buf, sizeof(buf));
	struct rule *r = match(point, AFTER, path);

	if (!r && blockpoint && is_blockdev(fd))
		r = match(blockpoint, AFTER, path);
	if (r)
		act(r);
}

/* A call on a path: fail before, or act after. */
static bool path_before(const char *point, const char *path)
{
	struct rule *r = match(point, BEFORE, path);

	if (!r)
		return false;
	act(r);
	if (r->action == FAIL) {
		errno = r->value;
		return true;
	}
	return false;
}

static void path_after(const char *point, const char *path)
{
	struct rule *r = match(point, AFTER, path);

	if (r)
		act(r);
}

/* --- writes, reads and syncs --- */

#define WRAP_WRITE(name, blockpoint, call, ...)                         \
	ssize_t name(int fd, __VA_ARGS__)                               \
	{                                                               \
		const struct rule *r;                                   \
		ssize_t n;                                              \
		if (fd_before(#name, blockpoint, fd, &r))               \
			return -1;                                      \
		n = REAL(name) call;                                    \
		if (n >= 0)                                             \
			fd_after(#name, blockpoint, fd);                \
		return n;                                               \
	}

WRAP_WRITE(write, "blkwrite", (fd, buf, count), const void *buf, size_t count)
WRAP_WRITE(pwrite, "blkwrite", (fd, buf, count, offset), const void *buf, size_t count, off_t offset)
WRAP_WRITE(pwrite64, "blkwrite", (fd, buf, count, offset), const void *buf, size_t count, off64_t offset)
WRAP_WRITE(pwritev, "blkwrite", (fd, iov, iovcnt, offset), const struct iovec *iov, int iovcnt, off_t offset)
WRAP_WRITE(pwritev64, "blkwrite", (fd, iov, iovcnt, offset), const struct iovec *iov, int iovcnt, off64_t offset)
WRAP_WRITE(pwritev2, "blkwrite", (fd, iov, iovcnt, offset, flags), const struct iovec *iov, int iovcnt,
	   off_t offset, int flags)

#define WRAP_READ(name, call, ...)                                      \
	ssize_t name(int fd, void *buf, size_t count, ##__VA_ARGS__)    \
	{                                                               \
		const struct rule *r;                                   \
		ssize_t n;                                              \
		if (fd_before(#name, "blkread", fd, &r))                \
			return -1;                                      \
		if (r && r->action == SHORT && count > 1)               \
			count /= 2;                                     \
		if (r && r->action == END)                              \
			return 0;                                       \
		n = REAL(name) call;                                    \
		if (n >= 0)                                             \
			fd_after(#name, "blkread", fd);                 \
		return n;                                               \
	}

WRAP_READ(read, (fd, buf, count))
WRAP_READ(pread, (fd, buf, count, offset), off_t offset)
WRAP_READ(pread64, (fd, buf, count, offset), off64_t offset)

#define WRAP_SYNC(name)                                                 \
	int name(int fd)                                                \
	{                                                               \
		const struct rule *r;                                   \
		int n;                                                  \
		if (fd_before(#name, "blkwrite", fd, &r))               \
			return -1;                                      \
		n = REAL(name)(fd);                                     \
		if (n == 0)                                             \
			fd_after(#name, "blkwrite", fd);                \
		return n;                                               \
	}

WRAP_SYNC(fsync)
WRAP_SYNC(fdatasync)

int fallocate(int fd, int mode, off_t offset, off_t len)
{
	const struct rule *r;
	int n;

	if (fd_before("fallocate", "blkwrite", fd, &r))
		return -1;
	n = REAL(fallocate)(fd, mode, offset, len);
	if (n == 0)
		fd_after("fallocate", "blkwrite", fd);
	return n;
}

int fallocate64(int fd, int mode, off64_t offset, off64_t len)
{
	const struct rule *r;
	int n;

	if (fd_before("fallocate64", "blkwrite", fd, &r))
		return -1;
	n = REAL(fallocate64)(fd, mode, offset, len);
	if (n == 0)
		fd_after("fallocate64", "blkwrite", fd);
	return n;
}

/* ioctl: zeroing and discarding a block device count as its writes */
int ioctl(int fd, unsigned long request, ...)
{
	bool zeroing = request == BLKZEROOUT || request == BLKDISCARD || request == BLKSECDISCARD;
	const struct rule *r;
	va_list ap;
	void *arg;
	int n;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd_before("ioctl", zeroing ? "blkwrite" : NULL, fd, &r))
		return -1;
	n = REAL(ioctl)(fd, request, arg);
	if (n >= 0)
		fd_after("ioctl", zeroing ? "blkwrite" : NULL, fd);
	return n;
}

/* --- paths --- */

static int open_common(const char *point, int dirfd, const char *path, int flags, mode_t mode, bool at)
{
	int fd;

	if (path_before(point, path))
		return -1;
	if (at)
		fd = strcmp(point, "openat64") == 0 ? REAL(openat64)(dirfd, path, flags, mode)
						    : REAL(openat)(dirfd, path, flags, mode);
	else
		fd = strcmp(point, "open64") == 0 ? REAL(open64)(path, flags, mode) : REAL(open)(path, flags, mode);
	if (fd >= 0)
		path_after(point, path);
	return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return open_common("open", AT_FDCWD, path, flags, mode, false);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return open_common("open64", AT_FDCWD, path, flags, mode, false);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return open_common("openat", dirfd, path, flags, mode, true);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return open_common("openat64", dirfd, path, flags, mode, true);
}

int mkdir(const char *path, mode_t mode)
{
	int n;

	if (path_before("mkdir", path))
		return -1;
	n = REAL(mkdir)(path, mode);
	if (n == 0)
		path_after("mkdir", path);
	return n;
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
	int n;

	if (path_before("mkdirat", path))
		return -1;
	n = REAL(mkdirat)(dirfd, path, mode);
	if (n == 0)
		path_after("mkdirat", path);
	return n;
}

int rename(const char *from, const char *to)
{
	int n;

	if (path_before("rename", to))
		return -1;
	n = REAL(rename)(from, to);
	if (n == 0)
		path_after("rename", to);
	return n;
}

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
	int n;

	if (path_before("renameat", to))
		return -1;
	n = REAL(renameat)(fromfd, from, tofd, to);
	if (n == 0)
		path_after("renameat", to);
	return n;
}

int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)
{
	int n;

	if (path_before("mount", source))
		return -1;
	n = REAL(mount)(source, target, fstype, flags, data);
	if (n == 0)
		path_after("mount", source);
	return n;
}

static bool refused_dlopen;

void *dlopen(const char *file, int flags)
{
	void *h;

	if (file && path_before("dlopen", file)) {
		refused_dlopen = true;
		return NULL;
	}
	h = REAL(dlopen)(file, flags);
	if (h && file)
		path_after("dlopen", file);
	return h;
}

char *dlerror(void)
{
	if (refused_dlopen) {
		static char message[] = "faultshim: the library cannot be loaded";

		refused_dlopen = false;
		return message;
	}
	return REAL(dlerror)();
}

/* --- libndctl: the steps of provisioning --- */

static int nd_before(const char *point)
{
	struct rule *r = match(point, BEFORE, NULL);

	if (!r)
		return 0;
	act(r);
	return r->action == FAIL ? -r->value : 0;
}

static void nd_after(const char *point)
{
	struct rule *r = match(point, AFTER, NULL);

	if (r)
		act(r);
}

#define WRAP_ND(name, call, ...)                                         \
	int name(__VA_ARGS__)                                            \
	{                                                                \
		int r = nd_before(#name);                                \
		if (r < 0)                                               \
			return r;                                        \
		r = REAL(name) call;                                     \
		if (r >= 0)                                              \
			nd_after(#name);                                 \
		return r;                                                \
	}

WRAP_ND(ndctl_region_disable_invalidate, (region), struct ndctl_region *region)
WRAP_ND(ndctl_region_enable, (region), struct ndctl_region *region)
WRAP_ND(ndctl_dimm_init_labels, (dimm, v), struct ndctl_dimm *dimm, enum ndctl_namespace_version v)
WRAP_ND(ndctl_namespace_set_uuid, (ndns, uu), struct ndctl_namespace *ndns, uuid_t uu)
WRAP_ND(ndctl_namespace_set_alt_name, (ndns, name), struct ndctl_namespace *ndns, const char *name)
WRAP_ND(ndctl_namespace_set_size, (ndns, size), struct ndctl_namespace *ndns, unsigned long long size)
WRAP_ND(ndctl_namespace_set_enforce_mode, (ndns, mode), struct ndctl_namespace *ndns,
	enum ndctl_namespace_mode mode)
WRAP_ND(ndctl_namespace_disable_invalidate, (ndns), struct ndctl_namespace *ndns)
WRAP_ND(ndctl_namespace_disable_safe, (ndns), struct ndctl_namespace *ndns)
WRAP_ND(ndctl_namespace_enable, (ndns), struct ndctl_namespace *ndns)
WRAP_ND(ndctl_namespace_set_raw_mode, (ndns, raw), struct ndctl_namespace *ndns, int raw)
WRAP_ND(ndctl_pfn_set_namespace, (pfn, ndns), struct ndctl_pfn *pfn, struct ndctl_namespace *ndns)
WRAP_ND(ndctl_pfn_enable, (pfn), struct ndctl_pfn *pfn)
WRAP_ND(ndctl_dax_set_namespace, (dax, ndns), struct ndctl_dax *dax, struct ndctl_namespace *ndns)
WRAP_ND(ndctl_dax_enable, (dax), struct ndctl_dax *dax)
WRAP_ND(ndctl_btt_enable, (btt), struct ndctl_btt *btt)
