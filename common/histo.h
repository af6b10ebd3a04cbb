/*
 * A latency histogram with fixed upper bounds, as Prometheus wants one
 * (cumulative buckets, a sum and a count), kept by a daemon and shown in
 * its JSON display, from which metricsd renders it (docs/metrics.md).
 */
#ifndef DB_HISTO_H
#define DB_HISTO_H

#include <stddef.h>
#include <stdint.h>

#define HISTO_MAX 16

struct histo {
	size_t n;
	double le[HISTO_MAX];	  /* upper bounds, ascending */
	uint64_t bucket[HISTO_MAX]; /* observations <= le[i] and > le[i-1] */
	uint64_t count;		  /* every observation, also those above le[n-1] */
	double sum;
};

/* le: n ascending upper bounds (n <= HISTO_MAX; more are ignored). */
void histo_init(struct histo *h, const double *le, size_t n);
void histo_add(struct histo *h, double v);

/* Under key in o: {"count": N, "sum": S, "buckets": [{"le": B, "count":
 * cumulative}, ...]} (docs/json.md). */
struct json_object;
void histo_json(const struct histo *h, struct json_object *o, const char *key);

#endif
