/* BFD sessions of the configuration (compile_bfd.h). */
#include "cfgd/compile_bfd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgd/grammar.h"

static char *dup_or_empty(const char *s, int *oom)
{
	char *d = strdup(s ? s : "");

	if (d == NULL)
		*oom = 1;
	return d;
}

/* A unicast address of one family, the other way round from inet_pton. */
static int addr_family(const char *s, struct in6_addr *a6)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		uint32_t h = ntohl(a4.s_addr);

		return h == 0 || h == 0xffffffffu || (h >> 28) == 0xe ? -1 : AF_INET;
	}
	if (inet_pton(AF_INET6, s, a6) == 1)
		return IN6_IS_ADDR_UNSPECIFIED(a6) || IN6_IS_ADDR_MULTICAST(a6) ? -1 : AF_INET6;
	return -1;
}

/* One line of a `bfd NAME` section into s. */
static void session_line(Db__BfdSessionConfig *s, const struct gram_result *r, int *oom)
{
	const struct gram_arg *a;

	switch (r->id) {
	case G_BFD_BIND:
		free(s->peer_ip);
		free(s->ifname);
		free(s->source_ip);
		s->peer_ip = dup_or_empty(gram_arg(r, "peer-ip")->str, oom);
		a = gram_arg(r, "interface-name");
		s->ifname = dup_or_empty(a ? a->str : "", oom);
		a = gram_arg(r, "source-ip");
		s->source_ip = dup_or_empty(a ? a->str : "", oom);
		break;
	case G_BFD_DISCR:
		if (strcmp(gram_arg(r, "which")->str, "local") == 0)
			s->local_disc = (uint32_t)gram_arg(r, "discriminator")->num;
		else
			s->remote_disc = (uint32_t)gram_arg(r, "discriminator")->num;
		break;
	case G_BFD_MIN_TX:
		s->min_tx_ms = (uint32_t)gram_arg(r, "interval")->num;
		break;
	case G_BFD_MIN_RX:
		s->min_rx_ms = (uint32_t)gram_arg(r, "interval")->num;
		break;
	case G_BFD_MULT:
		s->detect_mult = (uint32_t)gram_arg(r, "multiplier")->num;
		break;
	case G_BFD_SHUTDOWN:
		s->shutdown = true;
		break;
	default:
		break;
	}
}

static Db__BfdSessionConfig *session(const struct conf_section *sec, struct errlist *errs,
				     int *oom)
{
	Db__BfdSessionConfig *s = calloc(1, sizeof(*s));
	struct conf_line **lines;
	int n;

	if (s == NULL) {
		*oom = 1;
		return NULL;
	}
	db__bfd_session_config__init(s);
	s->name = dup_or_empty(sec->name, oom);
	s->peer_ip = dup_or_empty("", oom);
	s->ifname = dup_or_empty("", oom);
	s->source_ip = dup_or_empty("", oom);
	s->min_tx_ms = BFD_DEF_MIN_TX_MS;
	s->min_rx_ms = BFD_DEF_MIN_RX_MS;
	s->detect_mult = BFD_DEF_DETECT_MULT;
	n = conf_lines(sec, &lines);
	if (n < 0) {
		*oom = 1;
		return s;
	}
	for (int i = 0; i < n; i++) {
		struct gram_result r;

		if (gram_parse(VIEW_BFD_SESSION, lines[i]->text, &r) != 0) {
			errlist_add(errs, "bfd %s: cannot parse stored line '%s'", sec->name,
				    lines[i]->text);
			continue;
		}
		session_line(s, &r, oom);
	}
	free(lines);
	return s;
}

/* The peer, the source and the interface make sense together. */
static int check_addresses(const Db__BfdSessionConfig *s, struct errlist *errs)
{
	struct in6_addr p6, s6;
	int pf, sf;

	if (s->peer_ip == NULL || s->peer_ip[0] == '\0')
		return errlist_add(errs, "bfd %s: no bind peer-ip (bfd %s bind peer-ip ADDRESS)",
				   s->name, s->name) ?: -EINVAL;
	pf = addr_family(s->peer_ip, &p6);
	if (pf < 0)
		return errlist_add(errs, "bfd %s: peer-ip %s is not a unicast address", s->name,
				   s->peer_ip) ?: -EINVAL;
	if (pf == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&p6) && s->ifname[0] == '\0')
		return errlist_add(errs,
				   "bfd %s: peer-ip %s is link-local: the session needs an "
				   "interface",
				   s->name, s->peer_ip) ?: -EINVAL;
	if (s->source_ip[0] == '\0')
		return 0;
	sf = addr_family(s->source_ip, &s6);
	if (sf != pf)
		return errlist_add(errs,
				   "bfd %s: source-ip %s is not a unicast address of the peer's "
				   "family",
				   s->name, s->source_ip) ?: -EINVAL;
	return 0;
}

/* FNV-1a of the name, in 1 .. 2^31 - 1: configured discriminators are
 * often small, so automatic ones stay clear of them in the upper half
 * of that range. */
static uint32_t auto_disc(const char *name)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return 0x40000000u | (h & 0x3fffffffu);
}

/* Whether a session other than i already has discriminator d (sessions
 * still waiting for an automatic one have 0). */
static bool disc_taken(const Db__VrrpdConfig *v, size_t i, uint32_t d)
{
	for (size_t j = 0; j < v->n_bfd_sessions; j++)
		if (j != i && v->bfd_sessions[j]->local_disc == d)
			return true;
	return false;
}

/* Every session against the others: one local discriminator each, one
 * session per peer and interface; then automatic discriminators. */
