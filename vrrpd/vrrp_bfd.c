/* vrrpd's BFD sessions: sockets and timers around bfd/bfd_fsm (vrrp_bfd.h). */
#include "vrrpd/vrrp_bfd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/jsonout.h"
#include "common/log.h"
#include "common/show.h"
#include "common/sockaddr.h"

struct sess {
	struct sess *next;
	struct vrrp_bfd *b;
	char name[64];
	/* what the configuration says; a change of any of these starts the
	 * session again */
	struct sockaddr_storage peer; /* port 3784 */
	char peer_text[INET6_ADDRSTRLEN];
	char ifname[IF_NAMESIZE];
	unsigned ifindex;
	struct sockaddr_storage source; /* family 0: none configured */
	char source_text[INET6_ADDRSTRLEN];
	uint32_t remote_disc_cfg; /* 0: learned */
	bool shutdown;
	struct bfd_fsm fsm;
	int fd; /* sends */
	char fd_error[128];
	uv_timer_t timer;
	time_t last_change; /* wall clock, for display */
	uint64_t sent, send_errors, received, dropped;
};

struct rxsock {
	int fd;
	uv_poll_t poll;
	bool open;
};

struct vrrp_bfd {
	uv_loop_t *loop;
	vrrp_bfd_change_fn cb;
	void *arg;
	struct sess *sessions;
	struct rxsock rx[2]; /* [AF_INET6 ? 1 : 0] */
	/* packets no session took, by why */
	uint64_t drops[BFD_DROP__MAX];
	uint64_t drops_wrong_source, drops_remote_disc;
	unsigned handles; /* open libuv handles; freed at 0 once freeing */
	bool freeing;
};

static uint64_t now_us(void)
{
	return uv_hrtime() / 1000;
}

static uint32_t rnd32(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)random();
	return r;
}

static int fam_idx(int family)
{
	return family == AF_INET6;
}

static void maybe_free(struct vrrp_bfd *b)
{
	if (b->freeing && b->handles == 0)
		free(b);
}

/* ---- addresses ------------------------------------------------------------- */

/* text (and the interface, for an IPv6 link-local one) into ss with port. */
static int parse_addr(const char *text, unsigned ifindex, uint16_t port,
		      struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
			s6->sin6_scope_id = ifindex;
		return 0;
	}
	return -EINVAL;
}

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* ---- sending --------------------------------------------------------------- */

/* The session's own socket: its source address, a port of RFC 5881's
 * range, its interface, TTL 255. 0 or -errno (why in s->fd_error). */
static int open_tx(struct sess *s)
{
	int family = s->peer.ss_family, ttl = BFD_TTL, fd, rc = -EADDRINUSE;
	struct sockaddr_storage src;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail_errno;
	if (family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl))
			      : setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)))
		goto fail_errno;
	if (s->ifname[0] &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->ifname, (socklen_t)strlen(s->ifname)))
		goto fail_errno;
	if (s->source.ss_family)
		src = s->source;
	else {
		memset(&src, 0, sizeof(src));
		src.ss_family = (sa_family_t)family;
	}
	for (int i = 0; i < 64 && rc == -EADDRINUSE; i++) {
		uint16_t port = (uint16_t)(BFD_SRC_PORT_MIN + rnd32() % (BFD_SRC_PORT_MAX -
									 BFD_SRC_PORT_MIN + 1));

		if (family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&src)->sin6_port = htons(port);
		rc = bind(fd, (struct sockaddr *)&src, ss_len(&src)) == 0 ? 0 : -errno;
	}
	if (rc < 0) {
		errno = -rc;
		goto fail_errno;
	}
	s->fd = fd;
	s->fd_error[0] = '\0';
	return 0;
