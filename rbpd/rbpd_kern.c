/*
 * ARP and ND, built in: the kernel's neighbour tables are the service.
 *
 * Master for a user: the kernel learns the neighbour as it always does;
 * rbpd hears it on the monitor socket (rbp_neigh.h) and makes it a local
 * user, sent to the peer. A neighbour the kernel deletes, or gives up on
 * (FAILED), is a user gone. The kernel stays the judge of who is there.
 *
 * Backup for a user, peer-backup hot: the peer's neighbour is installed
 * permanent and marked with RBP_NEIGH_PROTO, so it forwards at once after
 * a takeover and is told apart from what this device learned. At a
 * takeover every such entry becomes STALE: the kernel's own again, checked
 * by a unicast probe at its first use instead of an ARP broadcast with
 * the traffic waiting. peer-backup warm installs nothing until then.
 *
 * What the peer sends is checked before it touches the kernel
 * (rbp_admit.h): the profile's interfaces, the prefixes connected there
 * (read with getifaddrs(), again when a second old, or 100 ms old before
 * a refusal) and the entry the kernel holds, looked up first (in a mirror
 * of the kernel's neighbours kept from the dumps and the monitor's events,
 * d->kmirror; in the kernel itself while a dump fills it): only an absent
 * entry is created (NLM_F_EXCL, so that one that appears meanwhile is not
 * replaced), only one of rbpd's own (proto 219) replaced or removed, and
 * one the kernel holds as it would be written is left alone. A sweep also removes rbpd's installs on
 * interfaces no profile has.
 *
 * Dumps: at start and after lost events (DUMP_SWEEP_LOCAL: local users
 * the kernel no longer has are deleted), after a takeover (learning only)
 * and after a batch from the peer (DUMP_SWEEP_INSTALLS: rbpd's installs
 * no peer entry stands behind any more are removed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "rbpd/rbp_neigh.h"
#include "rbpd/rbpd.h"

/* States in which the kernel holds a usable link-layer address. */
#define NUD_USABLE (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

/* ---- what the kernel holds (d->kmirror) ----------------------------------- */

/* The mirror's key of n: its interface, family and address. */
static size_t mirror_key(const struct rbp_neigh *n, uint8_t key[21], enum ut_svc *type)
{
	uint32_t ix = (uint32_t)n->ifindex;

	memcpy(key, &ix, sizeof(ix));
	key[4] = (uint8_t)n->family;
	memcpy(key + 5, n->addr, 16);
	*type = n->family == AF_INET ? UT_SVC_ARP : UT_SVC_ND;
	return 21;
}

/* n as the kernel said it (confirmed), or as rbpd sent it, before the
 * kernel's event: a change the kernel refuses sends none. */
static void mirror_put(struct rbpd *d, const struct rbp_neigh *n, bool confirmed)
{
	uint8_t key[21], val[sizeof(*n) + 1];
	struct ut_rec r = {.origin = UT_ORIGIN_LOCAL, .key = key, .payload = val};

	if (d->kmirror == NULL)
		return;
	r.key_len = mirror_key(n, key, &r.type);
	r.version = ++d->kmirror_ver;
	memcpy(val, n, sizeof(*n));
	val[sizeof(*n)] = confirmed;
	r.payload_len = sizeof(val);
	if (ut_upsert(d->kmirror, &r) < 0)
		d->kmirror_valid = false; /* out of memory: the kernel is asked */
}

static void mirror_del(struct rbpd *d, const struct rbp_neigh *n)
{
	uint8_t key[21];
	enum ut_svc type;
	size_t klen;

	if (d->kmirror == NULL)
		return;
	klen = mirror_key(n, key, &type);
	(void)ut_forget(d->kmirror, type, key, klen);
}

/* The kernel's entry for key's (family, ifindex, address) into *cur, as
 * rbp_neigh_get(): 1 held, 0 none, or negative; *confirmed says whether
 * the kernel said so (not only rbpd's change sent). From the mirror when
 * it is whole, else from the kernel. */
