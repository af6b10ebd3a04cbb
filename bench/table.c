/*
 * The user table's speed and memory: for N = 10,000, 100,000 and
 * 1,000,000 entries (16-byte key, 64-byte payload), the insert rate, the
 * lookup rate (random order), the cost of the digest (reading it, and
 * recomputing it from every entry as a check would), a full cursor walk
 * (a batch backup), the latency of single inserts (the table grows in
 * steps, never in one long rehash; the maximum also catches the scheduler
 * and page faults, so the slowest insert that started a growth is shown
 * apart), and the memory per entry beyond its 80 bytes
 * of key and payload: from the resident set size (/proc/self/statm), from
 * malloc's own count (mallinfo2) and from the table's (ut_mem).
 *
 *   make build/bin/bench-table
 *   build/bin/bench-table [N ...]
 *
 * or by hand, once build/gen holds the generated headers (common/svc.c
 * names the service types from rbs.proto):
 *
 *   gcc -O2 -I. -Ibuild/gen -o build-tbl/bench-table bench/table.c \
 *       rbpd/user_table*.c common/svc.c
 *
 * Each N runs in a child process of its own, so that memory freed by one
 * run does not hide the next one's growth. Each N ends with its headline
 * figures as SUMMARY lines (bench/summary.sh).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rbpd/user_table.h"

#define KEY_LEN 16
#define PAYLOAD_LEN 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_bytes(void)
{
	long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL || fscanf(f, "%ld %ld", &size, &resident) != 2) {
		perror("/proc/self/statm");
		exit(1);
	}
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

static size_t malloc_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Key i: 8 bytes that look random, then i itself, so that keys differ. */
static void make_key(uint8_t *k, uint64_t i)
{
	uint64_t h = splitmix(i);

	memcpy(k, &h, 8);
	memcpy(k + 8, &i, 8);
}

static struct ut_rec make_rec(uint8_t *key, uint8_t *payload, uint64_t i)
{
	struct ut_rec r = {
	    (enum ut_svc)(i % UT_SVC_COUNT), UT_ORIGIN_PEER, 1, key, KEY_LEN, payload, PAYLOAD_LEN};

	make_key(key, i);
	memset(payload, (int)i, PAYLOAD_LEN);
	return r;
}

