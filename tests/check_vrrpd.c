/*
 * vrrpd's shell, run in process: a struct vrrpd started on a loop of the
 * test's own (vrrpd_init(), as service_main() starts the daemon),
 * configured as cfgd configures it (a packed Db__VrrpdConfig through
 * vrrpd_check() and vrrpd_apply(), PREPARE and COMMIT), on v0, one end of
 * a veth pair in a network namespace of the test's own. The other end, v1,
 * is the segment: what vrrpd sends is captured there with a packet socket
 * and parsed as a neighbour would read it (vrrp_pkt_parse() for
 * advertisements), and what another router would send is injected there.
 * What the tests assert is what a user sees: frames on the wire, addresses
 * on the interface, `display vrrp` (text and JSON), the events on
 * RUNDIR/vrrpd-events.ipc and what the notify script is told.
 *
 * Each test unshares its own network namespace in check's forked child
 * (setup()); main() leaves them out where that is not allowed (not root).
 * Every wait is bounded (WAIT_MS) and runs the loop until what is awaited
 * happens; only "nothing happens" is watched for a fixed time (QUIET_MS).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bfd/bfd_pkt.h"
#include "common/bus.h"
#include "common/daemon.h"
#include "tests/lib/cfgcommit.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/jcheck.h"
#include "tests/lib/loopwait.h"
#include "tests/lib/netns.h"
#include "tests/lib/standin.h"
#include "vrrpd/vrrpd.h"

#define ADV_MS 20    /* the groups' advertisement interval */
#define WAIT_MS 3000 /* the bound of every wait for what must happen */
#define QUIET_MS 200 /* how long what must not happen is watched for */
#define GARP_COUNT 2 /* announcements on becoming master */
#define GARP_GAP_MS 20

#define VIP "192.0.2.100"
#define VIP6 "2001:db8::100"
#define PEER "192.0.2.9" /* another router's address on the segment */
#define PEER6 "fe80::9"

/* ---- what is seen on the segment (v1) ---------------------------------- */

enum seen_kind { SEEN_ADVERT, SEEN_GARP, SEEN_NA };

struct seen {
	enum seen_kind kind;
	int family;
	uint8_t src_mac[6], dst_mac[6];
	int ttl; /* TTL / hop limit */
	union vrrp_addr src, dst;
	/* adverts: as vrrp_pkt_parse() reads them (with the pseudo-header) */
	int parse_rc;
	struct vrrp_pkt p;
	/* GARP: the sender's addresses; NA: the target and its lladdr option */
	union vrrp_addr target;
	uint8_t lladdr[6];
	bool override;
};

#define SEEN_MAX 256
#define EVENTS_MAX 64

struct event {
	char ifname[IF_NAMESIZE];
	unsigned vrid;
	bool ipv6;
	Db__VrrpState from, to;
	char reason[96];
	uint64_t takeover, seq;
};

/* One test's world; each test is a process of its own. */
static struct {
	uv_loop_t loop;
	void *zctx;
	struct vrrpd d;
	bool stopped; /* vrrpd_stop() ran */
	char rundir[64];
	unsigned if0, if1;
	uint8_t mac0[6];
	int cap; /* packet socket on v1: what vrrpd sends */
	int inj; /* packet socket: what another router sends, from v1 */
	uv_poll_t cap_poll;
	struct loopwait lw;   /* the waits (tests/lib/loopwait.h) */
	struct bus_sock *sub; /* RUNDIR/vrrpd-events.ipc */
	size_t nseen;	      /* frames seen (only the first SEEN_MAX kept) */
	size_t nevents;
	size_t nbfd; /* BfdEvents */
	char bfd_last[64];
} T;

static struct seen seen[SEEN_MAX];
static struct event events[EVENTS_MAX];

static uint64_t mono_ms(void)
{
	return loopwait_ms();
}

/* One turn of the loop, which returns at end at the latest; false once
 * end has passed. */
static bool turn(uint64_t end)
{
	return loopwait_turn(&T.lw, end);
}

/* Runs the loop until cond holds, for ms at most; whether it held. */
#define UNTIL(cond, ms) LOOPWAIT_UNTIL(&T.lw, cond, ms)
#define WAIT(cond) ck_assert_msg(UNTIL(cond, WAIT_MS), "not within %d ms: %s", WAIT_MS, #cond)

/* Runs the loop for ms: what must not happen meanwhile is checked after. */
static void run_for(unsigned ms)
{
	loopwait_run_for(&T.lw, ms);
}

static void parse_frame(const uint8_t *f, size_t n)
{
	struct seen *s = &seen[T.nseen < SEEN_MAX ? T.nseen : SEEN_MAX - 1];
	uint16_t type;

	if (n < 14)
		return;
	memset(s, 0, sizeof(*s));
	memcpy(s->dst_mac, f, 6);
	memcpy(s->src_mac, f + 6, 6);
	type = (uint16_t)(f[12] << 8 | f[13]);
	f += 14;
	n -= 14;
	if (type == ETH_P_ARP && n >= 28 && f[7] == 1 && memcmp(f + 14, f + 24, 4) == 0) {
		/* RFC 5227 3: a request whose sender and target are the address */
		s->kind = SEEN_GARP;
		s->family = AF_INET;
		memcpy(s->lladdr, f + 8, 6);
		memcpy(&s->target, f + 14, 4);
	} else if (type == ETH_P_IP && n >= 20 && f[9] == VRRP_PKT_PROTO) {
		size_t hl = (size_t)(f[0] & 0xf) * 4, tot = (size_t)(f[2] << 8 | f[3]);

		if (tot > n || hl > tot)
			return;
		s->kind = SEEN_ADVERT;
		s->family = AF_INET;
		s->ttl = f[8];
		memcpy(&s->src, f + 12, 4);
		memcpy(&s->dst, f + 16, 4);
		s->parse_rc = vrrp_pkt_parse(f + hl, tot - hl, AF_INET, &s->src, &s->dst,
					     VRRP_CSUM_PSEUDO, &s->p, NULL);
	} else if (type == ETH_P_IPV6 && n >= 40) {
		size_t plen = (size_t)(f[4] << 8 | f[5]);

		if (40 + plen > n)
			return;
		s->family = AF_INET6;
		s->ttl = f[7];
		memcpy(&s->src, f + 8, 16);
		memcpy(&s->dst, f + 24, 16);
		if (f[6] == VRRP_PKT_PROTO) {
			s->kind = SEEN_ADVERT;
			s->parse_rc = vrrp_pkt_parse(f + 40, plen, AF_INET6, &s->src, &s->dst,
						     VRRP_CSUM_PSEUDO, &s->p, NULL);
		} else if (f[6] == IPPROTO_ICMPV6 && plen >= 32 && f[40] == ND_NEIGHBOR_ADVERT) {
			s->kind = SEEN_NA;
			s->override = (f[44] & 0x20) != 0;
			memcpy(&s->target, f + 48, 16);
			if (f[64] == ND_OPT_TARGET_LINKADDR)
				memcpy(s->lladdr, f + 66, 6);
		} else {
			return; /* MLD, router solicitations: not vrrpd's */
		}
	} else {
		return;
	}
	T.nseen++;
}

static void on_capture(uv_poll_t *h, int status, int revents)
{
	uint8_t f[2048];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	(void)h;
	(void)status;
	(void)revents;
	while ((n = recvfrom(T.cap, f, sizeof(f), 0, (struct sockaddr *)&from, &fl)) > 0) {
		if (from.sll_pkttype != PACKET_OUTGOING) /* not what the test injects */
			parse_frame(f, (size_t)n);
		fl = sizeof(from);
	}
}

static const struct seen *seen_at(size_t i)
{
	ck_assert_uint_lt(i, SEEN_MAX);
	return &seen[i];
}

static bool addr_is(int family, const union vrrp_addr *a, const char *text)
{
	union vrrp_addr b;

	ck_assert_int_eq(inet_pton(family, text, &b), 1);
	return memcmp(a, &b, family == AF_INET ? 4 : 16) == 0;
}

/* Frames of kind seen since index from: advertisements of vrid with
 * priority prio (-1: any), announcements of addr (NULL: any). */
static size_t count(size_t from, enum seen_kind kind, int family, unsigned vrid, int prio,
		    const char *addr)
{
	size_t n = 0;

	for (size_t i = from; i < T.nseen && i < SEEN_MAX; i++) {
		const struct seen *s = &seen[i];

		if (s->kind != kind || s->family != family)
			continue;
		if (kind == SEEN_ADVERT &&
		    (s->parse_rc != 0 || s->p.vrid != vrid || (prio >= 0 && s->p.priority != prio)))
			continue;
		if (kind != SEEN_ADVERT && addr && !addr_is(family, &s->target, addr))
			continue;
		n++;
	}
	return n;
}

#define ADVERTS(from, vrid, prio) count(from, SEEN_ADVERT, AF_INET, vrid, prio, NULL)
#define ADVERTS6(from, vrid, prio) count(from, SEEN_ADVERT, AF_INET6, vrid, prio, NULL)
#define GARPS(from, addr) count(from, SEEN_GARP, AF_INET, 0, -1, addr)
#define NAS(from, addr) count(from, SEEN_NA, AF_INET6, 0, -1, addr)

/* The last advertisement of vrid seen. */
static const struct seen *last_advert(int family, unsigned vrid)
{
	for (size_t i = T.nseen < SEEN_MAX ? T.nseen : SEEN_MAX; i-- > 0;)
		if (seen[i].kind == SEEN_ADVERT && seen[i].family == family &&
		    seen[i].parse_rc == 0 && seen[i].p.vrid == vrid)
			return &seen[i];
	ck_abort_msg("no advertisement of vrid %u seen", vrid);
	return NULL;
}

/* ---- what another router sends (from v1) ------------------------------- */

