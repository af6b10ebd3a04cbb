#include "kea/kea_role.h"

#include <string.h>

const struct kr_binding *kr_decide(const struct kr_table *t, const uint8_t mac[6],
				   const char *iface)
{
	const struct kr_binding *first = NULL;
	bool odd = mac[5] & 1;

	for (size_t i = 0; i < t->n && i < KR_MAX; i++) {
		const struct kr_binding *b = &t->b[i];

		if (b->odd != odd)
			continue;
		if (iface && *iface && strcmp(b->ifname, iface) == 0)
			return b;
		if (first == NULL)
			first = b;
	}
	return first;
}

bool kr_answers(const struct kr_table *t, const uint8_t mac[6], const char *iface)
{
	const struct kr_binding *b;

	if (!t->known)
		return false;
	b = kr_decide(t, mac, iface);
	return b == NULL || b->master;
}

bool kr_lease_keas(const struct kr_binding *b, uint64_t cltt)
{
	/* Kea writes cltt in whole seconds: a lease of the takeover's own
	 * second may be after it, and counts as Kea's */
	return b->restored_at_ms == 0 || cltt >= b->restored_at_ms / 1000;
}

bool kr_any_master(const struct kr_table *t)
{
	if (!t->known)
		return false;
	for (size_t i = 0; i < t->n && i < KR_MAX; i++)
		if (t->b[i].master)
			return true;
	return false;
}
