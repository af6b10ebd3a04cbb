/* libFuzzer: metrics_render over arbitrary JSON documents, five of them
 * separated by NUL bytes (vrrp, rbs, rbp, sync, bfd), as a daemon might answer
 * anything. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metricsd/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *docs[5] = {0};
	char *copy = malloc(size + 1), *p = copy, *text = NULL;
	size_t len = 0;
	FILE *f;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	for (int i = 0; i < 5 && p <= copy + size; i++) {
		docs[i] = json_tokener_parse(p);
		p += strlen(p) + 1;
	}
	f = open_memstream(&text, &len);
	if (f) {
		struct metrics_in in = {docs[0], docs[1], docs[2], docs[3], docs[4]};

		metrics_render(f, &in);
		fclose(f);
	}
	free(text);
	for (int i = 0; i < 5; i++)
		json_object_put(docs[i]);
	free(copy);
	return 0;
}