static struct vrrp_pkt advert(int family, unsigned vrid, unsigned prio, unsigned interval_cs,
			      const char *vip)
{
	struct vrrp_pkt p = {.family = family,
			     .version = 3,
			     .type = VRRP_PKT_TYPE_ADVERTISEMENT,
			     .vrid = (uint8_t)vrid,
			     .priority = (uint8_t)prio,
			     .naddr = 1,
			     .max_adver_int = (uint16_t)interval_cs};

	ck_assert_int_eq(
	    inet_pton(family, vip,
		      family == AF_INET ? (void *)&p.addr.v4[0] : (void *)&p.addr.v6[0]),
	    1);
	return p;
}

static uint16_t ip_csum(const uint8_t *h, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An IPv4 packet of protocol proto from src to dst with TTL ttl, sent on
 * v1 to the MAC dst_mac: what another router on the segment sends. */
static void inject_ip4(const char *src, const char *dst, const uint8_t dst_mac[6], int ttl,
		       uint8_t proto, const uint8_t *payload, size_t len)
{
	uint8_t f[1500] = {0x45};
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_IP),
				 .sll_ifindex = (int)T.if1,
				 .sll_halen = 6};
	uint16_t tot = (uint16_t)(20 + len), c;

	ck_assert_uint_le(len, sizeof(f) - 20);
	memcpy(to.sll_addr, dst_mac, 6);
	f[2] = (uint8_t)(tot >> 8);
	f[3] = (uint8_t)tot;
	f[8] = (uint8_t)ttl;
	f[9] = proto;
	ck_assert_int_eq(inet_pton(AF_INET, src, f + 12), 1);
	ck_assert_int_eq(inet_pton(AF_INET, dst, f + 16), 1);
	c = ip_csum(f, 20);
	f[10] = (uint8_t)(c >> 8);
	f[11] = (uint8_t)c;
	memcpy(f + 20, payload, len);
	ck_assert_int_eq(sendto(T.inj, f, tot, 0, (struct sockaddr *)&to, sizeof(to)), tot);
}

/* Another router's advertisement p, from src with TTL ttl (IPv6: hop
 * limit 255, vrrp_net_send6_link()). */
static void inject(const struct vrrp_pkt *p, const char *src, int ttl)
{
	static const uint8_t mcast4_mac[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};
	uint8_t buf[VRRP_PKT_MAX_LEN];
	union vrrp_addr s, dst;
	int n;

	ck_assert_int_eq(inet_pton(p->family, src, &s), 1);
	ck_assert_int_eq(
	    inet_pton(p->family, p->family == AF_INET ? "224.0.0.18" : "ff02::12", &dst), 1);
	n = vrrp_pkt_build(buf, sizeof(buf), p, p->family, &s, &dst, VRRP_CSUM_PSEUDO);
	ck_assert_int_gt(n, 0);
	if (p->family == AF_INET)
		inject_ip4(src, "224.0.0.18", mcast4_mac, ttl, VRRP_PKT_PROTO, buf, (size_t)n);
	else
		ck_assert_int_eq(vrrp_net_send6_link(T.inj, T.if1, &s.v6, buf, (size_t)n), 0);
}

/* ---- the events vrrpd publishes ------------------------------------------ */

static void on_event(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	Db__Envelope *env;

	(void)s;
	(void)arg;
	ck_assert_int_eq(n, 1);
	env = bus_unpack(parts[0].data, parts[0].len);
	ck_assert_ptr_nonnull(env);
	ck_assert_int_eq(env->sender, DB__ROLE__ROLE_VRRPD);
	if (env->type == DB__MSG_TYPE__MSG_VRRP_EVENT) {
		Db__VrrpEvent *ev =
		    db__vrrp_event__unpack(NULL, env->payload.len, env->payload.data);
		struct event *e = &events[T.nevents < EVENTS_MAX ? T.nevents : EVENTS_MAX - 1];

		ck_assert_ptr_nonnull(ev);
		snprintf(e->ifname, sizeof(e->ifname), "%s", ev->ifname);
		e->vrid = ev->vrid;
		e->ipv6 = ev->ipv6;
		e->from = ev->from;
		e->to = ev->to;
		snprintf(e->reason, sizeof(e->reason), "%s", ev->reason);
		e->takeover = ev->takeover;
		e->seq = env->id;
		T.nevents++;
		db__vrrp_event__free_unpacked(ev, NULL);
	} else if (env->type == DB__MSG_TYPE__MSG_BFD_EVENT) {
		Db__BfdEvent *ev = db__bfd_event__unpack(NULL, env->payload.len, env->payload.data);

		ck_assert_ptr_nonnull(ev);
		snprintf(T.bfd_last, sizeof(T.bfd_last), "%s %s", ev->session, ev->state);
		T.nbfd++;
		db__bfd_event__free_unpacked(ev, NULL);
	}
	db__envelope__free_unpacked(env, NULL);
}

/* The index of the first event of vrid to state `to` since from, or -1. */
static int event_to(size_t from, unsigned vrid, Db__VrrpState to)
{
	for (size_t i = from; i < T.nevents && i < EVENTS_MAX; i++)
		if (events[i].vrid == vrid && events[i].to == to)
			return (int)i;
	return -1;
}

/* ---- vrrpd ---------------------------------------------------------------- */

/* A configuration as cfgd compiles it (cfgd/compile.c): its defaults for
 * every group, VRRPv3, fast timers. */
struct conf {
	Db__VrrpdConfig c;
	Db__VrrpGroupConfig g[8], *gp[8];
	char *vips[8][4];
	Db__TrackInterface ti[4], *tip[4];
	Db__TrackBfd tb[4], *tbp[4];
	Db__BfdSessionConfig bs[4], *bsp[4];
};

static void conf_init(struct conf *k)
{
	memset(k, 0, sizeof(*k));
	db__vrrpd_config__init(&k->c);
	k->c.version = 3;
	k->c.groups = k->gp;
	k->c.garp_count = GARP_COUNT;
	k->c.garp_interval_ms = GARP_GAP_MS;
	k->c.bfd_sessions = k->bsp;
}

static Db__VrrpGroupConfig *conf_group(struct conf *k, const char *ifname, unsigned vrid, bool v6,
				       unsigned prio, const char *vip)
{
	size_t i = k->c.n_groups++;
	Db__VrrpGroupConfig *g = &k->g[i];

	ck_assert_uint_lt(i, 8);
	db__vrrp_group_config__init(g);
	g->ifname = (char *)ifname;
	g->vrid = vrid;
	g->ipv6 = v6;
	g->priority = prio;
	g->preempt = 1;
	g->advert_interval_ms = ADV_MS;
	g->virtual_ips = k->vips[i];
	if (vip)
		k->vips[i][g->n_virtual_ips++] = (char *)vip;
	k->gp[i] = g;
	return g;
}

/* A commit as cfgclient runs it: vrrpd_check() (PREPARE), then
 * vrrpd_apply() when nothing is wrong (COMMIT), vrrpd_discard() (ABORT)
 * otherwise. Returns the problems, for the caller to free. */
static const struct cfgclient_ops ops = {vrrpd_check, vrrpd_apply, vrrpd_discard};

static struct errlist commit(const struct conf *k)
{
	return cfgcommit_msg(&ops, &T.d, &k->c.base);
}

static void commit_ok(const struct conf *k)
{
	cfgcommit_ok(&ops, &T.d, &k->c.base);
}

static struct group *group_of(unsigned vrid, int family)
{
	for (struct group *gr = T.d.groups; gr; gr = gr->next)
		if (gr->vrid == vrid && gr->family == family)
			return gr;
	return NULL;
}

static enum vrrp_state state_of(unsigned vrid, int family)
{
	struct group *gr = group_of(vrid, family);

	ck_assert_ptr_nonnull(gr);
	return gr->fsm.state;
}

#define STATE(vrid) state_of(vrid, AF_INET)
#define STATE6(vrid) state_of(vrid, AF_INET6)

/* `display vrrp …` as dbcli shows it; the caller frees the text. */
static char *display(Db__QueryKind kind, bool json, const char *name, Db__QueryReply *reply)
{
	Db__Query q = DB__QUERY__INIT;
	Db__QueryReply r = DB__QUERY_REPLY__INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	q.kind = kind;
	q.json = json;
	q.name = (char *)(name ? name : "");
	ck_assert_int_eq(vrrpd_display(&T.d, &q, f, reply ? reply : &r), 1);
	fclose(f);
	return buf;
}

/* `display vrrp json`, parsed; the caller puts it. */
static json_object *display_json(void)
{
	char *text = display(DB__QUERY_KIND__QUERY_VRRP, true, NULL, NULL);
	json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "not JSON: %s", text);
	free(text);
	return o;
}


/* The group of vrid in a `display vrrp json`. */
static json_object *jgroup(json_object *root, unsigned vrid, const char *family)
{
	json_object *arr = jcheck_get(root, "groups");

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *g = json_object_array_get_idx(arr, i);

		if (json_object_get_int64(jcheck_get(g, "vrid")) == vrid &&
		    strcmp(json_object_get_string(jcheck_get(g, "family")), family) == 0)
			return g;
	}
	ck_abort_msg("no group %u (%s) in %s", vrid, family, json_object_to_json_string(root));
	return NULL;
}

#define JSTR(o, k) json_object_get_string(jcheck_get(o, k))
#define JINT(o, k) json_object_get_int64(jcheck_get(o, k))

