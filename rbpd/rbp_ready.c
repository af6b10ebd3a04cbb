/* The preemption gate: see rbp_ready.h. */
#include "rbpd/rbp_ready.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *rbp_ready_count(uint64_t n, char *buf, size_t len)
{
	char digits[24], out[32];
	int nd = snprintf(digits, sizeof(digits), "%" PRIu64, n);
	size_t o = 0;

	for (int i = 0; i < nd; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = 0;
	snprintf(buf, len, "%s", out);
	return buf;
}

bool rbp_ready(const struct rbp_ready_in *in, char *why, size_t len)
{
	char got[32], total[32];
	const char *s = in->service ? in->service : "?";

	if (len)
		why[0] = 0;
	if (!in->up) {
		snprintf(why, len, "remote-backup-service %s is down: the peer's users cannot come",
			 s);
		return false;
	}
	if (in->batch_running) {
		snprintf(why, len, "waiting for batch backup from %s: %s of %s", s,
			 rbp_ready_count(in->batch_got, got, sizeof(got)),
			 rbp_ready_count(in->batch_total, total, sizeof(total)));
		return false;
	}
	if (!in->batch_done) {
		snprintf(why, len, "waiting for batch backup from %s to begin", s);
		return false;
	}
	if (!in->batch_agreed) {
		snprintf(why, len,
			 "the batch backup from %s ended with tables that differ (see display "
			 "remote-backup-profile)",
			 s);
		return false;
	}
	return true;
}