fail_errno:
	rc = -errno;
	snprintf(s->fd_error, sizeof(s->fd_error), "cannot open its socket: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

static void send_pkt(struct sess *s, const struct bfd_pkt *p)
{
	uint8_t buf[BFD_PKT_LEN];

	if (s->fd < 0 && open_tx(s) < 0) {
		s->send_errors++;
		return;
	}
	if (bfd_pkt_build(buf, sizeof(buf), p) < 0 ||
	    sendto(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&s->peer, ss_len(&s->peer)) < 0)
		s->send_errors++;
	else
		s->sent++;
}

static void on_timer(uv_timer_t *t);

/* Wake the session when its state machine asks; never 0 ms, which libuv
 * would run again within the same pass. */
static void arm(struct sess *s)
{
	uint64_t next = bfd_fsm_next(&s->fsm), now = now_us(), ms;

	if (next == 0) {
		uv_timer_stop(&s->timer);
		return;
	}
	ms = next > now ? (next - now + 999) / 1000 : 1;
	uv_timer_start(&s->timer, on_timer, ms ? ms : 1, 0);
}

/* Carry out what the state machine asked. */
static void run(struct sess *s, const struct bfd_fsm_out *o)
{
	if (o->actions & BFD_ACT_SEND)
		send_pkt(s, &o->pkt);
	if (o->from != o->to) {
		s->last_change = time(NULL);
		log_info("bfd %s: %s -> %s (%s), peer %s%s%s", s->name, bfd_state_str(o->from),
			 bfd_state_str(o->to), bfd_diag_str(o->diag), s->peer_text,
			 s->ifname[0] ? " interface " : "", s->ifname);
		if (s->b->cb)
			s->b->cb(s->b->arg, s->name, o->from, o->to, o->diag);
	}
	arm(s);
}

static void on_timer(uv_timer_t *t)
{
	struct sess *s = t->data;
	struct bfd_fsm_out o;

	bfd_fsm_timer(&s->fsm, now_us(), rnd32(), &o);
	run(s, &o);
}

/* ---- receiving ------------------------------------------------------------- */

static struct sess *find_session(struct vrrp_bfd *b, const struct bfd_pkt *p,
				 const struct sockaddr_storage *from, unsigned ifindex)
{
	for (struct sess *s = b->sessions; s; s = s->next) {
		if (p->your_disc) {
			if (s->fsm.local_disc == p->your_disc)
				return s;
		} else if (sockaddr_same_host(&s->peer, from) && (!s->ifindex || s->ifindex == ifindex)) {
			return s;
		}
	}
	return NULL;
}

/* One datagram that arrived on port 3784. */
static void rx_one(struct vrrp_bfd *b, const uint8_t *buf, size_t len,
		   const struct sockaddr_storage *from, int ttl, unsigned ifindex)
{
	struct bfd_pkt p;
	enum bfd_drop why = BFD_DROP_NONE;
	struct bfd_fsm_out o;
	struct sess *s;

	if (bfd_pkt_check_ttl(ttl) < 0) {
		b->drops[BFD_DROP_TTL]++;
		return;
	}
	if (bfd_pkt_parse(buf, len, &p, &why) < 0) {
		b->drops[why]++;
		return;
	}
	s = find_session(b, &p, from, ifindex);
	if (s == NULL) {
		b->drops[BFD_DROP_NO_SESSION]++;
		return;
	}
	/* Found by discriminator, it must still come from the session's
	 * peer: a single-hop session has exactly one. */
	if (!sockaddr_same_host(&s->peer, from) || (s->ifindex && s->ifindex != ifindex)) {
		b->drops_wrong_source++;
		s->dropped++;
		return;
	}
	if (s->remote_disc_cfg && p.my_disc != s->remote_disc_cfg) {
		b->drops_remote_disc++;
		s->dropped++;
		return;
	}
	if (bfd_fsm_recv(&s->fsm, now_us(), &p, rnd32(), &o, &why) < 0) {
		b->drops[why]++;
		s->dropped++;
		return;
	}
	s->received++;
	run(s, &o);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct vrrp_bfd *b = h->data;
	int fd = ((struct rxsock *)((char *)h - offsetof(struct rxsock, poll)))->fd;

	(void)events;
	if (status < 0)
		return;
	for (int n = 0; n < 64; n++) {
		uint8_t buf[256];
		char cbuf[256];
		struct sockaddr_storage from;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr m = {.msg_name = &from,
				   .msg_namelen = sizeof(from),
				   .msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = cbuf,
				   .msg_controllen = sizeof(cbuf)};
		ssize_t len = recvmsg(fd, &m, 0);
		int ttl = -1;
		unsigned ifindex = 0;

		if (len < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
				memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
			else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
			else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = (unsigned)pi.ipi_ifindex;
			} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = pi.ipi6_ifindex;
			}
		}
		rx_one(b, buf, (size_t)len, &from, ttl, ifindex);
	}
}

/* The receiving socket of a family: port 3784, TTL and interface of each
 * packet. 0 or -errno. */
static int open_rx(struct vrrp_bfd *b, int family)
{
	struct rxsock *r = &b->rx[fam_idx(family)];
	int one = 1, fd;
	struct sockaddr_storage ss;

	if (r->open)
		return 0;
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons(BFD_UDP_PORT);
		if (setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)))
			goto fail;
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(BFD_UDP_PORT);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)))
			goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, ss_len(&ss)))
		goto fail;
	r->fd = fd;
	uv_poll_init(b->loop, &r->poll, fd);
	r->poll.data = b;
	b->handles++;
	uv_poll_start(&r->poll, UV_READABLE, on_readable);
	r->open = true;
	return 0;
