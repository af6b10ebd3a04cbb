/*
 * rbs-rogue: a compromised peer device. It stands in for rbpd on its own
 * device's rbsd (the attacker owns that device; its rbsd and the
 * channel's TLS are genuine) and sends the other device whatever it
 * likes, for the attack tests of what a peer may put into a device
 * (tests/integration/attack_users.sh).
 *
 *   rbs-rogue -r RUNDIR -s SERVICE -b BACKUP_ID [-e ENTRY]... [-f COUNT]
 *             [-o STATUS] [-V VERSION] [-L EXTRA]
 *
 * -e "arp|nd ADDRESS KEY_IF RECORD_IF MAC [BACKUP_ID]": an ARP or ND user
 *    whose key names ADDRESS on KEY_IF and whose record names RECORD_IF
 *    and MAC (and BACKUP_ID, default -b's): any of them may lie.
 * -f COUNT: then COUNT distinct dhcp-server users (keys "rogue-N", odd
 *    MACs, interface eth1, 32-byte payloads), as fast as credit allows.
 *
 * Versions are an hour ahead of the clock, so that every entry wins over
 * what the other device holds; -V sets them all to VERSION instead (the
 * pin attack: 18446744073709551615, a version nothing could ever beat).
 * Everything goes live, once; a batch request is answered with a batch
 * of the -e entries alone, whose begin and end claim EXTRA more entries
 * than it holds with -L (the lying batch: the other side must not sweep
 * the users that "did not arrive"). Every 100 ms STATUS gets one line:
 * "attached=0|1 up=0|1 sent=N". SIGTERM or SIGINT ends it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "rbpd/rbp_rec.h"
#include "rbpd/user_table.h"
#include "rbs.pb-c.h"
#include "tests/tools/feeder_link.h"

#define PER_MSG 256
#define MAX_ENTRIES 64

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct ent {
	enum ut_svc type;
	uint8_t key[16 + RBP_IFNAME_MAX];
	size_t klen;
	uint8_t rec[64];
	size_t rlen;
};

struct rogue {
	struct feeder_link link;
	const char *service, *status;
	uint32_t backup_id;
	struct ent e[MAX_ENTRIES];
	size_t ne, next_e;
	uint64_t flood, next_f, sent;
	uint64_t version; /* -V; 0: an hour ahead of the clock */
	uint64_t lie;	  /* -L: entries the batch markers claim beyond those sent */
	bool batch_pending;
};

static int parse_entry(struct rogue *r, const char *spec)
{
	char type[8], addr[64], kif[32], rif[32], mac[32];
	unsigned bid = r->backup_id;
	struct ent *e = &r->e[r->ne];
	struct rbp_user u = {0};
	uint8_t a[16] = {0};
	int family, n;

	if (r->ne == MAX_ENTRIES ||
	    sscanf(spec, "%7s %63s %31s %31s %31s %u", type, addr, kif, rif, mac, &bid) < 5)
		return -EINVAL;
	family = strcmp(type, "arp") == 0 ? AF_INET : strcmp(type, "nd") == 0 ? AF_INET6 : -1;
	if (family < 0 || inet_pton(family, addr, a) != 1 || mac_parse(mac, u.mac) < 0 ||
	    strlen(rif) > RBP_IFNAME_MAX)
		return -EINVAL;
	e->type = family == AF_INET ? UT_SVC_ARP : UT_SVC_ND;
	n = rbp_rec_neigh_key(family, a, kif, e->key);
	if (n < 0)
		return n;
	e->klen = (size_t)n;
	u.backup_id = bid;
	strcpy(u.ifname, rif);
	n = rbp_rec_encode(&u, e->rec, sizeof(e->rec));
	if (n < 0)
		return n;
	e->rlen = (size_t)n;
	r->ne++;
	return 0;
}

/* Sends up to PER_MSG entries: the -e ones (all of them when batch),
 * then the flood. Returns how many. */
