/*
 * keys-lookup FILE KEY_ID RUNS: times the keys-file API the way winrescue uses it
 * (load and index the whole export once, then look one Key ID up), RUNS times,
 * and prints the medians in milliseconds:
 *   load_ms=... lookup_us=... total_ms=... rows=... found=...
 * Built by bench/run against the library; not part of the test suite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "winrescue/keys_file.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc != 4 || atoi(argv[3]) < 1) {
		fprintf(stderr, "usage: keys-lookup FILE KEY_ID RUNS\n");
		return 2;
	}
	int runs = atoi(argv[3]);
	double *load = calloc((size_t)runs, sizeof(double));
	double *lookup = calloc((size_t)runs, sizeof(double));
	double *total = calloc((size_t)runs, sizeof(double));
	size_t rows = 0, found = 0;
	if (!load || !lookup || !total)
		return 1;
	for (int i = 0; i < runs; i++) {
		struct wr_keys_file *kf = NULL;
		char *msg = NULL;
		double t0 = now_ms();
		if (wr_keys_file_load(argv[1], &kf, &msg)) {
			fprintf(stderr, "keys-lookup: %s\n", msg ? msg : "cannot load");
			return 1;
		}
		double t1 = now_ms();
		const struct wr_recovery_key *keys[4];
		found = wr_keys_file_lookup(kf, argv[2], keys, 4);
		double t2 = now_ms();
		rows = wr_keys_file_count(kf);
		wr_keys_file_free(kf);
		load[i] = t1 - t0;
		lookup[i] = (t2 - t1) * 1e3;
		total[i] = t2 - t0;
	}
	printf("load_ms=%.2f lookup_us=%.2f total_ms=%.2f rows=%zu found=%zu\n",
	       median(load, runs), median(lookup, runs), median(total, runs), rows, found);
	free(load);
	free(lookup);
	free(total);
	return 0;
}