fail:
	one = -errno; /* before close() can change it */
	close(fd);
	return one;
}

static void rx_closed(uv_handle_t *h)
{
	struct rxsock *r = (struct rxsock *)((char *)h - offsetof(struct rxsock, poll));
	struct vrrp_bfd *b = h->data;

	close(r->fd);
	r->fd = -1;
	b->handles--;
	maybe_free(b);
}

static void close_rx(struct vrrp_bfd *b, int family)
{
	struct rxsock *r = &b->rx[fam_idx(family)];

	if (!r->open)
		return;
	r->open = false;
	uv_close((uv_handle_t *)&r->poll, rx_closed);
}

/* ---- sessions -------------------------------------------------------------- */

static void sess_closed(uv_handle_t *h)
{
	struct sess *s = h->data;
	struct vrrp_bfd *b = s->b;

	free(s);
	b->handles--;
	maybe_free(b);
}

/* Stop a session; a running one tells the peer AdminDown first. */
static void sess_destroy(struct sess *s)
{
	struct bfd_fsm_out o;

	if (s->fsm.state != BFD_STATE_ADMIN_DOWN) {
		bfd_fsm_set_admin_down(&s->fsm, now_us(), true, rnd32(), &o);
		if (o.actions & BFD_ACT_SEND)
			send_pkt(s, &o.pkt);
	}
	if (s->fd >= 0)
		close(s->fd);
	uv_close((uv_handle_t *)&s->timer, sess_closed);
}

static struct bfd_fsm_cfg fsm_cfg(const Db__BfdSessionConfig *c)
{
	struct bfd_fsm_cfg f = {c->min_tx_ms * 1000, c->min_rx_ms * 1000, (uint8_t)c->detect_mult};

	return f;
}

static struct sess *sess_create(struct vrrp_bfd *b, const Db__BfdSessionConfig *c)
{
	struct sess *s = calloc(1, sizeof(*s));
	struct bfd_fsm_cfg fc = fsm_cfg(c);
	struct bfd_fsm_out o;

	if (s == NULL)
		return NULL;
	s->b = b;
	s->fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", c->name);
	snprintf(s->ifname, sizeof(s->ifname), "%s", c->ifname);
	s->ifindex = c->ifname[0] ? if_nametoindex(c->ifname) : 0;
	snprintf(s->peer_text, sizeof(s->peer_text), "%s", c->peer_ip);
	snprintf(s->source_text, sizeof(s->source_text), "%s", c->source_ip);
	if (parse_addr(c->peer_ip, s->ifindex, BFD_UDP_PORT, &s->peer) < 0 ||
	    (c->source_ip[0] && parse_addr(c->source_ip, s->ifindex, 0, &s->source) < 0) ||
	    bfd_fsm_init(&s->fsm, c->local_disc, &fc, now_us()) < 0) {
		log_warnx("bfd %s: cannot start: bad address or parameters", c->name);
		free(s);
		return NULL;
	}
	s->remote_disc_cfg = c->remote_disc;
	s->last_change = time(NULL);
	uv_timer_init(b->loop, &s->timer);
	s->timer.data = s;
	b->handles++;
	if (open_tx(s) < 0)
		log_warnx("bfd %s: %s", s->name, s->fd_error);
	s->shutdown = c->shutdown;
	if (c->shutdown) {
		bfd_fsm_set_admin_down(&s->fsm, now_us(), true, rnd32(), &o);
		run(s, &o);
	} else {
		arm(s);
	}
	return s;
}

/* Whether a running session can take c without starting again. */
static bool same_identity(const struct sess *s, const Db__BfdSessionConfig *c)
{
	return strcmp(s->peer_text, c->peer_ip) == 0 && strcmp(s->ifname, c->ifname) == 0 &&
	       strcmp(s->source_text, c->source_ip) == 0 && s->fsm.local_disc == c->local_disc &&
	       s->remote_disc_cfg == c->remote_disc;
}

static void sess_update(struct sess *s, const Db__BfdSessionConfig *c)
{
	struct bfd_fsm_cfg fc = fsm_cfg(c);
	struct bfd_fsm_out o;

	if (memcmp(&fc, &s->fsm.cfg, sizeof(fc)) != 0 &&
	    bfd_fsm_set_cfg(&s->fsm, now_us(), &fc, rnd32(), &o) == 0)
		run(s, &o);
	if (c->shutdown != s->shutdown) {
		s->shutdown = c->shutdown;
		bfd_fsm_set_admin_down(&s->fsm, now_us(), c->shutdown, rnd32(), &o);
		run(s, &o);
	}
}

