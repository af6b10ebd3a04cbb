/*
 * rbpd's configuration (see rbpd.h for how its files share the work):
 * check against the live system, apply (profiles made anew, keeping the
 * roles of the bindings that stay; channels made for the services they
 * name, and dropped with their users when no profile names them), discard.
 */
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/log.h"
#include "common/reconcile.h"
#include "rbpd/rbpd.h"

/* cfgclient_ops.check: unpack and check against the live system. */
void *rbpd_check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	Db__RbpdConfig *c = db__rbpd_config__unpack(NULL, len, sec);

	(void)arg;
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < c->n_profiles; i++) {
		Db__RbpConfig *p = c->profiles[i];

		for (size_t j = 0; j < p->n_bindings; j++)
			if (if_nametoindex(p->bindings[j]->ifname) == 0)
				errlist_add(
				    errs,
				    "remote-backup-profile %s: vrrp-id %u interface %s: the "
				    "interface does not exist",
				    p->name, p->bindings[j]->vrid, p->bindings[j]->ifname);
		for (size_t j = 0; j < p->n_interfaces; j++)
			if (if_nametoindex(p->interfaces[j]) == 0)
				errlist_add(errs, "interface %s: the interface does not exist",
					    p->interfaces[j]);
		if (p->n_bindings > 2 || p->n_bindings + p->n_interfaces > RBPD_MAX_IFACES)
			errlist_add(errs,
				    "remote-backup-profile %s: at most two bindings and %d "
				    "interfaces in all",
				    p->name, RBPD_MAX_IFACES);
	}
	return c;
}

static struct chan *chan_get(struct rbpd *d, const char *name)
{
	struct chan *ch;
	uint64_t seed;

	for (ch = d->chans; ch; ch = ch->next)
		if (strcmp(ch->name, name) == 0)
			return ch;
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		fatal("calloc");
	ch->d = d;
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	getrandom(&seed, sizeof(seed), 0);
	/* tombstones: a delete that overtakes an older add must win */
	ch->t = ut_table_new(seed, 65536);
	if (ch->t == NULL)
		fatal("ut_table_new");
	rbp_fifo_init(&ch->q);
	ch->next = d->chans;
	d->chans = ch;
	return ch;
}

static void prof_closed(uv_handle_t *h)
{
	struct pbind *pb = h->data;
	struct prof *p = pb->p;

	pb->p = NULL;
	if (p->bind[0].p == NULL && p->bind[1].p == NULL)
		free(p);
}

void rbpd_prof_free(struct prof *p)
{
	for (int i = 0; i < 2; i++)
		uv_close((uv_handle_t *)&p->bind[i].withdraw, prof_closed);
}

static void add_iface(struct prof *p, const char *ifname)
{
	for (size_t j = 0; j < p->nifaces; j++)
		if (strcmp(p->ifaces[j], ifname) == 0)
			return;
	if (p->nifaces < RBPD_MAX_IFACES)
		snprintf(p->ifaces[p->nifaces++], RBP_IFNAME_MAX + 1, "%s", ifname);
}

static struct prof *prof_new(struct rbpd *d, const Db__RbpConfig *c, struct prof *old)
{
	struct prof *p = calloc(1, sizeof(*p));

