/*
 * A lease as Kea writes it in JSON (Lease4/Lease6 toElement(): what the
 * hook hands over for each lease event, and what lease4-get-all and
 * lease6-get-all answer) into a struct kea_lease. Pure: json-c only.
 *
 * Decisions:
 *  - The fields are those kea_lease carries; the others (fqdn-fwd,
 *    fqdn-rev) are ignored.
 *  - Anything out of range, of the wrong JSON type or not in Kea's text
 *    form (addresses, colon-separated hex) refuses the whole lease with
 *    why, and the result must pass kea_lease_check(): the caller logs and
 *    skips it.
 */
#ifndef DB_KEA_JSON_H
#define DB_KEA_JSON_H

#include <stddef.h>

#include "kea/kea_lease.h"

struct json_object;

/* One lease object of family 4 or 6. Returns 0, or -EINVAL with why (a
 * static string). */
int kea_lease_from_json(const struct json_object *o, int family, struct kea_lease *l,
			const char **why);

/* The same from text (len bytes, no NUL needed). */
int kea_lease_from_text(const char *text, size_t len, int family, struct kea_lease *l,
			const char **why);

/* Colon-separated hex ("01:aa:0f", or "" for none) into at most cap bytes.
 * Returns the byte count or -EINVAL. */
int kea_hex_parse(const char *s, uint8_t *out, size_t cap);

#endif
