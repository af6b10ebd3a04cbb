/* Fixed-bound histograms for latencies (histo.h). */
#include "common/histo.h"

#include <string.h>

#include "common/jsonout.h"

void histo_init(struct histo *h, const double *le, size_t n)
{
	memset(h, 0, sizeof(*h));
	h->n = n > HISTO_MAX ? HISTO_MAX : n;
	memcpy(h->le, le, h->n * sizeof(le[0]));
}

void histo_add(struct histo *h, double v)
{
	for (size_t i = 0; i < h->n; i++)
		if (v <= h->le[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum += v;
}

void histo_json(const struct histo *h, struct json_object *o, const char *key)
{
	struct json_object *x = jout_obj(o, key), *b;
	uint64_t cum = 0;

	if (x == NULL)
		return;
	jout_u64(x, "count", h->count);
	json_object_object_add(x, "sum", json_object_new_double(h->sum));
	b = jout_arr(x, "buckets");
	for (size_t i = 0; i < h->n && b; i++) {
		struct json_object *e = jout_push_obj(b);

		cum += h->bucket[i];
		json_object_object_add(e, "le", json_object_new_double(h->le[i]));
		jout_u64(e, "count", cum);
	}
}
