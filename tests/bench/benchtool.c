// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * benchtool: wall-clock timings for ./dev.sh bench, inside the guest (whose
 * busybox date has no sub-second clock).
 *
 *   benchtool time CMD [ARG...]
 *	run CMD once (its output goes where benchtool's goes), then print
 *	"<seconds>" on stderr's last line as "BENCHTIME <seconds>"; exit as CMD
 *   benchtool memset DEV SIZE
 *	map SIZE bytes of a device-dax device, zero them with memset, then read
 *	them back once; print the seconds the memset took, and the memset and
 *	the read together (the plain baselines for an erase, without and with a
 *	verification)
 *   benchtool compare REPS CMD_A [ARG...] -- CMD_B [ARG...]
 *	run A and B alternately REPS times each (output to /dev/null), print
 *	"<median A> <median B> <ratio A/B>", the ratio being the median of the
 *	ratios of each pair run back to back (the machine's speed drifts; a pair
 *	shares its moment); exit 1 if any run failed
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* run argv; quiet: output to /dev/null. Returns the exit status, or -1. */
static int run(char **argv, int quiet)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
				_exit(127);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "time") == 0) {
		double t0 = now();
		int r = run(argv + 2, 0);

		fprintf(stderr, "BENCHTIME %.6f\n", now() - t0);
		return r < 0 ? 1 : r;
	}
	if (argc >= 6 && strcmp(argv[1], "compare") == 0) {
		int reps = atoi(argv[2]), sep = 0, failed = 0;
		double *a, *b, *q;

		for (int i = 3; i < argc; i++)
			if (strcmp(argv[i], "--") == 0)
				sep = i;
		if (reps < 1 || sep <= 3 || sep == argc - 1) {
			fprintf(stderr, "benchtool compare REPS A... -- B...\n");
			return 2;
		}
		argv[sep] = NULL;
		a = calloc((size_t)reps, sizeof(*a));
		b = calloc((size_t)reps, sizeof(*b));
		q = calloc((size_t)reps, sizeof(*q));
		if (!a || !b || !q)
			return 1;
		for (int i = 0; i < reps; i++) {
			double t0 = now();

			failed |= run(argv + 3, 1) != 0;
			a[i] = now() - t0;
			t0 = now();
			failed |= run(argv + sep + 1, 1) != 0;
			b[i] = now() - t0;
			q[i] = a[i] / b[i];
		}
		printf("%.6f %.6f %.3f\n", median(a, reps), median(b, reps), median(q, reps));
		free(a);
		free(b);
		free(q);
		return failed;
	}
	if (argc == 4 && strcmp(argv[1], "memset") == 0) {
		size_t size = strtoull(argv[3], NULL, 0);
		int fd = open(argv[2], O_RDWR | O_CLOEXEC);
		void *map = fd < 0 ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		double t0, t1;

		if (map == MAP_FAILED) {
			perror(argv[2]);
			return 1;
		}
		t0 = now();
		memset(map, 0, size);
		t1 = now();
		{
			const volatile uint64_t *w = map;
			uint64_t acc = 0;

			for (size_t i = 0; i < size / sizeof(*w); i++)
				acc |= w[i];
			if (acc)
				fprintf(stderr, "benchtool: %s reads back non-zero after the memset\n", argv[2]);
		}
		printf("%.6f %.6f\n", t1 - t0, now() - t0);
		munmap(map, size);
		close(fd);
		return 0;
	}
	fprintf(stderr, "usage: benchtool time CMD... | memset DEV SIZE | compare REPS A... -- B...\n");
	return 2;
}
