/*
 * The Prometheus text exposition of the suite's state: a pure function
 * from the daemons' JSON displays (docs/json.md) to metric lines
 * (docs/metrics.md). No I/O but the stream it writes to, so tests and the
 * fuzzer drive it with documents of their own.
 */
#ifndef DB_METRICS_H
#define DB_METRICS_H

#include <json-c/json.h>
#include <stdio.h>

/* What one scrape gathered; a NULL document is a source that did not
 * answer (its metrics are left out, dualbackup_scrape_ok says so). */
struct metrics_in {
	struct json_object *vrrp; /* display vrrp json */
	struct json_object *rbs;  /* display remote-backup-service json */
	struct json_object *rbp;  /* display remote-backup-profile json */
	struct json_object *sync; /* display configuration sync json */
	struct json_object *bfd;  /* display bfd session json (vrrpd) */
};

/* Write every metric of `in` to f, each family with its HELP and TYPE.
 * Values of unexpected types count as absent. Returns 0, or -EIO when f
 * failed. */
int metrics_render(FILE *f, const struct metrics_in *in);

#endif