/* The prefix length of addr on ifname, or -1 when it is not there. */
static int addr_plen(const char *ifname, int family, const char *addr)
{
	struct ifaddrs *ifa, *i;
	union vrrp_addr want;
	int plen = -1;

	ck_assert_int_eq(inet_pton(family, addr, &want), 1);
	ck_assert_int_eq(getifaddrs(&ifa), 0);
	for (i = ifa; i; i = i->ifa_next) {
		const uint8_t *a, *m;
		size_t len = family == AF_INET ? 4 : 16;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, ifname) != 0)
			continue;
		a = family == AF_INET
			? (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
			: (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		m = family == AF_INET
			? (const uint8_t *)&((struct sockaddr_in *)i->ifa_netmask)->sin_addr
			: (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr;
		if (memcmp(a, &want, len) != 0)
			continue;
		plen = 0;
		for (size_t b = 0; b < len; b++)
			plen += __builtin_popcount(m[b]);
	}
	freeifaddrs(ifa);
	return plen;
}

static void sh(const char *cmd)
{
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* An integer sysctl of an interface, "ipv4" "v0" "arp_ignore". */
static int sysctl_if(const char *fam, const char *ifname, const char *key)
{
	char path[128];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", fam, ifname, key);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fscanf(f, "%d", &v), 1);
	fclose(f);
	return v;
}

/* ---- rbpd's side: RUNDIR/rbpd-events.ipc ------------------------------- */

static struct bus_sock *rbpd_open(void)
{
	struct bus_opts o = {.type = ZMQ_PUB, .bind = 1};
	struct bus_sock *pub;
	char ep[128];

	ck_assert_int_eq(daemon_endpoint(ep, sizeof(ep), T.rundir, "rbpd-events"), 0);
	o.endpoint = ep;
	ck_assert_int_eq(bus_open(&pub, &T.loop, T.zctx, &o), 0);
	return pub;
}

/* The pid rbpd's gates say (0: none, as an older rbpd). */
static pid_t rbpd_pid;

/* rbpd's PreemptGates with one gate, as it publishes them on a change. */
static void gates_send(struct bus_sock *pub, Db__PreemptGate *g)
{
	Db__PreemptGates m = DB__PREEMPT_GATES__INIT;

	m.gates = &g;
	m.n_gates = 1;
	m.pid = (uint64_t)rbpd_pid;
	ck_assert_int_eq(bus_send_msg(pub, NULL, 0, DB__MSG_TYPE__MSG_PREEMPT_GATES,
				      DB__ROLE__ROLE_RBPD, 0, &m.base),
			 0);
}

/* Publishes g until vrrpd has heard one (it connects on its own time). */
static void gates_heard(struct bus_sock *pub, Db__PreemptGate *g)
{
	uint64_t end = mono_ms() + WAIT_MS;

	T.d.gates_at = 0;
	while (T.d.gates_at == 0) {
		uint64_t step = mono_ms() + 5;

		gates_send(pub, g);
		while (T.d.gates_at == 0 && turn(step < end ? step : end))
			;
		ck_assert_msg(mono_ms() < end, "rbpd-events.ipc: vrrpd heard nothing in %d ms",
			      WAIT_MS);
	}
}

/* ---- a BFD peer at PEER ---------------------------------------------------- */

#define BFD_LOCAL_DISC 11 /* the session's, as configured */
#define BFD_PEER_DISC 22

static void conf_bfd(struct conf *k, const char *name)
{
	size_t i = k->c.n_bfd_sessions++;
	Db__BfdSessionConfig *b = &k->bs[i];

	db__bfd_session_config__init(b);
	b->name = (char *)name;
	b->peer_ip = PEER;
	b->ifname = "v0";
	b->source_ip = "192.0.2.1";
	b->local_disc = BFD_LOCAL_DISC;
	b->min_tx_ms = 20;
	b->min_rx_ms = 20;
	b->detect_mult = 3;
	k->bsp[i] = b;
	k->c.bfd = 1;
}

static Db__TrackBfd *conf_track_bfd(struct conf *k, Db__VrrpGroupConfig *g, const char *session)
{
	size_t i = g->n_track_bfd++;

	ck_assert_uint_eq(i, 0);
	db__track_bfd__init(&k->tb[0]);
	k->tb[0].session = (char *)session;
	k->tbp[0] = &k->tb[0];
	g->track_bfd = k->tbp;
	return &k->tb[0];
}

/* The peer's Control packet in state st (RFC 5880 4.1), over UDP from
 * PEER to the session's source, TTL 255 (RFC 5881 5). Its 1 s interval
 * keeps an Up session up for the whole test. */
static void bfd_inject(enum bfd_state st, uint32_t your_disc)
{
	struct bfd_pkt p = {.version = BFD_PKT_VERSION,
			    .state = st,
			    .diag = st == BFD_STATE_DOWN ? BFD_DIAG_ADMIN_DOWN : BFD_DIAG_NONE,
			    .detect_mult = 3,
			    .length = BFD_PKT_LEN,
			    .my_disc = BFD_PEER_DISC,
			    .your_disc = your_disc,
			    .desired_min_tx_us = 1000000,
			    .required_min_rx_us = 20000};
	uint8_t u[8 + BFD_PKT_LEN] = {0xc0, 0x00,     BFD_UDP_PORT >> 8, BFD_UDP_PORT & 0xff,
				      0,    sizeof(u)}; /* from port 49152, no UDP checksum */

	ck_assert_int_eq(bfd_pkt_build(u + 8, BFD_PKT_LEN, &p), BFD_PKT_LEN);
	inject_ip4(PEER, "192.0.2.1", T.mac0, 255, IPPROTO_UDP, u, sizeof(u));
}

static enum bfd_state bfd_state(const char *name)
{
	enum bfd_state st;

	ck_assert(vrrp_bfd_state(T.d.bfd, name, &st));
	return st;
}

/* The peer brings the session up: Down, then Up (RFC 5880 6.8.6). */
static void bfd_up(const char *name)
{
	bfd_inject(BFD_STATE_DOWN, 0);
	WAIT(bfd_state(name) == BFD_STATE_INIT);
	bfd_inject(BFD_STATE_UP, BFD_LOCAL_DISC);
	WAIT(bfd_state(name) == BFD_STATE_UP);
}

/* ---- each test's namespace and vrrpd ----------------------------------- */

/* A packet socket that sees every frame of ifindex. */
static int capture_open(unsigned ifindex)
{
	struct sockaddr_ll a = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)ifindex};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/*
 * The test's namespace: v0 (vrrpd's, 192.0.2.1/24 and fe80::1) and v1
 * (the segment, no address: the kernel would drop as martian what this
 * namespace's own addresses send to it), both up, without duplicate
 * address detection nor a link-local address of the kernel's choice;
 * reverse-path filtering off (the host's would be inherited).
 */
static const char netns_setup[] =
    "for f in /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/conf/default/rp_filter; "
    "do echo 0 >$f || exit 1; done; "
    "ip -batch - <<'EOF'\n"
    "link set lo up\n"
    "link add v0 type veth peer name v1\n"
    "link set v0 addrgenmode none\n"
    "link set v1 addrgenmode none\n"
    "addr add 192.0.2.1/24 dev v0\n"
    "addr add fe80::1/64 dev v0 nodad\n"
    "link set v0 up\n"
    "link set v1 up\n"
    "EOF\n";

/* At the test process's exit, failed or not (check runs no teardown after
 * a failure): the run directory goes, as the namespace does. */
static void rm_rundir(void)
{
	char cmd[128];

	if (T.rundir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T.rundir);
	T.rundir[0] = '\0';
	if (system(cmd) != 0)
		fprintf(stderr, "check_vrrpd: cannot remove %s\n", cmd + 7);
}

static void setup(void)
{
	struct bus_opts so = {.type = ZMQ_SUB, .cb = on_event};
	char ep[128];
	uint64_t end;
	int rc;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	sh(netns_setup);
	T.if0 = if_nametoindex("v0");
	T.if1 = if_nametoindex("v1");
	ck_assert_uint_gt(T.if0, 0);
	ck_assert_uint_gt(T.if1, 0);
	ck_assert_int_eq(vrrp_net_hwaddr("v0", T.mac0), 0);
	snprintf(T.rundir, sizeof(T.rundir), "/tmp/check_vrrpd.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T.rundir));
	atexit(rm_rundir);
	ck_assert_int_eq(uv_loop_init(&T.loop), 0);
	loopwait_init(&T.lw, &T.loop, 0, NULL, NULL);
	T.zctx = zmq_ctx_new();
	ck_assert_ptr_nonnull(T.zctx);
	T.d = (struct vrrpd)VRRPD_INITIALIZER;
	rc = vrrpd_init(&T.loop, T.zctx, T.rundir, &T.d);
	ck_assert_msg(rc == 0, "vrrpd_init: %s", strerror(-rc));

	T.cap = capture_open(T.if1);
	uv_poll_init(&T.loop, &T.cap_poll, T.cap);
	uv_poll_start(&T.cap_poll, UV_READABLE, on_capture);
	T.inj = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(T.inj, 0);

	/* A subscriber hears only what is published once its subscription
	 * reached the publisher: publish until one arrives. */
	ck_assert_int_eq(daemon_endpoint(ep, sizeof(ep), T.rundir, "vrrpd-events"), 0);
	so.endpoint = ep;
	ck_assert_int_eq(bus_open(&T.sub, &T.loop, T.zctx, &so), 0);
	end = mono_ms() + WAIT_MS;
	while (T.nbfd == 0) {
		Db__BfdEvent ev = DB__BFD_EVENT__INIT;
		uint64_t step = mono_ms() + 5;

		ev.session = "probe";
		ev.state = "Down";
		bus_send_msg(T.d.pub, NULL, 0, DB__MSG_TYPE__MSG_BFD_EVENT, DB__ROLE__ROLE_VRRPD, 0,
			     &ev.base);
		while (T.nbfd == 0 && turn(step < end ? step : end))
			;
		ck_assert_msg(mono_ms() < end, "vrrpd-events.ipc: no subscription within %d ms",
			      WAIT_MS);
	}
	T.nbfd = 0;
	T.bfd_last[0] = '\0';
}

static void stop_vrrpd(void)
{
	vrrpd_stop(&T.d);
	T.stopped = true;
}

static void teardown(void)
{
	if (!T.stopped)
		stop_vrrpd();
	bus_close(T.sub);
	uv_close((uv_handle_t *)&T.cap_poll, NULL);
	daemon_close_loop(&T.loop);
	vrrpd_free(&T.d);
	ck_assert_int_eq(uv_loop_close(&T.loop), 0);
	zmq_ctx_term(T.zctx);
	close(T.cap);
	close(T.inj);
	rm_rundir();
}

/* A group on v0 of vrid, priority 120, VIP, cfgd's defaults otherwise;
 * applied. */
static void one_group(unsigned vrid)
{
	struct conf k;

	conf_init(&k);
	conf_group(&k, "v0", vrid, false, 120, VIP);
	commit_ok(&k);
}

static void master(unsigned vrid)
{
	one_group(vrid);
	WAIT(STATE(vrid) == VRRP_STATE_MASTER);
}

/* ---- the tests ------------------------------------------------------------ */

START_TEST(a_lone_group_becomes_master_after_the_master_down_interval)
{
	uint64_t t0 = mono_ms();
	struct group *gr;

	one_group(7);
	gr = group_of(7, AF_INET);
	ck_assert_ptr_nonnull(gr);
	/* RFC 5798 6.4.1: a backup first, listening for a master */
	ck_assert_int_eq(gr->fsm.state, VRRP_STATE_BACKUP);
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), -1);
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	/* Master_Down_Interval: 3 advertisement intervals and Skew_Time */
	ck_assert_uint_ge(mono_ms() - t0, 3 * ADV_MS + (256 - 120) * ADV_MS / 256);
	/* the virtual address is on the interface, as a host address */
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), 32);
	ck_assert_uint_eq(gr->c.to_master, 1);
	ck_assert_uint_eq(gr->c.to_backup, 1);
}
END_TEST