static int kget(struct rbpd *d, const struct rbp_neigh *key, struct rbp_neigh *cur,
		bool *confirmed)
{
	uint8_t k[21];
	enum ut_svc type;
	struct ut_rec r;
	size_t klen;

	*confirmed = true;
	if (!d->kmirror_valid)
		return d->get_fd < 0 ? -EBADF : rbp_neigh_get(d->get_fd, key, ++d->nl_seq, cur);
	klen = mirror_key(key, k, &type);
	if (ut_lookup(d->kmirror, type, k, klen, &r) < 0 || r.payload_len != sizeof(*cur) + 1)
		return 0;
	memcpy(cur, r.payload, sizeof(*cur));
	*confirmed = r.payload[sizeof(*cur)] != 0;
	return 1;
}

/* arg: the struct rbpd */
static void ctl_err(void *arg, uint32_t seq, int err)
{
	struct rbpd *d = arg;

	(void)seq;
	if (err == ENOENT)
		return; /* removing what was already gone */
	if (err == EEXIST)
		return; /* created meanwhile by the kernel or a person: theirs */
	/* ENOBUFS: the table holds gc_thresh3 entries it may not collect. */
	if (d->kern_errors++ % 1000 == 0)
		log_warnx("kernel neighbour table: a change was refused: %s (%" PRIu64 " so far)%s",
			  strerror(err), d->kern_errors,
			  err == ENOBUFS ? "; the table is full: raise net.ipv4.neigh.default."
					   "gc_thresh1/2/3 (ARP) or net.ipv6.neigh.default."
					   "gc_thresh1/2/3 (ND)"
					 : "");
}

static void ctl_drain(struct rbpd *d)
{
	rbp_neigh_ctl_read(d->ctl_fd, ctl_err, d);
	d->sends_since_read = 0;
}

enum kop { K_SET, K_CREATE, K_DEL };

/* Sends one change, draining the ACKs when the socket is full. */
static void kchange(struct rbpd *d, enum kop op, const struct rbp_neigh *n)
{
	int rc;

	if (d->ctl_fd < 0)
		return;
	if (++d->sends_since_read >= 256)
		ctl_drain(d);
	for (int i = 0; i < 2; i++) {
		rc = op == K_SET      ? rbp_neigh_set(d->ctl_fd, n, i ? d->nl_seq : ++d->nl_seq)
		     : op == K_CREATE ? rbp_neigh_create(d->ctl_fd, n, i ? d->nl_seq : ++d->nl_seq)
				      : rbp_neigh_del(d->ctl_fd, n, i ? d->nl_seq : ++d->nl_seq);
		if (rc != -EAGAIN)
			break;
		ctl_drain(d);
	}
	if (rc < 0) {
		d->kern_errors++;
		return;
	}
	/* what the kernel will hold, until its event says what it does */
	if (op == K_DEL) {
		d->kern_removed++;
		mirror_del(d, n);
	} else {
		d->kern_installed++;
		mirror_put(d, n, false);
	}
}

/* ---- what the peer may put there (rbp_admit.h) ----------------------------- */

#define MAX_PREFIXES RBPD_MAX_PREFIXES /* d->pfx */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned mask_len(const uint8_t *m, size_t len)
{
	unsigned n = 0;

	for (size_t i = 0; i < len; i++)
		n += (unsigned)__builtin_popcount(m[i]);
	return n;
}

/* Reads the interfaces' addresses again when the copy is older than
 * max_age_ms. */
