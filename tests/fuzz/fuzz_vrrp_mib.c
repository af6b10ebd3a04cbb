/* libFuzzer: the VRRPv3-MIB from arbitrary JSON (agentx/vrrp_mib.c), as
 * vrrpd might answer anything: rows, the follow-up of a previous snapshot
 * (the first half of the input, up to a NUL) and the instances, walked
 * with GET and GETNEXT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentx/vrrp_mib.h"

/* any name has an ifindex, from its first byte (0: none) */
static unsigned fake_ifindex(const char *name, void *arg)
{
	(void)arg;
	return (unsigned char)name[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 2), *second;
	struct json_object *d1, *d2;
	struct vrrp_mib prev = {0}, cur = {0};
	struct vrrp_mib_var *vars = NULL;
	size_t n = 0;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = copy[size + 1] = 0;
	second = copy + strlen(copy) + 1;
	d1 = json_tokener_parse(copy);
	d2 = json_tokener_parse(second);
	vrrp_mib_from_json(d1, fake_ifindex, NULL, &prev);
	if (vrrp_mib_from_json(d2, fake_ifindex, NULL, &cur) == 0) {
		vrrp_mib_follow(&prev, &cur);
		if (vrrp_mib_vars(&cur, 1000, 1000, &vars, &n) == 0) {
			const struct vrrp_mib_var *v;
			uint32_t root[] = {VRRP_MIB_OID};
			size_t walked = 0;

			for (v = vrrp_mib_next(vars, n, root, VRRP_MIB_OID_LEN); v;
			     v = vrrp_mib_next(vars, n, v->oid, v->oid_len)) {
				if (vrrp_mib_get(vars, n, v->oid, v->oid_len) != v)
					abort();
				walked++;
			}
			if (walked != n)
				abort();
			free(vars);
		}
	}
	vrrp_mib_free(&prev);
	vrrp_mib_free(&cur);
	json_object_put(d1);
	json_object_put(d2);
	free(copy);
	return 0;
}
