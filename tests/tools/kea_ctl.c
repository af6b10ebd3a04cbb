/*
 * kea-ctl SOCKET JSON: one command to a Kea control socket (kea/kea_ctrl.h),
 * its answer on stdout. Exits 0 when the answer's result is 0 (or 3,
 * "empty"), 1 for another result, 2 when Kea could not be asked. For the
 * tests, the demo and the benchmarks, which have no other client for it.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "kea/kea_ctrl.h"

int main(int argc, char **argv)
{
	struct json_object *a;
	int rc, r;

	if (argc != 3) {
		fprintf(stderr, "usage: kea-ctl SOCKET JSON\n");
		return 2;
	}
	rc = kc_command(argv[1], argv[2], 30000, &a);
	if (rc < 0) {
		fprintf(stderr, "kea-ctl: %s: %s\n", argv[1], strerror(-rc));
		return 2;
	}
	puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	r = kc_result(a);
	json_object_put(a);
	return r == 0 || r == 3 ? 0 : 1;
}