static int check_all(Db__VrrpdConfig *v, const bool *auto_local, struct errlist *errs)
{
	int rc = 0;

	for (size_t i = 0; i < v->n_bfd_sessions; i++) {
		Db__BfdSessionConfig *s = v->bfd_sessions[i];

		for (size_t j = 0; j < i; j++) {
			Db__BfdSessionConfig *o = v->bfd_sessions[j];

			if (!auto_local[i] && !auto_local[j] && s->local_disc == o->local_disc)
				rc = errlist_add(errs,
						 "bfd %s: discriminator local %u is also bfd %s's",
						 s->name, s->local_disc, o->name)
					 ?: -EINVAL;
			if (strcmp(s->peer_ip, o->peer_ip) == 0 &&
			    strcmp(s->ifname, o->ifname) == 0)
				rc = errlist_add(errs,
						 "bfd %s: bfd %s already runs to peer-ip %s%s%s",
						 s->name, o->name, s->peer_ip,
						 s->ifname[0] ? " interface " : "", s->ifname)
					 ?: -EINVAL;
		}
	}
	for (size_t i = 0; i < v->n_bfd_sessions && rc == 0; i++) {
		Db__BfdSessionConfig *s = v->bfd_sessions[i];

		if (!auto_local[i])
			continue;
		s->local_disc = auto_disc(s->name);
		while (disc_taken(v, i, s->local_disc))
			s->local_disc = 0x40000000u | ((s->local_disc + 1) & 0x3fffffffu);
	}
	return rc;
}

/* The session a track names, by name or by local discriminator. */
static const Db__BfdSessionConfig *tracked(const Db__VrrpdConfig *v, const Db__TrackBfd *t)
{
	for (size_t k = 0; k < v->n_bfd_sessions; k++) {
		const Db__BfdSessionConfig *s = v->bfd_sessions[k];

		if (t->session_id ? s->local_disc == t->session_id : strcmp(s->name, t->session) == 0)
			return s;
	}
	return NULL;
}

/* Every tracked session exists, and a group tracks each at most once; a
 * track by discriminator gets the session's name (what vrrpd uses). */
static int check_tracks(Db__VrrpdConfig *v, struct errlist *errs)
{
	int rc = 0;

	for (size_t i = 0; i < v->n_groups; i++) {
		Db__VrrpGroupConfig *g = v->groups[i];
		const char *fam = g->ipv6 ? "vrrp6" : "vrrp";

		for (size_t j = 0; j < g->n_track_bfd; j++) {
			Db__TrackBfd *t = g->track_bfd[j];
			const Db__BfdSessionConfig *s = tracked(v, t);

			if (s == NULL) {
				char id[16];

				snprintf(id, sizeof(id), "%u", t->session_id);
				rc = errlist_add(errs,
						 "interface %s: %s vrid %u tracks bfd-session %s, which "
						 "is not configured",
						 g->ifname, fam, g->vrid, t->session_id ? id : t->session)
					 ?: -EINVAL;
				continue;
			}
			t->session = s->name; /* owned by the session; freed with it */
			for (size_t k = 0; k < j; k++)
				if (strcmp(g->track_bfd[k]->session, s->name) == 0)
					rc = errlist_add(errs,
							 "interface %s: %s vrid %u tracks bfd-session %s "
							 "twice",
							 g->ifname, fam, g->vrid, s->name)
						 ?: -EINVAL;
		}
	}
	return rc;
}

int cfg_compile_bfd(const struct conf *c, Db__VrrpdConfig *v, struct errlist *errs)
{
	struct conf_section **secs;
	bool *auto_local = NULL;
	int ns = conf_sections(c, &secs), rc = 0, oom = 0;

	if (ns < 0)
		return ns;
	v->bfd = conf_section(c, VIEW_BFD, "") != NULL;
	for (int i = 0; i < ns; i++)
		if (secs[i]->view == VIEW_BFD_SESSION)
			v->n_bfd_sessions++;
	if (v->n_bfd_sessions) {
		v->bfd_sessions = calloc(v->n_bfd_sessions, sizeof(*v->bfd_sessions));
		auto_local = calloc(v->n_bfd_sessions, sizeof(*auto_local));
	}
	if (v->n_bfd_sessions && (v->bfd_sessions == NULL || auto_local == NULL)) {
		v->n_bfd_sessions = 0;
		free(auto_local);
		free(secs);
		return -ENOMEM;
	}
	v->n_bfd_sessions = 0;
	for (int i = 0; i < ns; i++) {
		Db__BfdSessionConfig *s;

		if (secs[i]->view != VIEW_BFD_SESSION)
			continue;
		s = session(secs[i], errs, &oom);
		if (s == NULL)
			break;
		v->bfd_sessions[v->n_bfd_sessions] = s;
		auto_local[v->n_bfd_sessions++] = s->local_disc == 0;
		if (oom)
			break;
		if (!v->bfd)
			rc = errlist_add(errs,
					 "bfd %s: BFD is not enabled: enter bfd in the system view "
					 "first",
					 s->name)
				 ?: -EINVAL;
		if (check_addresses(s, errs) < 0)
			rc = -EINVAL;
	}
	free(secs);
	if (oom)
		rc = -ENOMEM;
	if (rc == 0)
		rc = check_all(v, auto_local, errs);
	if (rc == 0)
		rc = check_tracks(v, errs);
	free(auto_local);
	return rc;
}

void cfg_compile_bfd_free(Db__VrrpdConfig *v)
{
	for (size_t i = 0; i < v->n_bfd_sessions; i++) {
		Db__BfdSessionConfig *s = v->bfd_sessions[i];

		free(s->name);
		free(s->peer_ip);
		free(s->ifname);
		free(s->source_ip);
		free(s);
	}
	free(v->bfd_sessions);
	v->bfd_sessions = NULL;
	v->n_bfd_sessions = 0;
}