int vrrp_bfd_new(struct vrrp_bfd **out, uv_loop_t *loop, vrrp_bfd_change_fn cb, void *arg)
{
	struct vrrp_bfd *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return -ENOMEM;
	b->loop = loop;
	b->cb = cb;
	b->arg = arg;
	b->rx[0].fd = b->rx[1].fd = -1;
	*out = b;
	return 0;
}

void vrrp_bfd_free(struct vrrp_bfd *b)
{
	if (b == NULL)
		return;
	while (b->sessions) {
		struct sess *s = b->sessions;

		b->sessions = s->next;
		sess_destroy(s);
	}
	close_rx(b, AF_INET);
	close_rx(b, AF_INET6);
	b->freeing = true;
	maybe_free(b);
}

void vrrp_bfd_check(const Db__VrrpdConfig *c, struct errlist *errs)
{
	for (size_t i = 0; i < c->n_bfd_sessions; i++) {
		const Db__BfdSessionConfig *s = c->bfd_sessions[i];
		unsigned idx = s->ifname[0] ? if_nametoindex(s->ifname) : 0;
		struct sockaddr_storage ss;
		int fd;

		if (s->ifname[0] && idx == 0) {
			errlist_add(errs, "bfd %s: interface %s does not exist", s->name, s->ifname);
			continue;
		}
		if (!s->source_ip[0] || parse_addr(s->source_ip, idx, 0, &ss) < 0)
			continue;
		fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, ss_len(&ss)) < 0 &&
		    errno == EADDRNOTAVAIL)
			errlist_add(errs, "bfd %s: source-ip %s is not an address of this device",
				    s->name, s->source_ip);
		if (fd >= 0)
			close(fd);
	}
}

void vrrp_bfd_apply(struct vrrp_bfd *b, const Db__VrrpdConfig *c)
{
	struct sess *list = NULL, **tail = &list;
	bool fam[2] = {false, false};

	for (size_t i = 0; i < c->n_bfd_sessions; i++) {
		const Db__BfdSessionConfig *sc = c->bfd_sessions[i];
		struct sess **pp, *s = NULL;

		for (pp = &b->sessions; *pp; pp = &(*pp)->next)
			if (strcmp((*pp)->name, sc->name) == 0) {
				s = *pp;
				*pp = s->next;
				break;
			}
		if (s && !same_identity(s, sc)) {
			log_info("bfd %s: peer, interface, source or discriminator changed: the "
				 "session starts again",
				 s->name);
			sess_destroy(s);
			s = NULL;
		}
		if (s)
			sess_update(s, sc);
		else
			s = sess_create(b, sc);
		if (s == NULL)
			continue;
		fam[fam_idx(s->peer.ss_family)] = true;
		s->next = NULL;
		*tail = s;
		tail = &s->next;
	}
	while (b->sessions) {
		struct sess *s = b->sessions;

		b->sessions = s->next;
		log_info("bfd %s: removed", s->name);
		sess_destroy(s);
	}
	b->sessions = list;
	for (int f = 0; f < 2; f++) {
		int family = f ? AF_INET6 : AF_INET, rc;

		if (!fam[f]) {
			close_rx(b, family);
		} else if ((rc = open_rx(b, family)) < 0) {
			log_warnx("bfd: cannot receive on UDP port %u (%s): %s", BFD_UDP_PORT,
				  f ? "IPv6" : "IPv4", strerror(-rc));
		}
	}
}

bool vrrp_bfd_state(const struct vrrp_bfd *b, const char *name, enum bfd_state *st)
{
	for (const struct sess *s = b->sessions; s; s = s->next)
		if (strcmp(s->name, name) == 0) {
			*st = s->fsm.state;
			return true;
		}
	return false;
}

/* ---- display --------------------------------------------------------------- */