START_TEST(a_master_advertises_its_priority_and_addresses_to_the_group)
{
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};
	const struct seen *s;

	master(7);
	WAIT(ADVERTS(0, 7, 120) >= 3);
	ck_assert_uint_eq(ADVERTS(0, 7, -1), ADVERTS(0, 7, 120));
	s = last_advert(AF_INET, 7);
	/* RFC 5798 5.1.1: from the interface's address to 224.0.0.18, TTL
	 * 255, from the interface's MAC (no virtual-mac) */
	ck_assert_int_eq(s->ttl, 255);
	ck_assert(addr_is(AF_INET, &s->src, "192.0.2.1"));
	ck_assert(addr_is(AF_INET, &s->dst, "224.0.0.18"));
	ck_assert_mem_eq(s->dst_mac, mcast, 6);
	ck_assert_mem_eq(s->src_mac, T.mac0, 6);
	ck_assert_int_eq(s->p.version, 3);
	ck_assert_int_eq(s->p.naddr, 1);
	ck_assert(addr_is(AF_INET, (const union vrrp_addr *)&s->p.addr.v4[0], VIP));
	ck_assert_int_eq(s->p.max_adver_int, ADV_MS / 10);
}
END_TEST

START_TEST(a_new_master_announces_its_address_with_gratuitous_arp)
{
	master(7);
	WAIT(GARPS(0, VIP) >= GARP_COUNT);
	for (size_t i = 0; i < T.nseen; i++) {
		const struct seen *s = seen_at(i);

		if (s->kind == SEEN_GARP)
			ck_assert_mem_eq(s->lladdr, T.mac0, 6);
	}
	/* garp count: no more than that */
	run_for(GARP_GAP_MS * 4);
	ck_assert_uint_eq(GARPS(0, VIP), GARP_COUNT);
	ck_assert_uint_eq(group_of(7, AF_INET)->c.announce_sent, GARP_COUNT);
}
END_TEST

START_TEST(a_higher_priority_advertisement_makes_the_master_backup)
{
	struct vrrp_pkt p = advert(AF_INET, 7, 200, 100, VIP);
	json_object *root, *g;
	size_t n;

	master(7);
	inject(&p, PEER, 255);
	WAIT(STATE(7) == VRRP_STATE_BACKUP);
	/* RFC 5798 6.4.3: it removes its address and stops advertising */
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), -1);
	n = T.nseen;
	run_for(QUIET_MS);
	ck_assert_uint_eq(ADVERTS(n, 7, -1), 0);
	root = display_json();
	g = jgroup(root, 7, "ipv4");
	ck_assert_str_eq(JSTR(g, "state"), "Backup");
	ck_assert_str_eq(JSTR(g, "master_ip"), PEER);
	ck_assert_int_eq(JINT(g, "priority_master"), 200);
	ck_assert_str_eq(JSTR(g, "last_change_reason"), "higher priority advertisement received");
	ck_assert_int_eq(JINT(jcheck_get(g, "statistics"), "adverts_received"), 1);
	/* a backup learns the master's interval (RFC 5798 6.4.2) */
	ck_assert_int_eq(JINT(g, "advert_interval_running_ms"), 1000);
	json_object_put(root);
}
END_TEST

START_TEST(a_backup_takes_over_at_skew_time_when_the_master_leaves)
{
	struct vrrp_pkt p = advert(AF_INET, 7, 200, 30, VIP);
	uint64_t t0;

	master(7);
	inject(&p, PEER, 255);
	WAIT(STATE(7) == VRRP_STATE_BACKUP);
	/* the master leaves: priority 0 (RFC 5798 6.4.2) */
	p.priority = 0;
	t0 = mono_ms();
	inject(&p, PEER, 255);
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	/* Skew_Time of the master's 300 ms interval, not Master_Down_Interval */
	ck_assert_uint_lt(mono_ms() - t0, 3 * 300);
	ck_assert_uint_eq(group_of(7, AF_INET)->c.prio0_rcvd, 1);
	ck_assert_str_eq(group_of(7, AF_INET)->last_reason,
			 "master left (priority 0), skew time expired");
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), 32);
}
END_TEST

START_TEST(a_silent_master_is_taken_over_after_the_master_down_interval)
{
	struct vrrp_pkt p = advert(AF_INET, 7, 200, 5, VIP);
	uint64_t t0;

	master(7);
	t0 = mono_ms();
	inject(&p, PEER, 255);
	WAIT(STATE(7) == VRRP_STATE_BACKUP);
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	/* 3 x 50 ms learnt from the master, and the skew */
	ck_assert_uint_ge(mono_ms() - t0, 3 * 50);
	ck_assert_str_eq(group_of(7, AF_INET)->last_reason, "master down timer expired");
}
END_TEST

START_TEST(a_lower_priority_master_is_ignored_and_this_one_announces_again)
{
	struct vrrp_pkt p = advert(AF_INET, 7, 50, 100, VIP);
	size_t n;

	master(7);
	WAIT(GARPS(0, VIP) >= GARP_COUNT);
	run_for(GARP_GAP_MS * 2); /* the announcements of the takeover are over */
	n = T.nseen;
	inject(&p, PEER, 255);
	/* split brain healed: the hosts learn this master again */
	WAIT(GARPS(n, VIP) >= 1);
	ck_assert_int_eq(STATE(7), VRRP_STATE_MASTER);
	ck_assert_uint_eq(group_of(7, AF_INET)->c.other_master_adverts, 1);
	ck_assert_uint_eq(group_of(7, AF_INET)->c.reannounced, 1);
	/* and its own advertisements go on */
	WAIT(ADVERTS(n, 7, 120) >= 2);
}
END_TEST

START_TEST(stopping_sends_priority_zero_and_removes_the_address)
{
	size_t n;

	master(7);
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), 32);
	n = T.nseen;
	stop_vrrpd();
	/* RFC 5798 6.4.3: the backup takes over after Skew_Time */
	WAIT(ADVERTS(n, 7, 0) == 1);
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), -1);
}
END_TEST

START_TEST(removing_a_group_by_commit_sends_priority_zero_and_removes_the_address)
{
	struct conf k;
	size_t n, e;

	master(7);
	n = T.nseen;
	e = T.nevents;
	conf_init(&k);
	commit_ok(&k);
	ck_assert_ptr_null(T.d.groups);
	WAIT(ADVERTS(n, 7, 0) == 1);
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), -1);
	WAIT(event_to(e, 7, DB__VRRP_STATE__VRRP_STATE_INITIALIZE) >= 0);
	ck_assert_str_eq(events[event_to(e, 7, DB__VRRP_STATE__VRRP_STATE_INITIALIZE)].reason,
			 "group removed");
	/* and it is the last word of the group */
	run_for(QUIET_MS);
	ck_assert_int_eq(last_advert(AF_INET, 7)->p.priority, 0);
}
END_TEST

START_TEST(every_transition_is_published_on_the_bus)
{
	int b, m;

	master(7);
	WAIT(event_to(0, 7, DB__VRRP_STATE__VRRP_STATE_MASTER) >= 0);
	b = event_to(0, 7, DB__VRRP_STATE__VRRP_STATE_BACKUP);
	m = event_to(0, 7, DB__VRRP_STATE__VRRP_STATE_MASTER);
	ck_assert_int_ge(b, 0);
	ck_assert_int_gt(m, b);
	ck_assert_str_eq(events[b].ifname, "v0");
	ck_assert(!events[b].ipv6);
	ck_assert_int_eq(events[b].from, DB__VRRP_STATE__VRRP_STATE_INITIALIZE);
	ck_assert_str_eq(events[b].reason, "startup");
	ck_assert_uint_eq(events[b].takeover, 0);
	ck_assert_int_eq(events[m].from, DB__VRRP_STATE__VRRP_STATE_BACKUP);
	ck_assert_str_eq(events[m].reason, "master down timer expired");
	/* the takeover number rbpd echoes (docs/takeover.md) */
	ck_assert_uint_ne(events[m].takeover, 0);
	ck_assert_uint_eq(events[m].takeover, group_of(7, AF_INET)->takeover_id);
	/* numbered in order */
	ck_assert_uint_eq(events[m].seq, events[b].seq + 1);
}
END_TEST

