// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daxtool: a test helper for device-dax nodes, which cannot be read() or
 * write()n, only mapped. Used inside the test VM to check vpmem-host's work
 * independently of it.
 *   daxtool write DEV TAG     put TAG at the start and in the last page
 *   daxtool scatter DEV       a non-zero byte at the end of every 64 KiB (where
 *                             an erase that skips zero chunks finds it last),
 *                             and a MiB of 0xa5 in the middle
 *   daxtool read DEV          print the tag at the start
 *   daxtool zero DEV          exit 0 only if every byte is zero
 *   daxtool sum DEV           a checksum of every byte (FNV-1a, 64 bits)
 *   daxtool hold DEV [mapped] keep it open and mapped, as QEMU does, until
 *                             killed ("mapped": the mapping alone, the file
 *                             descriptor closed); says "holding" when it does
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long long dev_size(const char *dev)
{
	char path[256];
	unsigned long long size = 0;
	const char *base = strrchr(dev, '/');
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/size", base ? base + 1 : dev);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &size) != 1)
		size = 0;
	if (f)
		fclose(f);
	return size;
}

/*
 * Device-dax has no fsync: msync() of its mapping fails with EINVAL (seen on
 * x86 and POWER alike), and the stores are the writes. Unmapping is all
 * there is to finish; its failure is said.
 */
static int finished(void *map, unsigned long long size)
{
	if (munmap(map, size) == 0)
		return 0;
	perror("munmap");
	return 1;
}

int main(int argc, char **argv)
{
	unsigned long long size;
	unsigned char *map;
	int fd;

	if (argc < 3 || (strcmp(argv[1], "write") == 0 && argc != 4)) {
		fprintf(stderr, "usage: daxtool write DEV TAG | scatter DEV | read DEV | zero DEV | sum DEV | "
				"hold DEV [mapped]\n");
		return 2;
	}
	size = dev_size(argv[2]);
	fd = open(argv[2], O_RDWR);
	if (!size || fd < 0) {
		perror(argv[2]);
		return 2;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	if (strcmp(argv[1], "write") == 0) {
		size_t len = strlen(argv[3]) + 1;

		memcpy(map, argv[3], len);
		memcpy(map + size - 4096, argv[3], len);
		return finished(map, size);
	}
	if (strcmp(argv[1], "scatter") == 0) {
		for (unsigned long long off = 65535; off < size; off += 65536)
			map[off] = (unsigned char)(off >> 16 | 1);
		if (size >= (4ULL << 20))
			memset(map + size / 2, 0xa5, 1 << 20);
		return finished(map, size);
	}
	if (strcmp(argv[1], "read") == 0) {
		printf("%.64s\n", (char *)map);
		return 0;
	}
	if (strcmp(argv[1], "sum") == 0) {
		uint64_t h = 14695981039346656037ULL;

		for (unsigned long long i = 0; i < size; i++)
			h = (h ^ map[i]) * 1099511628211ULL;
		printf("%016llx\n", (unsigned long long)h);
		return 0;
	}
	if (strcmp(argv[1], "hold") == 0) {
		if (argc > 3 && strcmp(argv[3], "mapped") == 0)
			close(fd);
		printf("holding %s\n", argv[2]);
		fflush(stdout);
		for (;;)
			pause();
	}
	if (strcmp(argv[1], "zero") == 0) {
		for (unsigned long long i = 0; i < size; i++)
			if (map[i]) {
				printf("%s: non-zero byte at offset %llu\n", argv[2], i);
				return 1;
			}
		return 0;
	}
	return 2;
}