	if (p == NULL)
		fatal("calloc");
	p->d = d;
	snprintf(p->name, sizeof(p->name), "%s", c->name);
	p->hot = strcmp(c->backup_mode, "hot") == 0;
	p->backup_id = c->backup_id;
	p->preempt_wait_max_s = c->preempt_wait_max_s;
	if (c->backup_id && c->service[0]) {
		p->ch = chan_get(d, c->service);
		p->ch->used = true;
	}
	for (size_t i = 0; i < 2; i++) {
		struct pbind *pb = &p->bind[i];

		uv_timer_init(d->loop, &pb->withdraw);
		pb->withdraw.data = pb;
		pb->p = p;
		pb->role = RBP_ROLE_BACKUP;
		if (i >= c->n_bindings)
			continue;
		snprintf(pb->ifname, sizeof(pb->ifname), "%s", c->bindings[i]->ifname);
		pb->b.vrid = c->bindings[i]->vrid;
		pb->b.ifname = pb->ifname;
		pb->b.parity = c->bindings[i]->odd_mac ? RBP_PARITY_ODD : RBP_PARITY_EVEN;
		pb->b.state = RBP_GROUP_INIT;
		p->nbind++;
		add_iface(p, pb->ifname);
		/* The same binding as before keeps its role: a commit that
		 * changes something else is no switchover. */
		if (old && old->ch == p->ch && old->backup_id == p->backup_id)
			for (size_t j = 0; j < old->nbind; j++)
				if (old->bind[j].b.vrid == pb->b.vrid &&
				    old->bind[j].b.parity == pb->b.parity &&
				    strcmp(old->bind[j].ifname, pb->ifname) == 0) {
					pb->role = old->bind[j].role;
					pb->role_known = old->bind[j].role_known;
					if (old->bind[j].withdrawing) {
						/* the download delay goes on */
						pb->withdrawing = true;
						uv_timer_start(
						    &pb->withdraw, rbpd_on_withdraw,
						    uv_timer_get_due_in(&old->bind[j].withdraw), 0);
					}
					pb->restored_users = old->bind[j].restored_users;
					pb->restored_published =
					    old->bind[j].restored_published;
					pb->restore_ms = old->bind[j].restore_ms;
					pb->restore_at_ns = old->bind[j].restore_at_ns;
					pb->whole_at_ms = old->bind[j].whole_at_ms;
					pb->backup_heard = old->bind[j].backup_heard;
				}
	}
	for (size_t i = 0; i < c->n_interfaces; i++)
		add_iface(p, c->interfaces[i]);
	if (old)
		memcpy(p->restored, old->restored, sizeof(p->restored));
	return p;
}

/* A commit's profiles against the running ones (common/reconcile.h). */
struct apply {
	struct rbpd *d;
	const Db__RbpdConfig *c;
};

static void *apply_find(void *ctx, size_t i)
{
	struct apply *a = ctx;

	for (struct prof *p = a->d->profs; p; p = p->next)
		if (strcmp(p->name, a->c->profiles[i]->name) == 0)
			return p;
	return NULL;
}

static void apply_drop(void *ctx, void *obj)
{
	(void)ctx;
	rbpd_prof_free(obj);
}

/* A profile that stays is made again from its configuration, taking over
 * what the old one had (prof_new()). */
static void *apply_keep(void *ctx, void *obj, size_t i)
{
	struct apply *a = ctx;
	struct prof *o = obj, *p = prof_new(a->d, a->c->profiles[i], o);
	bool mode_changed = o->hot != p->hot;

	rbpd_prof_free(o);
	if (mode_changed)
		rbpd_mode_changed(p);
	return p;
}

static void *apply_make(void *ctx, size_t i)
{
	struct apply *a = ctx;

	return prof_new(a->d, a->c->profiles[i], NULL);
}

static const struct reconcile_ops apply_ops = {offsetof(struct prof, next), apply_find, apply_drop,
					       apply_keep, apply_make};

/* cfgclient_ops.apply: takes ownership of obj. */
void rbpd_apply(void *arg, void *obj)
{
	struct rbpd *d = arg;
	Db__RbpdConfig *c = obj;
	struct apply a = {d, c};
	struct chan **cp;

	for (struct chan *ch = d->chans; ch; ch = ch->next)
		ch->used = false;
	if (reconcile((void **)&d->profs, c->n_profiles, &apply_ops, &a) < 0)
		fatal("out of memory");
	for (cp = &d->chans; *cp;) {
		struct chan *ch = *cp;

		if (ch->used) {
			cp = &ch->next;
			continue;
		}
		log_info("remote-backup-service %s: no profile names it any more; its %zu users "
			 "are dropped",
			 ch->name, ut_count(ch->t, UT_SVC_ALL));
		*cp = ch->next;
		rbpd_feed_chan_free(ch);
	}
	if (d->running)
		db__rbpd_config__free_unpacked(d->running, NULL);
	d->running = c;
	log_info("%zu remote backup profile(s) configured", c->n_profiles);
	rbpd_feed_attach_all(d, true);
	rbpd_ask_vrrp(d); /* where the groups bound now are, in case */
	rbpd_evaluate(d, "configuration");
	rbpd_kern_dump(d, DUMP_LEARN);
	/* vrrpd learns the gates of the groups bound now at once (it keeps
	 * the last one for groups the same commit makes after it) */
	rbpd_gates_publish(d);
}

/* cfgclient_ops.discard */
void rbpd_discard(void *arg, void *obj)
{
	(void)arg;
	db__rbpd_config__free_unpacked(obj, NULL);
}