START_TEST(display_vrrp_shows_the_state_in_text)
{
	char *t;

	t = display(DB__QUERY_KIND__QUERY_VRRP, false, NULL, NULL);
	ck_assert_str_eq(t, "Info: No VRRP group is configured.");
	free(t);
	master(7);
	t = display(DB__QUERY_KIND__QUERY_VRRP, false, NULL, NULL);
	ck_assert_msg(strstr(t, "v0 | Virtual Router 7\n") != NULL, "%s", t);
	ck_assert_msg(strstr(t, "  State            : Master\n") != NULL, "%s", t);
	ck_assert_msg(strstr(t, "  Virtual IP       : " VIP "\n") != NULL, "%s", t);
	ck_assert_msg(strstr(t, "  Master IP        : 192.0.2.1 (this device)\n") != NULL, "%s", t);
	ck_assert_msg(strstr(t, "  PriorityRun      : 120\n") != NULL, "%s", t);
	ck_assert_msg(strstr(t, "  Config Type      : normal-vrrp\n") != NULL, "%s", t);
	free(t);
	t = display(DB__QUERY_KIND__QUERY_VRRP_BRIEF, false, NULL, NULL);
	ck_assert_msg(strstr(t, "7     Master       v0               Normal   " VIP "\n") != NULL,
		      "%s", t);
	free(t);
	t = display(DB__QUERY_KIND__QUERY_VRRP_STATISTICS, false, NULL, NULL);
	ck_assert_msg(strstr(t, "v0 | Virtual Router 7: Master\n") != NULL, "%s", t);
	ck_assert_msg(strstr(t, "Transitions to master/backup/initialize : 1/1/0\n") != NULL, "%s",
		      t);
	free(t);
}
END_TEST

START_TEST(display_vrrp_json_and_the_state_list_follow_the_group)
{
	Db__QueryReply r = DB__QUERY_REPLY__INIT;
	json_object *root, *g;
	char *t;

	master(7);
	WAIT(ADVERTS(0, 7, 120) >= 2);
	root = display_json();
	g = jgroup(root, 7, "ipv4");
	ck_assert_str_eq(JSTR(g, "interface"), "v0");
	ck_assert_str_eq(JSTR(g, "state"), "Master");
	ck_assert_str_eq(
	    json_object_get_string(json_object_array_get_idx(jcheck_get(g, "virtual_ips"), 0)), VIP);
	ck_assert_str_eq(JSTR(g, "master_ip"), "192.0.2.1");
	ck_assert_str_eq(JSTR(g, "primary_ip"), "192.0.2.1");
	ck_assert(json_object_get_boolean(jcheck_get(g, "this_device_is_master")));
	ck_assert_int_eq(JINT(g, "priority_running"), 120);
	ck_assert_int_eq(JINT(g, "advert_interval_configured_ms"), ADV_MS);
	ck_assert_str_eq(JSTR(g, "checksum"), "pseudo-header");
	ck_assert(json_object_get_boolean(jcheck_get(g, "interface_exists")));
	/* what was sent is counted: at least what the segment saw */
	ck_assert_int_ge(JINT(jcheck_get(g, "statistics"), "adverts_sent"), (int64_t)ADVERTS(0, 7, 120));
	ck_assert_int_eq(JINT(jcheck_get(g, "statistics"), "to_master"), 1);
	json_object_put(root);

	/* rbpd's QUERY_VRRP_STATES: every group, and the last event's number */
	t = display(DB__QUERY_KIND__QUERY_VRRP_STATES, false, NULL, &r);
	free(t);
	ck_assert_ptr_nonnull(r.states);
	ck_assert_uint_eq(r.states->n_groups, 1);
	ck_assert_str_eq(r.states->groups[0]->ifname, "v0");
	ck_assert_int_eq(r.states->groups[0]->state, DB__VRRP_STATE__VRRP_STATE_MASTER);
	ck_assert_uint_eq(r.states->groups[0]->takeover, group_of(7, AF_INET)->takeover_id);
	WAIT(T.nevents >= 2);
	ck_assert_uint_eq(r.states->seq, events[T.nevents - 1].seq);
}
END_TEST

START_TEST(an_ipv6_group_advertises_from_its_link_local_address_and_sends_unsolicited_na)
{
	static const uint8_t mcast[6] = {0x33, 0x33, 0, 0, 0, 0x12};
	struct conf k;
	const struct seen *s;
	json_object *root;

	conf_init(&k);
	conf_group(&k, "v0", 9, true, 120, VIP6);
	commit_ok(&k);
	WAIT(STATE6(9) == VRRP_STATE_MASTER);
	ck_assert_int_eq(addr_plen("v0", AF_INET6, VIP6), 128);
	WAIT(ADVERTS6(0, 9, 120) >= 2);
	s = last_advert(AF_INET6, 9);
	/* RFC 5798 5.1.2: hop limit 255, from the link-local address to ff02::12 */
	ck_assert_int_eq(s->ttl, 255);
	ck_assert(addr_is(AF_INET6, &s->src, "fe80::1"));
	ck_assert(addr_is(AF_INET6, &s->dst, "ff02::12"));
	ck_assert_mem_eq(s->dst_mac, mcast, 6);
	ck_assert_int_eq(s->p.naddr, 1);
	ck_assert(addr_is(AF_INET6, (const union vrrp_addr *)&s->p.addr.v6[0], VIP6));
	/* RFC 5798 8.2.2: unsolicited NA with Override and the router's MAC */
	WAIT(NAS(0, VIP6) >= GARP_COUNT);
	for (size_t i = 0; i < T.nseen; i++) {
		s = seen_at(i);
		if (s->kind != SEEN_NA)
			continue;
		ck_assert(s->override);
		ck_assert_int_eq(s->ttl, 255);
		ck_assert_mem_eq(s->lladdr, T.mac0, 6);
	}
	root = display_json();
	ck_assert_str_eq(JSTR(jgroup(root, 9, "ipv6"), "state"), "Master");
	ck_assert_str_eq(JSTR(jgroup(root, 9, "ipv6"), "master_ip"), "fe80::1");
	json_object_put(root);
	WAIT(event_to(0, 9, DB__VRRP_STATE__VRRP_STATE_MASTER) >= 0);
	ck_assert(events[event_to(0, 9, DB__VRRP_STATE__VRRP_STATE_MASTER)].ipv6);
}
END_TEST

START_TEST(an_ipv6_master_steps_down_for_a_higher_priority)
{
	struct conf k;
	struct vrrp_pkt p = advert(AF_INET6, 9, 200, 100, VIP6);

	conf_init(&k);
	conf_group(&k, "v0", 9, true, 120, VIP6);
	commit_ok(&k);
	WAIT(STATE6(9) == VRRP_STATE_MASTER);
	inject(&p, PEER6, 255);
	WAIT(STATE6(9) == VRRP_STATE_BACKUP);
	ck_assert_int_eq(addr_plen("v0", AF_INET6, VIP6), -1);
	ck_assert_uint_eq(group_of(9, AF_INET6)->c.adv_rcvd, 1);
}
END_TEST

/* The problems of a refused commit, and that it changed nothing. */
static void refused(struct conf *k, const char *want)
{
	struct errlist errs;
	size_t n = T.nseen;
	bool found = false;

	errs = commit(k);
	ck_assert_uint_ge(errs.n, 1);
	for (size_t i = 0; i < errs.n; i++)
		found |= strcmp(errs.v[i], want) == 0;
	ck_assert_msg(found, "no \"%s\" among %zu problem(s), first \"%s\"", want, errs.n,
		      errs.v[0]);
	errlist_free(&errs);
	/* the running group goes on as it was */
	ck_assert_ptr_nonnull(T.d.groups);
	ck_assert_ptr_null(T.d.groups->next);
	ck_assert_int_eq(STATE(7), VRRP_STATE_MASTER);
	ck_assert_uint_eq(T.d.running->n_groups, 1);
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), 32);
	WAIT(ADVERTS(n, 7, 120) >= 1);
}

START_TEST(a_group_on_a_missing_interface_is_refused_and_nothing_is_applied)
{
	struct conf k;

	master(7);
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP);
	conf_group(&k, "nosuch0", 3, false, 100, "192.0.2.103");
	refused(&k, "interface nosuch0: vrrp vrid 3: the interface does not exist");
}
END_TEST

START_TEST(a_group_without_a_virtual_ip_is_refused_and_nothing_is_applied)
{
	struct conf k;

	master(7);
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 90, VIP);
	conf_group(&k, "v0", 8, false, 100, NULL);
	refused(&k, "interface v0: vrrp vrid 8 has no virtual-ip");
}
END_TEST

START_TEST(a_virtual_ip_that_does_not_parse_is_refused_and_nothing_is_applied)
{
	struct conf k;

	master(7);
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 90, VIP);
	conf_group(&k, "v0", 8, false, 100, "192.0.2.300");
	refused(&k, "interface v0: vrrp vrid 8: a virtual-ip does not parse");
	/* nor was the priority of the running group changed */
	ck_assert_int_eq(group_of(7, AF_INET)->fsm.cfg.priority, 120);
}
END_TEST

START_TEST(an_interface_without_an_address_to_advertise_from_is_refused)
{
	struct conf k;

	sh("ip link add v2 type veth peer name v3 && ip link set v2 addrgenmode none && "
	   "ip link set v2 up && ip link set v3 up");
	master(7);
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP);
	conf_group(&k, "v2", 4, false, 100, "198.51.100.100");
	refused(&k, "interface v2: vrrp vrid 4: the interface has no IPv4 address to advertise "
		    "from");
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP);
	conf_group(&k, "v2", 4, true, 100, "2001:db8:1::100");
	refused(&k, "interface v2: vrrp6 vrid 4: the interface has no IPv6 link-local address to "
		    "advertise from");
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP);
	conf_group(&k, "v0", 5, true, 100, VIP6)->virtual_mac = 1;
	refused(&k, "interface v0: vrrp6 vrid 5 virtual-mac: IPv4 groups only");
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP);
	k.c.notify_script = "relative/script";
	refused(&k, "vrrp notify-script relative/script: not an absolute path");
}
END_TEST