static int run(size_t n)
{
	uint8_t key[KEY_LEN], payload[PAYLOAD_LEN];
	double t0, t_ins, t_look, t_read, t_recomp, t_walk, grow_worst = 0, *lat;
	long rss0, rss1;
	size_t mal0, mal1, i, found = 0, walked = 0;
	uint64_t d = 0, sum = 0;
	struct ut_table *tb;
	struct ut_cursor c;
	struct ut_mem m;
	struct ut_rec r;

	/* warm up stdio and the clock before the first measurement */
	now();
	rss0 = rss_bytes();
	mal0 = malloc_bytes();
	tb = ut_table_new(0x5eed, 1024);
	if (tb == NULL)
		return 1;
	t0 = now();
	for (i = 0; i < n; i++) {
		r = make_rec(key, payload, i);
		if (ut_upsert(tb, &r) != UT_APPLIED) {
			fprintf(stderr, "insert %zu failed\n", i);
			return 1;
		}
	}
	t_ins = now() - t0;
	rss1 = rss_bytes();
	mal1 = malloc_bytes();
	ut_mem(tb, &m);

	/* lookups in an order unrelated to insertion (i * a prime mod n) */
	t0 = now();
	for (i = 0; i < n; i++) {
		uint64_t j = (uint64_t)(((unsigned __int128)i * 2654435761u) % n);

		make_key(key, j);
		found += ut_lookup(tb, (enum ut_svc)(j % UT_SVC_COUNT), key, KEY_LEN, &r) == 0;
	}
	t_look = now() - t0;

	t0 = now();
	for (i = 0; i < 1000; i++)
		d += ut_digest(tb, UT_SVC_ALL) + i;
	t_read = (now() - t0) / 1000;

	t0 = now();
	ut_cursor_open(tb, &c, UT_SVC_ALL);
	while (ut_cursor_next(&c, &r))
		sum += ut_entry_digest(&r);
	ut_cursor_close(&c);
	t_recomp = now() - t0;

	t0 = now();
	ut_cursor_open(tb, &c, UT_SVC_ALL);
	while (ut_cursor_next(&c, &r))
		walked += r.payload_len == PAYLOAD_LEN;
	ut_cursor_close(&c);
	t_walk = now() - t0;

	if (found != n || walked != n || sum != ut_digest(tb, UT_SVC_ALL) || d == 0) {
		fprintf(stderr, "n=%zu: found %zu, walked %zu, digest %s\n", n, found, walked,
			sum == ut_digest(tb, UT_SVC_ALL) ? "ok" : "WRONG");
		return 1;
	}
	ut_table_free(tb);

	/* again, timing each insert: whether the growth steps pause */
	lat = malloc(n * sizeof(*lat));
	if (lat == NULL)
		return 1;
	tb = ut_table_new(0x5eed, 1024);
	for (i = 0; i < n; i++) {
		size_t before;

		r = make_rec(key, payload, i);
		ut_mem(tb, &m);
		before = m.buckets;
		t0 = now();
		ut_upsert(tb, &r);
		lat[i] = now() - t0;
		ut_mem(tb, &m);
		if (m.buckets > before && lat[i] > grow_worst)
			grow_worst = lat[i];
	}
	ut_table_free(tb);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("N = %zu\n", n);
	printf("  insert        %8.2f M/s  (%6.0f ns each)\n", n / t_ins / 1e6, t_ins / n * 1e9);
	printf("  one insert    median %.2f us, 99.9%% %.2f us, max %.1f us; "
	       "slowest that started a growth %.1f us\n",
	       lat[n / 2] * 1e6, lat[n - 1 - n / 1000] * 1e6, lat[n - 1] * 1e6, grow_worst * 1e6);
	printf("  lookup        %8.2f M/s  (%6.0f ns each, random order)\n", n / t_look / 1e6,
	       t_look / n * 1e9);
	printf("  digest read   %8.1f ns   (O(1), whole table)\n", t_read * 1e9);
	printf("  digest redo   %8.2f ms   (every entry hashed again, through a cursor)\n",
	       t_recomp * 1e3);
	printf("  cursor walk   %8.2f ms   (%.0f ns per entry)\n", t_walk * 1e3, t_walk / n * 1e9);
	printf("  memory per entry beyond its %d bytes of key and payload:\n",
	       KEY_LEN + PAYLOAD_LEN);
	printf("    RSS         %8.1f B   ((RSS after - RSS before) / N)\n",
	       (double)(rss1 - rss0) / n - KEY_LEN - PAYLOAD_LEN);
	printf("    mallinfo2   %8.1f B   (malloc's bytes in use, its headers included)\n",
	       (double)(mal1 - mal0) / n - KEY_LEN - PAYLOAD_LEN);
	printf("    ut_mem      %8.1f B   (%d-byte header + %.1f B of buckets; asked of malloc)\n",
	       (double)(m.entries + m.buckets) / n - KEY_LEN - PAYLOAD_LEN, UT_ENTRY_OVERHEAD,
	       (double)m.buckets / n);
	/* the headline figures (bench/summary.sh) */
	printf("SUMMARY table_insert_%zu %.3f M/s - - -\n", n, n / t_ins / 1e6);
	printf("SUMMARY table_lookup_%zu %.3f M/s - - -\n", n, n / t_look / 1e6);
	printf("SUMMARY table_rss_beyond_%zu %.1f B - - -\n", n,
	       (double)(rss1 - rss0) / n - KEY_LEN - PAYLOAD_LEN);
	fflush(stdout);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	static const size_t defaults[] = {10000, 100000, 1000000};
	int i, n = argc > 1 ? argc - 1 : 3, status, bad = 0;

	for (i = 0; i < n; i++) {
		size_t count = argc > 1 ? strtoul(argv[i + 1], NULL, 10) : defaults[i];
		pid_t pid;

		if (count == 0) {
			fprintf(stderr, "usage: %s [N ...]\n", argv[0]);
			return 2;
		}
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(run(count));
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			bad = 1;
	}
	return bad;
}
