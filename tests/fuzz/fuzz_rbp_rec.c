/*
 * libFuzzer target: a user entry from the peer as rbpd receives it. The
 * first byte picks the service type, the second splits the rest into key
 * and payload. The payload goes through rbp_rec_decode(); what decodes
 * must encode back to the same bytes and give a role; ARP and ND keys go
 * through rbp_rec_neigh_key_parse() and must rebuild the same key, and
 * then through what decides whether the kernel may have them
 * (rbp_admit.h), which must never admit a group MAC, a multicast address
 * or a key on another interface than its record; and the entry goes into
 * a user table, whose digest must stay that of its entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rbpd/rbp_admit.h"
#include "rbpd/rbp_rec.h"
#include "rbpd/user_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ut_table *t;
	struct rbp_binding b[2] = {{1, "eth1", RBP_PARITY_ODD, RBP_GROUP_MASTER},
				   {2, "eth1", RBP_PARITY_EVEN, RBP_GROUP_BACKUP}};
	struct rbp_user u;
	enum rbp_role role;
	size_t klen;

	if (t == NULL)
		t = ut_table_new(1, 1024);
	if (size < 2)
		return 0;
	klen = data[1] % 64;
	if (klen + 2 > size)
		klen = size - 2;
	{
		enum ut_svc type = (enum ut_svc)(data[0] % UT_SVC_COUNT);
		const uint8_t *key = data + 2, *pl = data + 2 + klen;
		size_t plen = size - 2 - klen;
		struct ut_rec r = {type, UT_ORIGIN_PEER, data[0], key, klen, pl, plen};

		if (rbp_rec_decode(pl, plen, &u) == 0) {
			uint8_t again[UT_PAYLOAD_MAX];
			int n = rbp_rec_encode(&u, again, sizeof(again));

			if (n != (int)plen || memcmp(again, pl, plen) != 0)
				abort();
			if (rbp_role_for_user(b, 2, u.mac, &role) != 0)
				abort();
		}
		if (type == UT_SVC_ARP || type == UT_SVC_ND) {
			int fam = type == UT_SVC_ARP ? AF_INET : AF_INET6;
			uint8_t addr[16], k2[32];
			char ifname[RBP_IFNAME_MAX + 1];

			if (rbp_rec_neigh_key_parse(fam, key, klen, addr, ifname) == 0 &&
			    (rbp_rec_neigh_key(fam, addr, ifname, k2) != (int)klen ||
			     memcmp(k2, key, klen) != 0))
				abort();
			if (rbp_rec_neigh_key_parse(fam, key, klen, addr, ifname) == 0 &&
			    rbp_rec_decode(pl, plen, &u) == 0) {
				static const char ifs[2][RBP_IFNAME_MAX + 1] = {"eth1", "eth3"};
				struct rbp_prefix p = {fam, {0}, data[0] % 129};
				enum rbp_admit a = rbp_admit_record(fam, addr, ifname, &u, ifs, 2);

				if (a == RBP_ADMIT_OK &&
				    ((u.mac[0] & 1) || strcmp(ifname, u.ifname) != 0 ||
				     (fam == AF_INET6 && addr[0] == 0xff) ||
				     (fam == AF_INET && addr[0] >= 224)))
					abort();
				memcpy(p.addr, pl, plen < 16 ? plen : 16);
				if (rbp_admit_prefix(fam, addr, &p, 1) >= RBP_ADMIT_COUNT)
					abort();
			}
		}
		if (klen > 0)
			ut_upsert(t, &r);
		if (ut_count(t, UT_SVC_ALL) > 4096)
			ut_resync_begin(t, UT_SVC_ALL, UT_ORIGIN_PEER),
			    ut_resync_end(t, UT_SVC_ALL, UT_ORIGIN_PEER);
	}
	return 0;
}