START_TEST(link_down_puts_the_group_in_initialize_and_up_starts_it_again)
{
	size_t e;

	master(7);
	e = T.nevents;
	/* the segment's end goes down: v0 loses its carrier */
	sh("ip link set v1 down");
	WAIT(STATE(7) == VRRP_STATE_INIT);
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), -1);
	WAIT(event_to(e, 7, DB__VRRP_STATE__VRRP_STATE_INITIALIZE) >= 0);
	ck_assert_str_eq(events[event_to(e, 7, DB__VRRP_STATE__VRRP_STATE_INITIALIZE)].reason,
			 "interface down");
	sh("ip link set v1 up");
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), 32);
	ck_assert_uint_eq(group_of(7, AF_INET)->c.to_init, 1);
}
END_TEST

START_TEST(a_tracked_interface_down_lowers_the_advertised_priority)
{
	struct conf k;
	Db__VrrpGroupConfig *g;
	json_object *root, *j;
	size_t n;

	sh("ip link add v2 type veth peer name v3 && ip link set v2 up && ip link set v3 up");
	conf_init(&k);
	g = conf_group(&k, "v0", 7, false, 120, VIP);
	db__track_interface__init(&k.ti[0]);
	k.ti[0].ifname = "v2";
	k.ti[0].reduced = 30;
	k.tip[0] = &k.ti[0];
	g->track_interface = k.tip;
	g->n_track_interface = 1;
	commit_ok(&k);
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	WAIT(ADVERTS(0, 7, 120) >= 1);
	sh("ip link set v3 down"); /* v2 loses its carrier */
	n = T.nseen;
	WAIT(ADVERTS(n, 7, 90) >= 1);
	root = display_json();
	j = jgroup(root, 7, "ipv4");
	ck_assert_int_eq(JINT(j, "priority_running"), 90);
	ck_assert_int_eq(JINT(j, "priority_configured"), 120);
	j = json_object_array_get_idx(jcheck_get(j, "track_interface"), 0);
	ck_assert_str_eq(JSTR(j, "interface"), "v2");
	ck_assert(json_object_get_boolean(jcheck_get(j, "down")));
	json_object_put(root);
	sh("ip link set v3 up");
	n = T.nseen;
	WAIT(ADVERTS(n, 7, 120) >= 1);
}
END_TEST

START_TEST(a_member_group_follows_its_admin_group)
{
	struct conf k;
	Db__VrrpGroupConfig *m;
	char *t;

	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP)->admin = 1;
	m = conf_group(&k, "v0", 8, false, 100, "192.0.2.108");
	m->track_ifname = "v0";
	m->track_vrid = 7;
	commit_ok(&k);
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	WAIT(STATE(8) == VRRP_STATE_MASTER);
	ck_assert_int_eq(addr_plen("v0", AF_INET, "192.0.2.108"), 32);
	WAIT(GARPS(0, "192.0.2.108") >= 1);
	/* a member sends no advertisement of its own */
	run_for(QUIET_MS);
	ck_assert_uint_eq(ADVERTS(0, 8, -1), 0);
	t = display(DB__QUERY_KIND__QUERY_VRRP_BRIEF, false, NULL, NULL);
	ck_assert_msg(strstr(t, "7     Master       v0               Admin    " VIP "\n") != NULL,
		      "%s", t);
	ck_assert_msg(strstr(t, "8     Master       v0               Member   192.0.2.108\n") !=
			  NULL,
		      "%s", t);
	free(t);
	t = display(DB__QUERY_KIND__QUERY_VRRP, false, NULL, NULL);
	ck_assert_msg(strstr(t, "Config Type      : normal-vrrp, tracking admin-vrrp v0 vrid 7\n"),
		      "%s", t);
	free(t);
	/* the admin group steps down: so does the member */
	{
		struct vrrp_pkt p = advert(AF_INET, 7, 200, 100, VIP);

		inject(&p, PEER, 255);
	}
	WAIT(STATE(8) == VRRP_STATE_BACKUP);
	ck_assert_int_eq(addr_plen("v0", AF_INET, "192.0.2.108"), -1);
}
END_TEST

START_TEST(malformed_and_foreign_advertisements_are_dropped_and_counted)
{
	struct vrrp_pkt p = advert(AF_INET, 7, 200, 100, VIP);
	json_object *root, *g, *drops;
	char *t;

	master(7);
	inject(&p, PEER, 64); /* routed: RFC 5798 7.1 */
	p.vrid = 9;	      /* nobody's group here */
	inject(&p, PEER, 255);
	p = advert(AF_INET, 7, 200, 100, "192.0.2.99"); /* other addresses */
	inject(&p, PEER, 255);
	WAIT(group_of(7, AF_INET)->c.drops[VRRP_DROP_ADDR_MISMATCH] == 1);
	ck_assert_int_eq(STATE(7), VRRP_STATE_MASTER);
	root = display_json();
	g = jgroup(root, 7, "ipv4");
	drops = jcheck_get(jcheck_get(g, "statistics"), "dropped");
	ck_assert_int_eq(JINT(drops, "ttl"), 1);
	ck_assert_int_eq(JINT(drops, "address_mismatch"), 1);
	ck_assert_int_eq(JINT(jcheck_get(g, "statistics"), "adverts_received"), 0);
	drops = jcheck_get(json_object_array_get_idx(jcheck_get(root, "interfaces"), 0), "dropped");
	ck_assert_int_eq(JINT(drops, "vrid_mismatch"), 1);
	json_object_put(root);
	t = display(DB__QUERY_KIND__QUERY_VRRP_STATISTICS, false, NULL, NULL);
	ck_assert_msg(strstr(t, "v0 (vrrp): dropped before reaching a group") != NULL, "%s", t);
	free(t);
}
END_TEST

START_TEST(the_notify_script_is_told_every_transition)
{
	char script[128], out[128], cmd[512], line[256] = "";
	struct conf k;
	FILE *f;

	snprintf(script, sizeof(script), "%s/notify.sh", T.rundir);
	snprintf(out, sizeof(out), "%s/notify.out", T.rundir);
	snprintf(cmd, sizeof(cmd), "printf '#!/bin/sh\\necho \"$*\" >>%s\\n' >%s && chmod 755 %s",
		 out, script, script);
	sh(cmd);
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP);
	k.c.notify_script = script;
	commit_ok(&k);
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	/* one script per group at a time: Backup, then Master */
	WAIT(T.d.script.sched.started == 2 && T.d.script.sched.running == 0);
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "v0 7 ipv4 Initialize Backup startup\n");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "v0 7 ipv4 Backup Master master down timer expired\n");
	fclose(f);
}
END_TEST

START_TEST(a_changed_virtual_address_moves_on_the_running_master)
{
	struct conf k;
	size_t n;

	master(7);
	WAIT(GARPS(0, VIP) >= GARP_COUNT);
	n = T.nseen;
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, "192.0.2.101");
	commit_ok(&k);
	/* no transition: the address moves, and is announced */
	ck_assert_int_eq(STATE(7), VRRP_STATE_MASTER);
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), -1);
	ck_assert_int_eq(addr_plen("v0", AF_INET, "192.0.2.101"), 32);
	WAIT(GARPS(n, "192.0.2.101") >= 1);
	n = T.nseen;
	WAIT(ADVERTS(n, 7, 120) >= 1);
	ck_assert(addr_is(AF_INET, (const union vrrp_addr *)&last_advert(AF_INET, 7)->p.addr.v4[0],
			  "192.0.2.101"));
	ck_assert_uint_eq(group_of(7, AF_INET)->c.to_master, 1);
}
END_TEST

START_TEST(the_address_owner_is_master_at_once_with_priority_255)
{
	struct conf k;

	conf_init(&k);
	conf_group(&k, "v0", 7, false, 100, "192.0.2.1");
	commit_ok(&k);
	/* RFC 5798 6.4.1: no wait */
	ck_assert_int_eq(STATE(7), VRRP_STATE_MASTER);
	WAIT(ADVERTS(0, 7, 255) >= 1);
	/* the address stays the interface's own */
	ck_assert_int_eq(addr_plen("v0", AF_INET, "192.0.2.1"), 24);
	stop_vrrpd();
	ck_assert_int_eq(addr_plen("v0", AF_INET, "192.0.2.1"), 24);
}
END_TEST

START_TEST(a_virtual_mac_group_speaks_from_the_virtual_router_mac)
{
	static const uint8_t vmac[6] = {0x00, 0x00, 0x5e, 0x00, 0x01, 0x07};
	char name[IF_NAMESIZE];
	struct conf k;
	json_object *root, *g;
	const struct seen *s;

	snprintf(name, sizeof(name), "vrrp.%u.7", T.if0);
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP)->virtual_mac = 1;
	commit_ok(&k);
	ck_assert_uint_gt(if_nametoindex(name), 0);
	/* v0 answers no ARP for the macvlan's addresses, nor names them */
	ck_assert_int_eq(sysctl_if("ipv4", "v0", "arp_ignore"), 1);
	ck_assert_int_eq(sysctl_if("ipv4", "v0", "arp_announce"), 2);
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	/* RFC 5798 7.3: the address on the macvlan, every frame from its MAC */
	ck_assert_int_eq(addr_plen(name, AF_INET, VIP), 32);
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), -1);
	WAIT(ADVERTS(0, 7, 120) >= 1);
	s = last_advert(AF_INET, 7);
	ck_assert_mem_eq(s->src_mac, vmac, 6);
	ck_assert(addr_is(AF_INET, &s->src, "192.0.2.1"));
	WAIT(GARPS(0, VIP) >= 1);
	for (size_t i = 0; i < T.nseen; i++)
		if (seen_at(i)->kind == SEEN_GARP)
			ck_assert_mem_eq(seen_at(i)->lladdr, vmac, 6);
	root = display_json();
	g = jgroup(root, 7, "ipv4");
	ck_assert_str_eq(JSTR(g, "virtual_mac"), "00:00:5e:00:01:07");
	ck_assert_str_eq(JSTR(g, "virtual_mac_interface"), name);
	json_object_put(root);

	/* someone deletes the macvlan: it comes back, with the address */
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "ip link del %s", name);
		sh(cmd);
	}
	WAIT(if_nametoindex(name) != 0 && addr_plen(name, AF_INET, VIP) == 32);
	ck_assert_int_eq(STATE(7), VRRP_STATE_MASTER);

	/* the group goes: so do its macvlan and v0's ARP settings */
	conf_init(&k);
	commit_ok(&k);
	ck_assert_uint_eq(if_nametoindex(name), 0);
	ck_assert_int_eq(sysctl_if("ipv4", "v0", "arp_ignore"), 0);
	ck_assert_int_eq(sysctl_if("ipv4", "v0", "arp_announce"), 0);
}
END_TEST

