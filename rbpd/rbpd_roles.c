/*
 * The roles, both ways over the RBS channel: this device's role for each
 * binding, to rbsd for the peer (rbsd keeps them and says them in its
 * keepalives), and the peer's, which split-brain detection reads
 * (rbpd/rbp_dual.h, docs/splitbrain.md).
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "rbpd/rbpd.h"

/* The peer's roles (rbsd checked them: bounded, names that fit). */
void rbpd_feed_rx_roles(struct chan *ch, const Db__RbsRoles *r)
{
	struct rbp_peer_role *pr = calloc(r->n_roles ? r->n_roles : 1, sizeof(*pr));

	if (pr == NULL)
		fatal("calloc");
	for (size_t i = 0; i < r->n_roles; i++) {
		pr[i].backup_id = r->roles[i]->backup_id;
		pr[i].vrid = r->roles[i]->vrid;
		pr[i].master = r->roles[i]->master;
		snprintf(pr[i].ifname, sizeof(pr[i].ifname), "%s",
			 r->roles[i]->ifname ? r->roles[i]->ifname : "");
	}
	free(ch->peer_roles);
	ch->peer_roles = pr;
	ch->n_peer_roles = r->n_roles;
	rbpd_dual_check(ch);
}

void rbpd_feed_send_roles(struct chan *ch)
{
	uint64_t h;
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsRoles r = DB__RBS_ROLES__INIT;
	Db__RbsRole *roles, **ptrs;
	size_t n = 0, max = 0;

	/* rbsd holds them until it restarts (a new attachment): sent when
	 * they change or the attachment does, checked every second */
	if (!ch->attached || ch->stash)
		return;
	for (struct prof *p = ch->d->profs; p; p = p->next)
		max += p->ch == ch ? p->nbind : 0;
	roles = calloc(max ? max : 1, sizeof(*roles));
	ptrs = calloc(max ? max : 1, sizeof(*ptrs));
	if (roles == NULL || ptrs == NULL)
		fatal("calloc");
	for (struct prof *p = ch->d->profs; p; p = p->next)
		for (size_t j = 0; j < p->nbind && p->ch == ch; j++) {
			const struct pbind *pb = &p->bind[j];

			db__rbs_role__init(&roles[n]);
			roles[n].backup_id = p->backup_id;
			roles[n].vrid = pb->b.vrid;
			roles[n].ifname = (char *)pb->ifname;
			roles[n].master = pb->role_known && pb->role == RBP_ROLE_MASTER;
			ptrs[n] = &roles[n];
			n++;
		}
	r.roles = ptrs;
	r.n_roles = n;
	h = bus_msg_digest(&r.base); /* whether rbsd holds these already */
	if (h != ch->roles_hash || ch->attach != ch->roles_attach) {
		m.body_case = DB__RBS_LOCAL__BODY_ROLES;
		m.roles = &r;
		if (rbpd_feed_send(ch, &m)) {
			ch->roles_hash = h;
			ch->roles_attach = ch->attach;
		}
	}
	free(ptrs);
	free(roles);
}