static size_t send_some(struct rogue *r, bool batch, size_t *bi)
{
	static Db__RbsEntry es[PER_MSG];
	static Db__RbsEntry *ep[PER_MSG];
	static uint8_t keys[PER_MSG][32], recs[PER_MSG][64];
	size_t n = 0;

	while (n < PER_MSG && feeder_link_may_send(&r->link, 32, 64)) {
		Db__RbsEntry *x = &es[n];

		db__rbs_entry__init(x);
		x->op = DB__RBS_OP__RBS_OP_ADD;
		/* an hour ahead: newer than anything the other device holds */
		x->version = r->version ? r->version : ((uint64_t)time(NULL) + 3600) * 1000000u;
		if (batch ? *bi < r->ne : r->next_e < r->ne) {
			struct ent *e = &r->e[batch ? (*bi)++ : r->next_e++];

			x->type = (Db__RbsServiceType)e->type;
			x->key.data = e->key;
			x->key.len = e->klen;
			x->payload.data = e->rec;
			x->payload.len = e->rlen;
		} else if (!batch && r->next_f < r->flood) {
			struct rbp_user u = {.backup_id = r->backup_id};
			uint64_t i = r->next_f++;
			uint8_t data[32];
			int len;

			/* odd MACs: the other device is backup for them, it keeps them */
			u.mac[0] = 0x02;
			u.mac[1] = 0xee;
			u.mac[2] = (uint8_t)(i >> 23);
			u.mac[3] = (uint8_t)(i >> 15);
			u.mac[4] = (uint8_t)(i >> 7);
			u.mac[5] = (uint8_t)(i << 1 | 1);
			strcpy(u.ifname, "eth1");
			memset(data, 'x', sizeof(data));
			u.data = data;
			u.data_len = sizeof(data);
			len = rbp_rec_encode(&u, recs[n], sizeof(recs[n]));
			if (len < 0)
				break;
			x->type = DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER;
			x->key.data = keys[n];
			x->key.len =
			    (size_t)snprintf((char *)keys[n], sizeof(keys[n]), "rogue-%" PRIu64, i);
			x->payload.data = recs[n];
			x->payload.len = (size_t)len;
		} else {
			break;
		}
		feeder_link_spend(&r->link, x->key.len, x->payload.len);
		ep[n++] = x;
	}
	if (n == 0)
		return 0;
	feeder_link_send_entries(&r->link, ep, n);
	r->sent += n;
	return n;
}

static void pump(struct rogue *r)
{
	if (r->batch_pending && feeder_link_may_send(&r->link, 32, 64)) {
		Db__RbsLocal m = DB__RBS_LOCAL__INIT;
		Db__RbsBatchBegin b = DB__RBS_BATCH_BEGIN__INIT;
		Db__RbsBatchEnd e = DB__RBS_BATCH_END__INIT;
		size_t bi = 0;

		b.types = r->link.batch_types;
		b.n_types = r->link.n_batch_types;
		b.count = r->ne + r->lie;
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_BEGIN;
		m.batch_begin = &b;
		feeder_link_send(&r->link, &m);
		while (bi < r->ne && send_some(r, true, &bi) > 0)
			;
		e.types = r->link.batch_types;
		e.n_types = r->link.n_batch_types;
		e.count = bi + r->lie;
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_END;
		m.batch_end = &e;
		feeder_link_send(&r->link, &m);
		r->batch_pending = false;
	}
	while (send_some(r, false, NULL) > 0)
		;
}

/* What the link does not take itself (feeder_link_poll()). */
static void received(const Db__RbsLocal *m, void *arg)
{
	struct rogue *r = arg;

	if (m->body_case == DB__RBS_LOCAL__BODY_BATCH_REQUEST)
		r->batch_pending = r->link.n_batch_types > 0;
}

static void write_status(const struct rogue *r)
{
	char tmp[600];
	FILE *o;

	snprintf(tmp, sizeof(tmp), "%s.tmp", r->status);
	o = fopen(tmp, "w");
	if (o == NULL)
		return;
	fprintf(o, "attached=%d up=%d sent=%" PRIu64 "\n", r->link.attached, r->link.up, r->sent);
	fclose(o);
	rename(tmp, r->status);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct rogue r = {.backup_id = 0};
	const char *rundir = NULL, *specs[MAX_ENTRIES];
	size_t nspecs = 0;
	int c;
	uint64_t last_status = 0;

	while ((c = getopt(argc, argv, "r:s:b:e:f:o:V:L:")) != -1) {
		switch (c) {
		case 'r':
			rundir = optarg;
			break;
		case 's':
			r.service = optarg;
			break;
		case 'b':
			r.backup_id = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'e':
			if (nspecs < MAX_ENTRIES)
				specs[nspecs++] = optarg;
			break;
		case 'f':
			r.flood = strtoull(optarg, NULL, 10);
			break;
		case 'o':
			r.status = optarg;
			break;
		case 'V':
			r.version = strtoull(optarg, NULL, 10);
			break;
		case 'L':
			r.lie = strtoull(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: rbs-rogue -r RUNDIR -s SERVICE -b BACKUP_ID "
					"[-e ENTRY]... [-f COUNT] [-o STATUS] [-V VERSION] [-L EXTRA]\n");
			return 2;
		}
	}
	if (rundir == NULL || r.service == NULL || r.backup_id == 0) {
		fprintf(stderr, "rbs-rogue: -r, -s and -b are required\n");
		return 2;
	}
	for (size_t i = 0; i < nspecs; i++)
		if (parse_entry(&r, specs[i]) < 0) {
			fprintf(stderr, "rbs-rogue: bad entry: %s\n", specs[i]);
			return 2;
		}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (feeder_link_open(&r.link, rundir, "rbs-rogue", r.service) < 0) {
		fprintf(stderr, "rbs-rogue: cannot connect: %s\n", zmq_strerror(errno));
		return 1;
	}
	while (!stop) {
		uint64_t now = now_ms();

		feeder_link_attach(&r.link, now);
		feeder_link_poll(&r.link, 20, received, &r);
		pump(&r);
		if (r.status && now - last_status >= 100) {
			write_status(&r);
			last_status = now;
		}
	}
	if (r.status)
		write_status(&r);
	feeder_link_close(&r.link);
	return 0;
}