START_TEST(a_virtual_mac_whose_interface_name_is_taken_is_refused)
{
	char name[IF_NAMESIZE], cmd[128], want[160];
	struct errlist errs;
	struct conf k;

	snprintf(name, sizeof(name), "vrrp.%u.7", T.if0);
	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name v5", name);
	sh(cmd);
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP)->virtual_mac = 1;
	errs = commit(&k);
	snprintf(want, sizeof(want),
		 "interface v0: vrrp vrid 7 virtual-mac: interface %s exists and is not a "
		 "macvlan: %s",
		 name, strerror(EEXIST));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.v[0], want);
	errlist_free(&errs);
	ck_assert_ptr_null(T.d.groups);
}
END_TEST

/* Group vrid 7 on v0, listed in rbpd's gates (played on rbpd), a backup
 * for a while (1 s adverts); then its master leaves and it takes over:
 * rbpd backs up users of the group, so the address is there and the
 * announcements wait for it (docs/takeover.md). */
static void take_over_held(struct bus_sock *rbpd, Db__PreemptGate *gate)
{
	struct vrrp_pkt p = advert(AF_INET, 7, 200, 5, VIP);
	struct conf k;

	gate->ifname = "v0";
	gate->vrid = 7;
	gate->ready = 1;
	gates_heard(rbpd, gate);
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP)->advert_interval_ms = 1000;
	commit_ok(&k);
	gates_send(rbpd, gate);
	WAIT(group_of(7, AF_INET)->in_gates);
	p.priority = 0;
	inject(&p, PEER, 255);
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	ck_assert_int_eq(addr_plen("v0", AF_INET, VIP), 32);
	ck_assert(group_of(7, AF_INET)->held);
	run_for(QUIET_MS);
	ck_assert_uint_eq(GARPS(0, VIP), 0);
}

START_TEST(a_new_masters_announcements_wait_for_rbpds_takeover_of_the_users)
{
	Db__PreemptGate gate = DB__PREEMPT_GATE__INIT;
	struct bus_sock *rbpd = rbpd_open();
	json_object *root, *a;
	char *t;
	int m;

	take_over_held(rbpd, &gate);
	WAIT((m = event_to(0, 7, DB__VRRP_STATE__VRRP_STATE_MASTER)) >= 0);
	root = display_json();
	a = jcheck_get(jgroup(root, 7, "ipv4"), "announce");
	ck_assert(json_object_get_boolean(jcheck_get(a, "awaits_rbpd")));
	ck_assert(json_object_get_boolean(jcheck_get(a, "held")));
	json_object_put(root);
	/* rbpd echoes the takeover it read on the bus */
	gate.taken_over = events[m].takeover;
	gates_send(rbpd, &gate);
	WAIT(GARPS(0, VIP) >= 1);
	root = display_json();
	a = jcheck_get(jgroup(root, 7, "ipv4"), "announce");
	ck_assert(!json_object_get_boolean(jcheck_get(a, "held")));
	ck_assert(json_object_get_boolean(jcheck_get(a, "last_awaited_rbpd")));
	ck_assert(json_object_get_boolean(jcheck_get(a, "last_confirmed")));
	ck_assert_int_eq(JINT(jcheck_get(jgroup(root, 7, "ipv4"), "statistics"), "announcements_held"),
			 1);
	json_object_put(root);
	t = display(DB__QUERY_KIND__QUERY_VRRP, false, NULL, NULL);
	ck_assert_msg(strstr(t, "once rbpd had taken the users over") != NULL, "%s", t);
	free(t);
	WAIT(GARPS(0, VIP) == GARP_COUNT);

	/* split brain over the RBS channel, then healed: announced again */
	gate.dual_master_since = (uint64_t)time(NULL);
	gates_send(rbpd, &gate);
	WAIT(group_of(7, AF_INET)->dual_since != 0);
	t = display(DB__QUERY_KIND__QUERY_VRRP, false, NULL, NULL);
	ck_assert_msg(strstr(t, "the peer is master too") != NULL, "%s", t);
	free(t);
	gate.dual_master_since = 0;
	gates_send(rbpd, &gate);
	WAIT(GARPS(0, VIP) == GARP_COUNT + 1);
	ck_assert_uint_eq(group_of(7, AF_INET)->c.reannounced, 1);
	bus_close(rbpd);
}
END_TEST

START_TEST(a_held_announcement_goes_out_at_once_when_rbpd_ends)
{
	Db__PreemptGate gate = DB__PREEMPT_GATE__INIT;
	struct bus_sock *rbpd = rbpd_open();
	json_object *root, *a;
	uint64_t t0;

	/* rbpd is a process of its own, whose pid its gates say */
	rbpd_pid = standin_start();
	take_over_held(rbpd, &gate);
	/* rbpd dies before it confirms: nobody is left to wait for, so the
	 * group announces now, not at the bound (ANNOUNCE_WAIT_MAX_MS) */
	t0 = mono_ms();
	standin_end(rbpd_pid);
	WAIT(GARPS(0, VIP) >= 1);
	ck_assert_uint_lt(mono_ms() - t0, ANNOUNCE_WAIT_MAX_MS / 2);
	rbpd_pid = 0;
	root = display_json();
	a = jcheck_get(jgroup(root, 7, "ipv4"), "announce");
	ck_assert(!json_object_get_boolean(jcheck_get(a, "held")));
	ck_assert(!json_object_get_boolean(jcheck_get(a, "last_confirmed")));
	json_object_put(root);
	ck_assert_uint_eq(T.d.gates_at, 0);
	bus_close(rbpd);
}
END_TEST

START_TEST(preemption_waits_for_rbpds_gate)
{
	Db__PreemptGate gate = DB__PREEMPT_GATE__INIT;
	struct bus_sock *rbpd = rbpd_open();
	struct vrrp_pkt p = advert(AF_INET, 7, 200, 100, VIP);
	struct conf k;
	json_object *root, *h;

	gate.ifname = "v0";
	gate.vrid = 7;
	gate.reason = "12 users not backed up yet";
	gates_heard(rbpd, &gate);
	conf_init(&k);
	conf_group(&k, "v0", 7, false, 120, VIP)->preempt_wait_max_s = 60;
	commit_ok(&k);
	/* made after rbpd's last gates message, which lists it: its gate is
	 * known at once, not at the next message */
	ck_assert_str_eq(group_of(7, AF_INET)->gate_reason, gate.reason);
	ck_assert(group_of(7, AF_INET)->in_gates);
	/* a master of higher priority, which then lowers it */
	inject(&p, PEER, 255);
	WAIT(STATE(7) == VRRP_STATE_BACKUP && group_of(7, AF_INET)->master_known);
	p.priority = 50;
	inject(&p, PEER, 255);
	WAIT(vrrp_fsm_waiting(&group_of(7, AF_INET)->fsm));
	ck_assert_int_eq(STATE(7), VRRP_STATE_BACKUP);
	root = display_json();
	h = jcheck_get(jgroup(root, 7, "ipv4"), "preempt_hold");
	ck_assert(json_object_get_boolean(jcheck_get(h, "waiting")));
	ck_assert_str_eq(JSTR(h, "reason"), "12 users not backed up yet");
	json_object_put(root);
	/* rbpd: the backup is complete */
	gate.ready = 1;
	gates_send(rbpd, &gate);
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	ck_assert_str_eq(group_of(7, AF_INET)->last_reason,
			 "preempt: the backup of the users is complete");
	bus_close(rbpd);
}
END_TEST

START_TEST(a_tracked_bfd_session_sets_the_priority_as_it_comes_up_and_goes_down)
{
	struct conf k;
	Db__VrrpGroupConfig *g;
	json_object *root, *b;
	size_t n;
	char *t;

	conf_init(&k);
	conf_bfd(&k, "s1");
	g = conf_group(&k, "v0", 7, false, 120, VIP);
	conf_track_bfd(&k, g, "s1")->reduced = 30;
	commit_ok(&k);
	/* not Up yet: counted down */
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	WAIT(ADVERTS(0, 7, 90) >= 1);
	bfd_up("s1");
	WAIT(T.nbfd >= 1 && strcmp(T.bfd_last, "s1 Up") == 0);
	n = T.nseen;
	WAIT(ADVERTS(n, 7, 120) >= 1);
	root = json_tokener_parse(t = display(DB__QUERY_KIND__QUERY_BFD_SESSION, true, "s1", NULL));
	free(t);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(json_object_array_length(jcheck_get(root, "sessions")), 1);
	b = json_object_array_get_idx(jcheck_get(root, "sessions"), 0);
	ck_assert_str_eq(JSTR(b, "name"), "s1");
	ck_assert_str_eq(JSTR(b, "state"), "Up");
	ck_assert_int_eq(JINT(b, "remote_discriminator"), BFD_PEER_DISC);
	json_object_put(root);
	t = display(DB__QUERY_KIND__QUERY_BFD_SESSION, false, NULL, NULL);
	ck_assert_msg(strstr(t, "BFD session: s1\n") != NULL, "%s", t);
	free(t);
	/* the peer says its session is down */
	bfd_inject(BFD_STATE_DOWN, BFD_LOCAL_DISC);
	WAIT(bfd_state("s1") == BFD_STATE_DOWN);
	WAIT(strcmp(T.bfd_last, "s1 Down") == 0);
	n = T.nseen;
	WAIT(ADVERTS(n, 7, 90) >= 1);
}
END_TEST