static void show_one(const struct sess *s, FILE *f)
{
	const struct bfd_fsm *m = &s->fsm;
	char t[40];

	show_time(s->last_change, t, sizeof(t));
	fprintf(f, "BFD session: %s\n", s->name);
	fprintf(f, "  State          : %s (since %s), diagnostic %u (%s)\n",
		bfd_state_str(m->state), t, m->diag, bfd_diag_str(m->diag));
	fprintf(f, "  Peer           : %s%s%s, source %s, peer's state %s\n", s->peer_text,
		s->ifname[0] ? " interface " : "", s->ifname,
		s->source_text[0] ? s->source_text : "chosen by the kernel",
		bfd_state_str(m->remote_state));
	fprintf(f, "  Discriminators : local %u, remote %u%s\n", m->local_disc, m->remote_disc,
		s->remote_disc_cfg ? " (configured)" : " (learned)");
	fprintf(f,
		"  Intervals      : transmit %.1f ms (configured %u), receive %.1f ms "
		"(configured %u), detect multiplier %u (peer's %u)\n",
		bfd_fsm_tx_interval_us(m) / 1000.0, m->cfg.desired_min_tx_us / 1000,
		m->rx_used_us / 1000.0, m->cfg.required_min_rx_us / 1000, m->cfg.detect_mult,
		m->remote_detect_mult);
	fprintf(f, "  Detection time : %.1f ms\n", bfd_fsm_detect_time_us(m) / 1000.0);
	fprintf(f, "  Up / down      : %u / %u\n", m->ups, m->downs);
	fprintf(f, "  Packets        : sent %llu (errors %llu), received %llu, dropped %llu\n",
		(unsigned long long)s->sent, (unsigned long long)s->send_errors,
		(unsigned long long)s->received, (unsigned long long)s->dropped);
	if (s->fd_error[0])
		fprintf(f, "  Problem        : %s\n", s->fd_error);
}

static void json_one(const struct sess *s, struct json_object *x)
{
	const struct bfd_fsm *m = &s->fsm;
	struct json_object *o;

	jout_str(x, "name", s->name);
	jout_str(x, "state", bfd_state_str(m->state));
	jout_bool(x, "up", m->state == BFD_STATE_UP);
	jout_u64(x, "diagnostic", m->diag);
	jout_str(x, "diagnostic_text", bfd_diag_str(m->diag));
	jout_i64(x, "last_change", (int64_t)s->last_change);
	jout_str(x, "peer", s->peer_text);
	jout_str(x, "interface", s->ifname[0] ? s->ifname : NULL);
	jout_str(x, "source", s->source_text[0] ? s->source_text : NULL);
	jout_str(x, "remote_state", bfd_state_str(m->remote_state));
	jout_u64(x, "local_discriminator", m->local_disc);
	jout_u64(x, "remote_discriminator", m->remote_disc);
	jout_bool(x, "remote_discriminator_configured", s->remote_disc_cfg != 0);
	jout_u64(x, "tx_interval_us", bfd_fsm_tx_interval_us(m));
	jout_u64(x, "rx_interval_us", m->rx_used_us);
	jout_u64(x, "detect_mult", m->cfg.detect_mult);
	jout_u64(x, "remote_detect_mult", m->remote_detect_mult);
	jout_u64(x, "detection_time_us", bfd_fsm_detect_time_us(m));
	o = jout_obj(x, "configured");
	jout_u64(o, "min_tx_ms", m->cfg.desired_min_tx_us / 1000);
	jout_u64(o, "min_rx_ms", m->cfg.required_min_rx_us / 1000);
	jout_u64(o, "detect_mult", m->cfg.detect_mult);
	jout_bool(o, "shutdown", s->shutdown);
	jout_u64(x, "ups", m->ups);
	jout_u64(x, "downs", m->downs);
	o = jout_obj(x, "packets");
	jout_u64(o, "sent", s->sent);
	jout_u64(o, "send_errors", s->send_errors);
	jout_u64(o, "received", s->received);
	jout_u64(o, "dropped", s->dropped);
	jout_str(x, "problem", s->fd_error[0] ? s->fd_error : NULL);
}

int vrrp_bfd_show(const struct vrrp_bfd *b, const char *name, bool json, FILE *f)
{
	bool all = name == NULL || strcmp(name, "all") == 0;
	struct json_object *o = NULL, *arr = NULL, *d;
	size_t shown = 0;

	if (json) {
		o = json_object_new_object();
		arr = jout_arr(o, "sessions");
	}
	for (const struct sess *s = b->sessions; s; s = s->next) {
		if (!all && strcmp(s->name, name) != 0)
			continue;
		shown++;
		if (json)
			json_one(s, jout_push_obj(arr));
		else
			show_one(s, f);
	}
	if (json) {
		d = jout_obj(o, "dropped");
		for (int w = 1; w < BFD_DROP__MAX; w++)
			jout_u64(d, bfd_drop_str((enum bfd_drop)w), b->drops[w]);
		jout_u64(d, "wrong_source", b->drops_wrong_source);
		jout_u64(d, "remote_discriminator_mismatch", b->drops_remote_disc);
		if (!all && shown == 0)
			jout_str(o, "error", "The BFD session does not exist.");
		return jout_write(f, o);
	}
	if (shown == 0)
		fprintf(f, all ? "Info: No BFD session is configured."
			       : "Error: The BFD session does not exist.");
	return 1;
}