static void pfx_refresh(struct rbpd *d, uint64_t max_age_ms)
{
	struct ifaddrs *ifa, *i;
	uint64_t now = mono_ms();

	if (d->pfx_read_ms && now - d->pfx_read_ms < max_age_ms)
		return;
	d->pfx_read_ms = now;
	if (getifaddrs(&ifa) < 0)
		return; /* keep what was read before */
	d->npfx = 0;
	for (i = ifa; i && d->npfx < MAX_PREFIXES; i = i->ifa_next) {
		struct rbp_prefix *p = &d->pfx[d->npfx].p;

		if (i->ifa_addr == NULL || i->ifa_netmask == NULL)
			continue;
		memset(p, 0, sizeof(*p));
		if (i->ifa_addr->sa_family == AF_INET) {
			p->family = AF_INET;
			memcpy(p->addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
			p->len = (uint8_t)mask_len(
			    (uint8_t *)&((struct sockaddr_in *)i->ifa_netmask)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			p->family = AF_INET6;
			memcpy(p->addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
			p->len = (uint8_t)mask_len(
			    (uint8_t *)&((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr, 16);
		} else {
			continue;
		}
		snprintf(d->pfx[d->npfx].ifname, sizeof(d->pfx[d->npfx].ifname), "%s", i->ifa_name);
		d->npfx++;
	}
	freeifaddrs(ifa);
}

/* rbp_admit_prefix() over the prefixes connected on ifname, as read at
 * most max_age_ms ago. */
static enum rbp_admit prefix_check(struct rbpd *d, int family, const uint8_t *addr,
				   const char *ifname, uint64_t max_age_ms)
{
	static struct rbp_prefix mine[MAX_PREFIXES];
	size_t n = 0;

	pfx_refresh(d, max_age_ms);
	for (size_t i = 0; i < d->npfx; i++)
		if (strcmp(d->pfx[i].ifname, ifname) == 0)
			mine[n++] = d->pfx[i].p;
	return rbp_admit_prefix(family, addr, mine, n);
}

/* A refusal is checked again against addresses at most 100 ms old: an
 * address added just before its users arrive counts. */
static enum rbp_admit on_prefix(struct rbpd *d, int family, const uint8_t *addr, const char *ifname)
{
	enum rbp_admit r = prefix_check(d, family, addr, ifname, 1000);

	return r == RBP_ADMIT_OK ? r : prefix_check(d, family, addr, ifname, 100);
}

/* Peer users held installed in the kernel, at most: the peer's ARP and
 * ND users in every table (each has at most one install). */
static uint64_t peer_neighbours(const struct rbpd *d)
{
	uint64_t n = 0;

	for (struct chan *ch = d->chans; ch; ch = ch->next)
		n += ut_count_origin(ch->t, UT_SVC_ARP, UT_ORIGIN_PEER) +
		     ut_count_origin(ch->t, UT_SVC_ND, UT_ORIGIN_PEER);
	return n;
}

unsigned rbpd_ifindex(struct rbpd *d, const char *name)
{
	uint64_t now = uv_now(d->loop) + 1; /* 0: never read */

	if (d->ifx_at != now || strcmp(d->ifx_name, name) != 0) {
		snprintf(d->ifx_name, sizeof(d->ifx_name), "%s", name);
		d->ifx_index = if_nametoindex(name);
		d->ifx_at = now;
	}
	return d->ifx_index;
}

/* The name of interface ifindex into name (IF_NAMESIZE bytes), or NULL:
 * the same memory as rbpd_ifindex(), the other way (the monitor's events
 * come in runs of one interface too). */
static const char *ifname_of(struct rbpd *d, unsigned ifindex, char *name)
{
	uint64_t now = uv_now(d->loop) + 1;

	if (ifindex != 0 && d->ifx_at == now && d->ifx_index == ifindex)
		return memcpy(name, d->ifx_name, sizeof(d->ifx_name));
	if (if_indextoname(ifindex, name) == NULL)
		return NULL;
	snprintf(d->ifx_name, sizeof(d->ifx_name), "%s", name);
	d->ifx_index = ifindex;
	d->ifx_at = now;
	return name;
}

/* The neighbour of a user's key, checked against its profile p and the
 * interface's prefixes. Returns RBP_ADMIT_OK with *n filled (ifindex 0
 * when the interface does not exist here: the user is held, not
 * installed), or the reason to refuse it. */
static enum rbp_admit admit(struct rbpd *d, struct prof *p, enum ut_svc type, const uint8_t *key,
			    size_t klen, const struct rbp_user *u, struct rbp_neigh *n)
{
	char ifname[RBP_IFNAME_MAX + 1];
	enum rbp_admit r;

	memset(n, 0, sizeof(*n));
	n->family = type == UT_SVC_ARP ? AF_INET : AF_INET6;
	if (rbp_rec_neigh_key_parse(n->family, key, klen, n->addr, ifname) < 0)
		return RBP_ADMIT_IFNAME_MISMATCH;
	r = rbp_admit_record(n->family, n->addr, ifname, u, p ? p->ifaces : NULL,
			     p ? p->nifaces : 0);
	if (r != RBP_ADMIT_OK)
		return r;
	n->ifindex = (int)rbpd_ifindex(d, ifname);
	if (n->ifindex == 0)
		return RBP_ADMIT_OK;
	return on_prefix(d, n->family, n->addr, ifname);
}

static void refuse(struct prof *p, enum rbp_admit r, const struct rbp_neigh *n,
		   const struct rbp_user *u)
{
	char a[RBP_NEIGH_ADDRSTRLEN], mac[MAC_STRLEN], what[160];

	if (p == NULL || p->ch == NULL)
		return;
	snprintf(what, sizeof(what), "%s %s lladdr %s on %s", n->family == AF_INET ? "ARP" : "ND",
		 rbp_neigh_addr_str(n, a, sizeof(a)), mac_format(u->mac, mac), u->ifname);
	rbpd_refuse(p->ch, r, what);
}

/* Installs (or updates) the neighbour of a peer's user in this state,
 * when rbp_admit.h allows. */
static void kset(struct rbpd *d, struct prof *p, enum ut_svc type, const uint8_t *key, size_t klen,
		 const struct rbp_user *u, uint16_t state)
{
	struct rbp_neigh n, cur;
	enum rbp_admit r = admit(d, p, type, key, klen, u, &n);
	bool confirmed;
	int rc = 0;

	if (r == RBP_ADMIT_OK && n.ifindex == 0)
		return;
	if (r == RBP_ADMIT_OK) {
		rc = kget(d, &n, &cur, &confirmed);
		if (rc < 0) {
			d->kern_errors++;
			return;
		}
		r = rbp_admit_kernel(rc == 1 ? &cur : NULL);
		if (r == RBP_ADMIT_OK && rc == 1 && confirmed && cur.protocol == RBP_NEIGH_PROTO &&
		    cur.state == state && cur.has_lladdr &&
		    memcmp(cur.lladdr, u->mac, RBP_MAC_LEN) == 0)
			return; /* the kernel holds it so already (rbpd restarted) */
	}
	if (r == RBP_ADMIT_OK && rc == 0 && state == NUD_PERMANENT &&
	    peer_neighbours(d) > rbpd_kernel_limit(d))
		r = RBP_ADMIT_KERNEL_FULL;
	if (r == RBP_ADMIT_KERNEL_NOT_OURS && cur.has_lladdr &&
	    memcmp(cur.lladdr, u->mac, RBP_MAC_LEN) == 0)
		return; /* the kernel's own entry says the same: nothing to refuse */
	if (r != RBP_ADMIT_OK) {
		refuse(p, r, &n, u);
		return;
	}
	memcpy(n.lladdr, u->mac, RBP_MAC_LEN);
	n.state = state;
	n.protocol = RBP_NEIGH_PROTO;
	/* none yet: created only if still none; rbpd's own: replaced */
	kchange(d, rc == 1 ? K_SET : K_CREATE, &n);
}

void rbpd_kern_apply(struct prof *p, struct pbind *pb, enum ut_svc type, const uint8_t *key,
		     size_t klen, const struct rbp_user *u)
{
	if (pb->withdrawing)
		return; /* the end of the download delay decides */
	if (pb->role == RBP_ROLE_MASTER)
		kset(p->d, p, type, key, klen, u, NUD_STALE);
	else if (p->hot)
		kset(p->d, p, type, key, klen, u, NUD_PERMANENT);
}

void rbpd_kern_remove(struct rbpd *d, enum ut_svc type, const uint8_t *key, size_t klen)
{
	char ifname[RBP_IFNAME_MAX + 1];
	struct rbp_neigh n = {.family = type == UT_SVC_ARP ? AF_INET : AF_INET6}, cur;
	bool confirmed;

	if (rbp_rec_neigh_key_parse(n.family, key, klen, n.addr, ifname) < 0 ||
	    (n.ifindex = (int)rbpd_ifindex(d, ifname)) == 0)
		return;
	/* only rbpd's own: what the kernel learned or a person made stays */
	if (kget(d, &n, &cur, &confirmed) == 1 && rbp_admit_kernel(&cur) == RBP_ADMIT_OK)
		kchange(d, K_DEL, &n);
}

void rbpd_kern_restore(struct prof *p, enum ut_svc type, const uint8_t *key, size_t klen,
		       const struct rbp_user *u)
{
	kset(p->d, p, type, key, klen, u, NUD_STALE);
}

void rbpd_kern_withdraw(struct prof *p, enum ut_svc type, const uint8_t *key, size_t klen,
			const struct rbp_user *u)
{
	if (p->hot)
		kset(p->d, p, type, key, klen, u, NUD_PERMANENT);
	else
		rbpd_kern_remove(p->d, type, key, klen);
}

/* ---- what the kernel says ------------------------------------------------- */

/* A backup install no peer entry stands behind: the user is gone, or it
 * is this device's now, or the profile is warm. */
static bool install_orphaned(struct prof *p, enum ut_svc type, const uint8_t *key, size_t klen,
			     const struct rbp_neigh *n)
{
	struct ut_rec r;
	struct rbp_user u;
	struct pbind *pb;

	struct rbp_neigh m;

	if (p == NULL || p->ch == NULL || rbpd_user_held(p->ch, type, key, klen, &r, &u) < 0 ||
	    memcmp(u.mac, n->lladdr, RBP_MAC_LEN) != 0 ||
	    admit(p->d, p, type, key, klen, &u, &m) != RBP_ADMIT_OK)
		return true;
	pb = rbpd_binding_for(p, u.mac);
	return pb == NULL || (pb->role == RBP_ROLE_BACKUP && !p->hot && !pb->withdrawing);
}

/* One of rbpd's backup installs was deleted behind its back (`ip neigh
 * del`, a flush): when a peer entry still stands behind it and this
 * device is its hot backup, it is put back, so that a takeover finds it.
 * rbpd's own removals come after the entry left the table or its role
 * changed, and are not undone. (`ip neigh del` first makes the entry
 * FAILED, so the deletion carries no link-layer address: the table's
 * entry says which.) Returns whether it was put back. */
static bool install_deleted(struct prof *p, enum ut_svc type, const uint8_t *key, size_t klen)
{
	struct rbpd *d = p->d;
	struct ut_rec r;
	struct rbp_user u;
	struct pbind *pb;

	if (p->ch == NULL || rbpd_user_held(p->ch, type, key, klen, &r, &u) < 0 ||
	    r.origin != UT_ORIGIN_PEER)
		return false;
	pb = rbpd_binding_for(p, u.mac);
	if (pb == NULL || pb->role != RBP_ROLE_BACKUP || !p->hot || pb->withdrawing)
		return false;
	if (d->kern_repaired++ % 1000 == 0)
		log_warnx("kernel neighbour table: a backup install of a peer's user was deleted "
			  "behind rbpd's back; put back (%" PRIu64 " so far)",
			  d->kern_repaired);
	kset(d, p, type, key, klen, &u, NUD_PERMANENT);
	return true;
}

static void dump_done(struct rbpd *d);

/* arg: the struct rbpd */
static void on_neigh(void *arg, int type, const struct rbp_neigh *n)
{
	struct rbpd *d = arg;
	char ifname[IF_NAMESIZE];
	uint8_t key[16 + RBP_IFNAME_MAX];
	enum ut_svc svc;
	struct prof *p;
	struct ut_rec r;
	int klen;

	if (type == NLMSG_DONE) {
		dump_done(d);
		return;
	}
	if (ifname_of(d, (unsigned)n->ifindex, ifname) == NULL)
		return;
	/* every interface's: one added to a profile later is known too */
	if (type == RTM_NEWNEIGH)
		mirror_put(d, n, true);
	else if (type == RTM_DELNEIGH)
		mirror_del(d, n);
	p = rbpd_prof_by_ifname(d, ifname);
	svc = n->family == AF_INET ? UT_SVC_ARP : UT_SVC_ND;
	klen = rbp_rec_neigh_key(n->family, n->addr, ifname, key);
	if (klen < 0)
		return;
	if (p == NULL) {
		/* an install of rbpd's on an interface no profile has (any
		 * more) stands for nobody */
		if (n->protocol == RBP_NEIGH_PROTO && (n->state & NUD_PERMANENT) &&
		    type == RTM_NEWNEIGH && d->dump_running &&
		    (d->dump_flags & DUMP_SWEEP_INSTALLS))
			kchange(d, K_DEL, n);
		return;
	}
	if (d->dump_running && (d->dump_flags & DUMP_SWEEP_LOCAL) && type == RTM_NEWNEIGH) {
		struct ut_rec s = {svc, UT_ORIGIN_LOCAL, 1, key, (size_t)klen, NULL, 0};

		ut_upsert(d->seen, &s);
	}
	if (n->protocol == RBP_NEIGH_PROTO && type == RTM_DELNEIGH &&
	    install_deleted(p, svc, key, (size_t)klen))
		return;
	if (n->protocol == RBP_NEIGH_PROTO && (n->state & NUD_PERMANENT)) {
		/* one of rbpd's backup installs: never learned as a user */
		if (type == RTM_NEWNEIGH && d->dump_running &&
		    (d->dump_flags & DUMP_SWEEP_INSTALLS) &&
		    install_orphaned(p, svc, key, (size_t)klen, n))
			kchange(d, K_DEL, n);
		return;
	}
	if (p->ch == NULL)
		return;
	if (type == RTM_NEWNEIGH && (n->state & NUD_NOARP))
		return; /* multicast and point-to-point entries: nobody's */
	if (type == RTM_NEWNEIGH && (n->state & NUD_USABLE) && n->has_lladdr) {
		struct pbind *pb = rbpd_binding_for(p, n->lladdr);
		struct rbp_user u = {.backup_id = p->backup_id};

		if (pb == NULL || pb->role != RBP_ROLE_MASTER || (n->lladdr[0] & 1))
			return; /* the peer's user, nobody's, or a group address */
		memcpy(u.mac, n->lladdr, RBP_MAC_LEN);
		snprintf(u.ifname, sizeof(u.ifname), "%s", ifname);
		rbpd_local_change(p, DB__RBS_OP__RBS_OP_ADD, svc, key, (size_t)klen, &u);
		return;
	}
	if (type == RTM_NEWNEIGH && !(n->state & (NUD_FAILED | NUD_NONE)) && !(n->state & NUD_USABLE))
		return; /* INCOMPLETE: being resolved, nobody yet */
	/* deleted, or FAILED: the user left, if it was one of ours */
	{
		struct rbp_user u;
		struct pbind *pb;

		if (rbpd_user_held(p->ch, svc, key, (size_t)klen, &r, &u) < 0 ||
		    r.origin != UT_ORIGIN_LOCAL)
			return;
		pb = rbpd_binding_for(p, u.mac);
		if (pb && pb->role == RBP_ROLE_MASTER)
			rbpd_local_change(p, DB__RBS_OP__RBS_OP_DELETE, svc, key, (size_t)klen, &u);
	}
}

static void start_dump(struct rbpd *d)
{
	int rc;

	d->dump_flags = d->dump_want;
	d->dump_want = 0;
	if (d->dump_flags & DUMP_MIRROR) {
		d->kmirror_valid = false;
		ut_table_free(d->kmirror);
		d->kmirror = ut_table_new(2, 0);
	}
	if (d->dump_flags & DUMP_SWEEP_LOCAL) {
		ut_table_free(d->seen);
		d->seen = ut_table_new(1, 0);
	}
	rc = rbp_neigh_dump(d->mon_fd, ++d->nl_seq);
	if (rc < 0) {
		log_warnx("kernel neighbour table: cannot ask for a dump: %s", strerror(-rc));
		d->dump_want |= d->dump_flags;
		return;
	}
	d->dump_running = true;
}

void rbpd_kern_dump(struct rbpd *d, unsigned flags)
{
	d->dump_want |= flags;
	if (!d->dump_running && d->mon_fd >= 0)
		start_dump(d);
}

/* Local users of the kernel's types that the sweeping dump did not
 * report are gone. */
static void sweep_local(struct rbpd *d)
{
	static const enum ut_svc types[] = {UT_SVC_ARP, UT_SVC_ND};

	for (struct chan *ch = d->chans; ch; ch = ch->next) {
		for (size_t i = 0; i < 2; i++) {
			struct ut_cursor c;
			struct ut_rec r, s;

			if (ut_cursor_open(ch->t, &c, types[i]) < 0)
				continue;
			while (ut_cursor_next(&c, &r)) {
				uint8_t key[USER_KEY_MAX];
				size_t klen = r.key_len;
				struct rbp_user u;
				struct prof *p;
				struct pbind *pb;

				if (r.origin != UT_ORIGIN_LOCAL ||
				    ut_lookup(d->seen, r.type, r.key, r.key_len, &s) == 0 ||
				    rbp_rec_decode(r.payload, r.payload_len, &u) < 0)
					continue;
				p = rbpd_prof_by_backup_id(ch, u.backup_id);
				pb = p ? rbpd_binding_for(p, u.mac) : NULL;
				if (pb == NULL || pb->role != RBP_ROLE_MASTER)
					continue;
				/* the change below frees r's memory: copy what it needs */
				memcpy(key, r.key, klen);
				rbpd_local_change(p, DB__RBS_OP__RBS_OP_DELETE, r.type, key, klen,
						  &u);
			}
			ut_cursor_close(&c);
		}
	}
}

static void dump_done(struct rbpd *d)
{
	if (!d->dump_running)
		return;
	d->dump_running = false;
	/* whole, and kept so by the events; not if events were lost since it
	 * began (another such dump is due) */
	if ((d->dump_flags & DUMP_MIRROR) && d->kmirror && !(d->dump_want & DUMP_MIRROR))
		d->kmirror_valid = true;
	if (d->dump_flags & DUMP_SWEEP_LOCAL)
		sweep_local(d);
	ut_table_free(d->seen);
	d->seen = NULL;
	d->dump_flags = 0;
	if (d->dump_want)
		start_dump(d);
}

static void on_mon(uv_poll_t *h, int status, int events)
{
	struct rbpd *d = h->data;
	int rc;

	(void)status;
	(void)events;
	rc = rbp_neigh_read(d->mon_fd, on_neigh, d);
	if (rc == -ENOBUFS) {
		/* An overrun does not stop a dump in progress (it still ends
		 * with NLMSG_DONE); the new one starts after it. */
		log_warnx("kernel neighbour table: events were lost; reading it all again");
		d->kmirror_valid = false; /* the kernel is asked until then */
		rbpd_kern_dump(d, DUMP_LEARN | DUMP_SWEEP_LOCAL | DUMP_MIRROR);
	} else if (rc == -EBUSY) {
		d->dump_running = false;
		d->dump_want |= d->dump_flags;
		rbpd_kern_dump(d, 0);
	}
}

static void on_ctl(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	ctl_drain(h->data);
}

int rbpd_kern_init(struct rbpd *d)
{
	d->mon_fd = rbp_neigh_monitor_open();
	if (d->mon_fd < 0)
		return d->mon_fd;
	d->ctl_fd = rbp_neigh_ctl_open();
	if (d->ctl_fd < 0)
		return d->ctl_fd;
	d->get_fd = rbp_neigh_get_open();
	if (d->get_fd < 0)
		return d->get_fd;
	uv_poll_init(d->loop, &d->mon_poll, d->mon_fd);
	d->mon_poll.data = d;
	uv_poll_start(&d->mon_poll, UV_READABLE, on_mon);
	uv_poll_init(d->loop, &d->ctl_poll, d->ctl_fd);
	d->ctl_poll.data = d;
	uv_poll_start(&d->ctl_poll, UV_READABLE, on_ctl);
	rbpd_kern_dump(d, DUMP_LEARN | DUMP_SWEEP_LOCAL | DUMP_MIRROR);
	return 0;
}

static void fd_closed(uv_handle_t *h)
{
	close(*(int *)h->data);
	*(int *)h->data = -1;
}

void rbpd_kern_close(struct rbpd *d)
{
	if (d->mon_fd >= 0) {
		d->mon_poll.data = &d->mon_fd;
		uv_close((uv_handle_t *)&d->mon_poll, fd_closed);
	}
	if (d->ctl_fd >= 0) {
		d->ctl_poll.data = &d->ctl_fd;
		uv_close((uv_handle_t *)&d->ctl_poll, fd_closed);
	}
	if (d->get_fd >= 0)
		close(d->get_fd);
	d->get_fd = -1;
	ut_table_free(d->seen);
	d->seen = NULL;
	ut_table_free(d->kmirror);
	d->kmirror = NULL;
	d->kmirror_valid = false;
}