START_TEST(a_backup_takes_over_at_once_when_the_peer_bfd_session_to_the_master_goes_down)
{
	struct vrrp_pkt p = advert(AF_INET, 7, 200, 100, VIP);
	struct conf k;
	Db__VrrpGroupConfig *g;
	uint64_t t0;

	conf_init(&k);
	conf_bfd(&k, "tomaster");
	g = conf_group(&k, "v0", 7, false, 120, VIP);
	conf_track_bfd(&k, g, "tomaster")->peer = 1;
	commit_ok(&k);
	bfd_up("tomaster");
	inject(&p, PEER, 255);
	WAIT(STATE(7) == VRRP_STATE_BACKUP && group_of(7, AF_INET)->master_known);
	t0 = mono_ms();
	bfd_inject(BFD_STATE_DOWN, BFD_LOCAL_DISC);
	WAIT(STATE(7) == VRRP_STATE_MASTER);
	/* not the Master_Down_Interval of the master's 1 s */
	ck_assert_uint_lt(mono_ms() - t0, 3 * 1000);
	ck_assert_str_eq(group_of(7, AF_INET)->last_reason, "the master's BFD session went down");
}
END_TEST

START_TEST(a_group_whose_interface_is_deleted_and_created_again_runs_again)
{
	static const char make_v2[] =
	    "ip link add v2 type veth peer name v3 && ip link set v2 addrgenmode none && "
	    "ip addr add 198.51.100.1/24 dev v2 && ip link set v2 up && ip link set v3 up";
	struct conf k;

	sh(make_v2);
	conf_init(&k);
	conf_group(&k, "v2", 4, false, 120, "198.51.100.100");
	commit_ok(&k);
	WAIT(STATE(4) == VRRP_STATE_MASTER);
	/* an operator deletes the interface (a VLAN, a bond) ... */
	sh("ip link del v2");
	WAIT(STATE(4) == VRRP_STATE_INIT);
	/* ... and creates it again: the group runs on it as before */
	sh(make_v2);
	WAIT(STATE(4) == VRRP_STATE_MASTER);
	ck_assert_int_eq(addr_plen("v2", AF_INET, "198.51.100.100"), 32);
}
END_TEST

/* The interface made and brought up just before the commit: the kernel's
 * notifications of it being down, then up, are still unread when the group
 * starts on a link that is up. Read later, they are history, not a
 * transition: no Initialize, no notify script, no event. */
START_TEST(link_notifications_older_than_the_group_make_no_transition)
{
	struct conf k;
	size_t e = T.nevents;
	int tries = 0;

	sh("ip link add v2 type veth peer name v3 && ip link set v2 addrgenmode none && "
	   "ip addr add 198.51.100.1/24 dev v2 && ip link set v2 up && ip link set v3 up");
	/* up with its carrier, the loop not turned: nothing read yet */
	while (vrrp_net_link_up("v2") != 1 && tries++ < 1000)
		usleep(1000);
	ck_assert_int_eq(vrrp_net_link_up("v2"), 1);
	conf_init(&k);
	conf_group(&k, "v2", 4, false, 120, "198.51.100.100");
	commit_ok(&k);
	ck_assert_int_eq(STATE(4), VRRP_STATE_BACKUP);
	WAIT(STATE(4) == VRRP_STATE_MASTER);
	ck_assert_uint_eq(group_of(4, AF_INET)->c.to_init, 0);
	ck_assert_int_lt(event_to(e, 4, DB__VRRP_STATE__VRRP_STATE_INITIALIZE), 0);
}
END_TEST

START_TEST(a_virtual_mac_group_whose_interface_is_made_again_gets_its_macvlan_back)
{
	static const char make_v2[] =
	    "ip link add v2 type veth peer name v3 && ip link set v2 addrgenmode none && "
	    "ip addr add 198.51.100.1/24 dev v2 && ip link set v2 up && ip link set v3 up";
	char name[IF_NAMESIZE];
	struct conf k;

	sh(make_v2);
	conf_init(&k);
	conf_group(&k, "v2", 4, false, 120, "198.51.100.100")->virtual_mac = 1;
	commit_ok(&k);
	WAIT(STATE(4) == VRRP_STATE_MASTER);
	snprintf(name, sizeof(name), "vrrp.%u.4", if_nametoindex("v2"));
	ck_assert_int_eq(addr_plen(name, AF_INET, "198.51.100.100"), 32);
	/* the interface goes, and its macvlan with it ... */
	sh("ip link del v2");
	WAIT(STATE(4) == VRRP_STATE_INIT);
	/* ... and is made again, with another index: the group's macvlan is
	 * made on the new one, named after it, with the address */
	sh(make_v2);
	WAIT(STATE(4) == VRRP_STATE_MASTER);
	snprintf(name, sizeof(name), "vrrp.%u.4", if_nametoindex("v2"));
	WAIT(addr_plen(name, AF_INET, "198.51.100.100") == 32);
	ck_assert_uint_eq(group_of(4, AF_INET)->vmac_ifindex, if_nametoindex(name));
	ck_assert_int_eq(addr_plen("v2", AF_INET, "198.51.100.100"), -1);
	ck_assert_int_eq(sysctl_if("ipv4", "v2", "arp_ignore"), 1);
}
END_TEST

START_TEST(a_group_pushed_before_its_interface_exists_runs_once_it_does)
{
	struct errlist errs = {0};
	struct conf k;
	size_t len;
	uint8_t *buf;
	void *obj;

	conf_init(&k);
	conf_group(&k, "v2", 4, false, 120, "198.51.100.100");
	/* cfgd's PUSH of its running configuration (vrrpd restarted before
	 * the interface was made): applied whatever the check says */
	len = db__vrrpd_config__get_packed_size(&k.c);
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	db__vrrpd_config__pack(&k.c, buf);
	obj = vrrpd_check(&T.d, buf, len, &errs);
	free(buf);
	ck_assert_uint_eq(errs.n, 1);
	errlist_free(&errs);
	vrrpd_apply(&T.d, obj);
	ck_assert_int_eq(STATE(4), VRRP_STATE_INIT);
	sh("ip link add v2 type veth peer name v3 && ip link set v2 addrgenmode none && "
	   "ip addr add 198.51.100.1/24 dev v2 && ip link set v2 up && ip link set v3 up");
	WAIT(STATE(4) == VRRP_STATE_MASTER);
	ck_assert_int_eq(addr_plen("v2", AF_INET, "198.51.100.100"), 32);
}
END_TEST

int main(void)
{
	/* Each test unshares its own network namespace in setup(): they rely
	 * on check's default of one forked process per test. */
	const TTest *tests[] = {
	    a_lone_group_becomes_master_after_the_master_down_interval,
	    a_master_advertises_its_priority_and_addresses_to_the_group,
	    a_new_master_announces_its_address_with_gratuitous_arp,
	    a_higher_priority_advertisement_makes_the_master_backup,
	    a_backup_takes_over_at_skew_time_when_the_master_leaves,
	    a_silent_master_is_taken_over_after_the_master_down_interval,
	    a_lower_priority_master_is_ignored_and_this_one_announces_again,
	    stopping_sends_priority_zero_and_removes_the_address,
	    removing_a_group_by_commit_sends_priority_zero_and_removes_the_address,
	    every_transition_is_published_on_the_bus,
	    display_vrrp_shows_the_state_in_text,
	    display_vrrp_json_and_the_state_list_follow_the_group,
	    an_ipv6_group_advertises_from_its_link_local_address_and_sends_unsolicited_na,
	    an_ipv6_master_steps_down_for_a_higher_priority,
	    a_group_on_a_missing_interface_is_refused_and_nothing_is_applied,
	    a_group_without_a_virtual_ip_is_refused_and_nothing_is_applied,
	    a_virtual_ip_that_does_not_parse_is_refused_and_nothing_is_applied,
	    an_interface_without_an_address_to_advertise_from_is_refused,
	    link_down_puts_the_group_in_initialize_and_up_starts_it_again,
	    a_tracked_interface_down_lowers_the_advertised_priority,
	    a_member_group_follows_its_admin_group,
	    malformed_and_foreign_advertisements_are_dropped_and_counted,
	    the_notify_script_is_told_every_transition,
	    a_changed_virtual_address_moves_on_the_running_master,
	    the_address_owner_is_master_at_once_with_priority_255,
	    a_virtual_mac_group_speaks_from_the_virtual_router_mac,
	    a_virtual_mac_whose_interface_name_is_taken_is_refused,
	    a_new_masters_announcements_wait_for_rbpds_takeover_of_the_users,
	    a_held_announcement_goes_out_at_once_when_rbpd_ends,
	    preemption_waits_for_rbpds_gate,
	    a_tracked_bfd_session_sets_the_priority_as_it_comes_up_and_goes_down,
	    a_backup_takes_over_at_once_when_the_peer_bfd_session_to_the_master_goes_down,
	    a_group_whose_interface_is_deleted_and_created_again_runs_again,
	    a_group_pushed_before_its_interface_exists_runs_once_it_does,
	    a_virtual_mac_group_whose_interface_is_made_again_gets_its_macvlan_back,
	    link_notifications_older_than_the_group_make_no_transition,
	    NULL,
	};
	const struct checkrun_case cases[] = {
	    {
		.name = "netns",
		.tests = tests,
		.timeout = 30,
		.setup = setup,
		.teardown = teardown,
		.skip = !netns_can_unshare(),
		.skip_why = "vrrpd runs in a network namespace of each test's own (root)",
	    },
	};

	return checkrun("vrrpd", cases, sizeof(cases) / sizeof(cases[0]));
}
