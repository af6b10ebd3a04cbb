/*
 * `display remote-backup-profile` (see rbpd.h for how its files share the
 * work): profiles, their bindings, channels and counts, and the users of
 * one type, as text and as JSON (docs/json.md).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsonout.h"
#include "common/show.h"
#include "rbpd/rbpd.h"

struct counts {
	uint64_t master[UT_SVC_COUNT], backup[UT_SVC_COUNT], pending[UT_SVC_COUNT];
};

/* Whether ifname exists here. */
static bool iface_exists(struct rbpd *d, const char *ifname)
{
	return rbpd_ifindex(d, ifname) != 0;
}

static void count_users(struct prof *p, struct counts *n)
{
	struct ut_cursor c;
	struct ut_rec r;
	struct rbp_user u;

	memset(n, 0, sizeof(*n));
	if (p->ch == NULL || ut_cursor_open(p->ch->t, &c, UT_SVC_ALL) < 0)
		return;
	while (rbpd_next_user(p, &c, &r, &u, NULL)) {
		if (r.origin == UT_ORIGIN_LOCAL)
			n->master[r.type]++;
		else
			n->backup[r.type]++;
		/* held but of no use here: nothing decides its role, or its
		 * interface does not exist on this device */
		if (rbpd_binding_for(p, u.mac) == NULL || !iface_exists(p->d, u.ifname))
			n->pending[r.type]++;
	}
	ut_cursor_close(&c);
}

static const char *state_word(enum rbp_group_state s)
{
	return s == RBP_GROUP_MASTER ? "Master" : s == RBP_GROUP_BACKUP ? "Backup" : "Initialize";
}

/* "none", or "REASON N, REASON N" for every reason counted. */
/* Anti-entropy's last comparison and what the comparisons repaired. */
static void text_ae(FILE *f, const struct rbpd_ae *ae)
{
	char when[32] = "never";
	time_t at = (time_t)ae->compared_at;
	struct tm tm;

	if (ae->compared_at && localtime_r(&at, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f,
		"  Anti-entropy      : last compared %s%s; rounds %" PRIu64 ", differing types %" PRIu64
		" buckets %" PRIu64 " leaves %" PRIu64 ", entries resent %" PRIu64 "\n",
		when, !ae->compared_at ? "" : ae->last_agreed ? ", agreed" : ", differed", ae->round,
		ae->types_differing, ae->buckets_differing, ae->leaves_differing,
		ae->entries_resent);
}

static void json_ae(struct json_object *x, const struct rbpd_ae *ae)
{
	struct json_object *y = jout_obj(x, "antientropy");

	jout_u64(y, "rounds", ae->round);
	jout_u64(y, "compared", ae->compared);
	if (ae->compared_at) {
		jout_u64(y, "last_compared", ae->compared_at);
		jout_bool(y, "last_agreed", ae->last_agreed);
	} else {
		jout_str(y, "last_compared", NULL);
		jout_str(y, "last_agreed", NULL);
	}
	jout_u64(y, "types_differing", ae->types_differing);
	jout_u64(y, "buckets_differing", ae->buckets_differing);
	jout_u64(y, "leaves_differing", ae->leaves_differing);
	jout_u64(y, "summaries_in", ae->summaries_in);
	jout_u64(y, "keys_summarized", ae->keys_summarized);
	jout_u64(y, "entries_resent", ae->entries_resent);
	jout_u64(y, "whole_exchanges", ae->whole_exchanges);
}

static void refused_line(FILE *f, const struct chan *ch)
{
	const char *sep = " ";
	bool any = false;

	for (int r = 1; r < RBP_ADMIT_COUNT; r++)
		if (ch->refused[r]) {
			fprintf(f, "%s%s %" PRIu64, sep, rbp_admit_name((enum rbp_admit)r),
				ch->refused[r]);
			sep = ", ";
			any = true;
		}
	fprintf(f, "%s\n", any ? "" : " none");
}

static void show_prof(FILE *f, struct prof *p)
{
	struct counts n;
	struct chan *ch = p->ch;

	fprintf(f, "Remote backup profile: %s\n", p->name);
	fprintf(f, "  Backup mode       : %s\n", p->hot ? "hot" : "warm");
	if (p->backup_id)
		fprintf(f, "  Backup-id         : %u\n", p->backup_id);
	if (ch) {
		fprintf(f, "  Service           : %s, channel %s%s%s\n", ch->name,
			!ch->attached ? "unknown (rbsd not answering)"
			: ch->up      ? "up"
				      : "down",
			ch->reason[0] ? ", " : "", ch->reason);
		fprintf(f, "  Peer consistency  : %s\n",
			!ch->up		  ? "unknown (channel down)"
			: ch->mismatch[0] ? ch->mismatch
					  : "consistent");
	} else {
		fprintf(f, "  Service           : none: set backup-id and remote-backup-service "
			   "to back users up\n");
	}
	for (size_t j = 0; j < p->nbind; j++) {
		struct pbind *pb = &p->bind[j];

		fprintf(f, "  VRRP binding      : vrid %u interface %s %s, group %s: %s%s\n",
			pb->b.vrid, pb->ifname,
			pb->b.parity == RBP_PARITY_ODD ? "odd-mac" : "even-mac",
			state_word(pb->b.state), pb->role == RBP_ROLE_MASTER ? "master" : "backup",
			pb->withdrawing ? " (download delay running)" : "");
		if (ch && p->preempt_wait_max_s) {
			char why[200];
			bool ready = rbpd_binding_ready(pb, why, sizeof(why));

			fprintf(f, "  Preempt gate      : vrid %u: %s%s (preempt-wait max %u s)\n",
				pb->b.vrid, ready ? "open" : "closed: ", ready ? "" : why,
				p->preempt_wait_max_s);
		}
		if (pb->dual.since) {
			char t[32];

			show_time((time_t)pb->dual.since, t, sizeof(t));
			fprintf(f,
				"  Dual master       : vrid %u: since %s: the peer is master of it "
				"too (on %s): the user segment is cut between them\n",
				pb->b.vrid, t, pb->dual_peer_if);
		}
		if (pb->restore_at_ns)
			fprintf(f,
				"  Last takeover     : vrid %u: %" PRIu64 " users restored (%" PRIu64
				" handed to services) in %.1f ms, at %" PRIu64 ".%09" PRIu64 "\n",
				pb->b.vrid, pb->restored_users, pb->restored_published, pb->restore_ms,
				pb->restore_at_ns / 1000000000u, pb->restore_at_ns % 1000000000u);
	}
	for (size_t j = 0; j < p->nifaces; j++) {
		bool bound = false;

		for (size_t k = 0; k < p->nbind; k++)
			bound |= strcmp(p->bind[k].ifname, p->ifaces[j]) == 0;
		if (!bound)
			fprintf(f, "  Access interface  : %s\n", p->ifaces[j]);
	}
	count_users(p, &n);
	fprintf(f, "  Users             : type          master     backup    pending   restored\n");
	for (int t = 0; t < UT_SVC_COUNT; t++)
		fprintf(f,
			"                      %-12s %7" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %10" PRIu64 "\n",
			ut_svc_name((enum ut_svc)t), n.master[t], n.backup[t], n.pending[t],
			p->restored[t]);
	if (ch) {
		struct ut_mem m;

		ut_mem(ch->t, &m);
		fprintf(f,
			"  Table of %-8s : %zu users, digest %016" PRIx64 ", %zu bytes, batches "
			"in %" PRIu64 " (%" PRIu64 " with another digest) out %" PRIu64
			", queued %zu\n",
			ch->name, ut_count(ch->t, UT_SVC_ALL), ut_digest(ch->t, UT_SVC_ALL),
			m.entries + m.buckets, ch->batches_in, ch->bad_batches, ch->batches_out,
			ch->q.len);
		fprintf(f, "  Table limit       : %" PRIu64 " users, %" PRIu64 " bytes\n",
			rbpd_user_limit(p->d), rbpd_user_limit(p->d) * RBPD_BYTES_PER_USER);
		text_ae(f, &ch->ae);
		if (ch->lag.count)
			fprintf(f,
				"  Replication lag   : p50 %" PRIu64 " us, p99 %" PRIu64
				" us, max %" PRIu64 " us over %" PRIu64
				" changes from the peer (made there to applied here)\n",
				rbp_lag_quantile(&ch->lag, 0.5), rbp_lag_quantile(&ch->lag, 0.99),
				ch->lag.max_us, ch->lag.count);
		fprintf(f, "  Refused from peer :");
		refused_line(f, ch);
	}
}

/* A key or payload as text when it is printable, else as hex:... */
static void put_bytes(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] > ' ' && p[i] < 0x7f; i++)
		;
	if (n && i == n) {
		fwrite(p, 1, n, f);
		return;
	}
	fputs("hex:", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* display remote-backup-profile NAME users TYPE: one line per user. */
/* The users of one type of profile name, those of MAC macs only unless it
 * is NULL. */
static int show_users(struct rbpd *d, FILE *f, const char *name, const char *word, const char *macs)
{
	struct prof *p;
	enum ut_svc type;
	struct ut_cursor c;
	struct ut_rec r;
	struct rbp_user u;
	uint8_t mac[RBP_MAC_LEN];
	size_t n = 0;

	for (p = d->profs; p && strcmp(p->name, name); p = p->next)
		;
	if (p == NULL) {
		fprintf(f, "Error: The remote backup profile %s does not exist.", name);
		return 0;
	}
	if (ut_svc_parse(word, &type) < 0 || type == UT_SVC_ALL) {
		fprintf(f, "Error: Unknown service type %s.", word);
		return 0;
	}
	if (macs && mac_parse(macs, mac) < 0) {
		fprintf(f, "Error: Wrong MAC address %s (H-H-H, or six bytes with ':' or '-').",
			macs);
		return 0;
	}
	fprintf(f, "MAC            Interface       Role    Version           User\n");
	if (p->ch == NULL || ut_cursor_open(p->ch->t, &c, type) < 0)
		return 1;
	while (rbpd_next_user(p, &c, &r, &u, macs ? mac : NULL)) {
		char ms[MAC_STRLEN], ifname[RBP_IFNAME_MAX + 1], a[INET6_ADDRSTRLEN];
		uint8_t addr[16];

		fprintf(f, "%-14s %-15s %-7s %-17" PRIu64 " ", mac_format(u.mac, ms), u.ifname,
			r.origin == UT_ORIGIN_LOCAL ? "master" : "backup", r.version);
		if ((type == UT_SVC_ARP || type == UT_SVC_ND) &&
		    rbp_rec_neigh_key_parse(type == UT_SVC_ARP ? AF_INET : AF_INET6, r.key,
					    r.key_len, addr, ifname) == 0) {
			fputs(
			    inet_ntop(type == UT_SVC_ARP ? AF_INET : AF_INET6, addr, a, sizeof(a)),
			    f);
		} else {
			put_bytes(f, r.key, r.key_len);
			fputc(' ', f);
			put_bytes(f, u.data, u.data_len);
		}
		fputc('\n', f);
		n++;
	}
	ut_cursor_close(&c);
	fprintf(f, "Total: %zu", n);
	return 1;
}

/* ---- display as JSON (docs/json.md) ---------------------------------------- */

/* The peer's streamed changes, from made to applied here (rbp_lag.h):
 * quantiles, and the histogram's non-empty buckets [upper bound, count]
 * for a reader that wants the lags of a period (the difference of two
 * readings). */
static void json_lag(struct json_object *o, const struct rbp_lag *l)
{
	struct json_object *x = jout_obj(o, "replication_lag_us"), *b;

	jout_u64(x, "changes", l->count);
	jout_u64(x, "p50", rbp_lag_quantile(l, 0.5));
	jout_u64(x, "p99", rbp_lag_quantile(l, 0.99));
	jout_u64(x, "p999", rbp_lag_quantile(l, 0.999));
	jout_u64(x, "max", l->max_us);
	b = jout_arr(x, "buckets");
	for (size_t i = 0; i < RBP_LAG_BUCKETS; i++) {
		struct json_object *pair;
		uint64_t lo, hi;

		if (l->b[i] == 0)
			continue;
		rbp_lag_bucket(i, &lo, &hi);
		pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_uint64(hi));
		json_object_array_add(pair, json_object_new_uint64(l->b[i]));
		json_object_array_add(b, pair);
	}
}

static void json_prof(struct json_object *arr, struct prof *p)
{
	struct json_object *o = jout_push_obj(arr), *x, *y;
	struct chan *ch = p->ch;
	struct counts n;

	jout_str(o, "name", p->name);
	jout_str(o, "backup_mode", p->hot ? "hot" : "warm");
	if (p->backup_id)
		jout_u64(o, "backup_id", p->backup_id);
	else
		jout_str(o, "backup_id", NULL);
	x = jout_obj(o, "service");
	jout_str(x, "name", ch ? ch->name : NULL);
	jout_str(x, "channel", !ch ? NULL : !ch->attached ? "unknown" : ch->up ? "up" : "down");
	jout_str(x, "reason", ch && ch->reason[0] ? ch->reason : NULL);
	jout_str(x, "peer_consistency",
		 !ch || !ch->up	   ? NULL
		 : ch->mismatch[0] ? ch->mismatch
				   : "consistent");
	if (ch) {
		struct ut_mem m;
		char d[17];

		ut_mem(ch->t, &m);
		snprintf(d, sizeof(d), "%016" PRIx64, ut_digest(ch->t, UT_SVC_ALL));
		y = jout_obj(x, "table");
		jout_u64(y, "users", ut_count(ch->t, UT_SVC_ALL));
		jout_str(y, "digest", d);
		jout_u64(y, "bytes", m.entries + m.buckets);
		jout_u64(y, "batches_in", ch->batches_in);
		jout_u64(y, "batches_in_other_digest", ch->bad_batches);
		jout_u64(y, "batches_in_partial", ch->partial_batches_in);
		jout_bool(y, "whole", ch->whole);
		jout_u64(y, "batches_out", ch->batches_out);
		jout_u64(y, "queued", ch->q.len);
		jout_u64(y, "limit_users", rbpd_user_limit(p->d));
		json_ae(x, &ch->ae);
		json_lag(x, &ch->lag);
		y = jout_obj(x, "refused_from_peer");
		for (int r = 1; r < RBP_ADMIT_COUNT; r++)
			jout_u64(y, rbp_admit_name((enum rbp_admit)r), ch->refused[r]);
	}
	x = jout_arr(o, "bindings");
	for (size_t j = 0; j < p->nbind; j++) {
		struct pbind *pb = &p->bind[j];

		y = jout_push_obj(x);
		jout_u64(y, "vrid", pb->b.vrid);
		jout_str(y, "interface", pb->ifname);
		jout_str(y, "parity", pb->b.parity == RBP_PARITY_ODD ? "odd-mac" : "even-mac");
		jout_str(y, "group_state", state_word(pb->b.state));
		jout_str(y, "role", pb->role == RBP_ROLE_MASTER ? "master" : "backup");
		jout_bool(y, "download_delay_running", pb->withdrawing);
		{
			struct json_object *gt = jout_obj(y, "preempt_gate");
			char why[200];
			bool ready = rbpd_binding_ready(pb, why, sizeof(why));

			jout_u64(gt, "max_s", ch ? p->preempt_wait_max_s : 0);
			jout_bool(gt, "open", ready);
			jout_str(gt, "reason", ready ? NULL : why);
		}
		{
			struct json_object *dm = jout_obj(y, "dual_master");

			if (pb->dual.since)
				jout_u64(dm, "since", pb->dual.since);
			else
				jout_str(dm, "since", NULL);
			jout_str(dm, "peer_interface", pb->dual.since ? pb->dual_peer_if : NULL);
			jout_u64(dm, "count", pb->dual.count);
			jout_u64(dm, "last_seconds", pb->dual.last_s);
		}
		if (pb->restore_at_ns) {
			struct json_object *t = jout_obj(y, "last_takeover");
			char ms[32];

			/* json-c writes the text it is given: microseconds, not 17 digits */
			snprintf(ms, sizeof(ms), "%.3f", pb->restore_ms);
			jout_u64(t, "users_restored", pb->restored_users);
			jout_u64(t, "users_published", pb->restored_published);
			json_object_object_add(t, "restore_ms",
					       json_object_new_double_s(pb->restore_ms, ms));
			jout_u64(t, "at_ns", pb->restore_at_ns);
		}
	}
	x = jout_arr(o, "access_interfaces");
	for (size_t j = 0; j < p->nifaces; j++)
		json_object_array_add(x, json_object_new_string(p->ifaces[j]));
	count_users(p, &n);
	x = jout_obj(o, "users");
	for (int t = 0; t < UT_SVC_COUNT; t++) {
		y = jout_obj(x, ut_svc_name((enum ut_svc)t));
		jout_u64(y, "master", n.master[t]);
		jout_u64(y, "backup", n.backup[t]);
		jout_u64(y, "pending", n.pending[t]);
		jout_u64(y, "restored", p->restored[t]);
	}
}

/* A key or payload: text when printable (as display shows it), else hex. */
static void json_bytes(struct json_object *o, const char *key, const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 5), *w = s;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < n && p[i] > ' ' && p[i] < 0x7f; i++)
		;
	if (n && i == n) {
		memcpy(s, p, n);
		s[n] = 0;
	} else {
		w += sprintf(w, "hex:");
		for (i = 0; i < n; i++)
			w += sprintf(w, "%02x", p[i]);
	}
	jout_str(o, key, s);
	free(s);
}

/* display remote-backup-profile NAME users TYPE json */
static int json_users(struct rbpd *d, FILE *f, const char *name, const char *word, const char *macs)
{
	struct json_object *o = json_object_new_object(), *arr;
	struct prof *p;
	enum ut_svc type;
	struct ut_cursor c;
	struct ut_rec r;
	struct rbp_user u;
	uint8_t want[RBP_MAC_LEN];

	if (o == NULL)
		return 0;
	for (p = d->profs; p && strcmp(p->name, name); p = p->next)
		;
	if (p == NULL || ut_svc_parse(word, &type) < 0 || type == UT_SVC_ALL) {
		jout_str(o, "error",
			 p == NULL ? "The remote backup profile does not exist."
				   : "Unknown service type.");
		jout_write(f, o);
		return 0;
	}
	if (macs && mac_parse(macs, want) < 0) {
		jout_str(o, "error", "Wrong MAC address.");
		jout_write(f, o);
		return 0;
	}
	jout_str(o, "profile", p->name);
	jout_str(o, "service_type", ut_svc_name(type));
	if (macs) {
		char m[MAC_STRLEN];

		jout_str(o, "mac", mac_format(want, m));
	}
	arr = jout_arr(o, "users");
	if (p->ch && ut_cursor_open(p->ch->t, &c, type) == 0) {
		while (rbpd_next_user(p, &c, &r, &u, macs ? want : NULL)) {
			struct json_object *x = jout_push_obj(arr);
			char mac[MAC_STRLEN], ifname[RBP_IFNAME_MAX + 1], a[INET6_ADDRSTRLEN];
			uint8_t addr[16];
			int fam = type == UT_SVC_ARP ? AF_INET : AF_INET6;

			jout_str(x, "mac", mac_format(u.mac, mac));
			jout_str(x, "interface", u.ifname);
			jout_str(x, "role", r.origin == UT_ORIGIN_LOCAL ? "master" : "backup");
			jout_u64(x, "version", r.version);
			if ((type == UT_SVC_ARP || type == UT_SVC_ND) &&
			    rbp_rec_neigh_key_parse(fam, r.key, r.key_len, addr, ifname) == 0) {
				jout_str(x, "address", inet_ntop(fam, addr, a, sizeof(a)));
			} else {
				json_bytes(x, "key", r.key, r.key_len);
				json_bytes(x, "data", u.data, u.data_len);
			}
		}
		ut_cursor_close(&c);
	}
	jout_u64(o, "total", json_object_array_length(arr));
	return jout_write(f, o);
}

static int display_json(struct rbpd *d, const char *name, FILE *f)
{
	struct json_object *o = json_object_new_object(), *arr, *k;
	size_t shown = 0;

	if (o == NULL)
		return 0;
	arr = jout_arr(o, "profiles");
	for (struct prof *p = d->profs; p; p = p->next) {
		if (name && strcmp(name, p->name))
			continue;
		shown++;
		json_prof(arr, p);
	}
	if (name && shown == 0) {
		json_object_put(o);
		o = json_object_new_object();
		jout_str(o, "error", "The remote backup profile does not exist.");
		jout_write(f, o);
		return 0;
	}
	jout_u64(o, "download_delay_s", d->running ? d->running->download_delay_s : 0);
	k = jout_obj(o, "kernel");
	jout_u64(k, "installed", d->kern_installed);
	jout_u64(k, "removed", d->kern_removed);
	jout_u64(k, "refused", d->kern_errors);
	jout_u64(k, "repaired", d->kern_repaired);
	return jout_write(f, o);
}

/* ctl_query_fn */
int rbpd_display(void *arg, const Db__Query *q, FILE *f, Db__QueryReply *r)
{
	struct rbpd *d = arg;
	const char *name = q->name[0] ? q->name : NULL;
	const char *mac = q->mac[0] ? q->mac : NULL;
	size_t shown = 0;

	(void)r;
	if (q->kind == DB__QUERY_KIND__QUERY_RBP_USERS)
		return q->json ? json_users(d, f, q->name, q->service, mac)
			       : show_users(d, f, q->name, q->service, mac);
	if (q->kind != DB__QUERY_KIND__QUERY_RBP)
		return 0; /* not rbpd's: ctl says so */
	if (q->json)
		return display_json(d, name, f);
	for (struct prof *p = d->profs; p; p = p->next) {
		if (name && strcmp(name, p->name))
			continue;
		shown++;
		show_prof(f, p);
	}
	if (name && shown == 0) {
		fprintf(f, "Error: The remote backup profile %s does not exist.", name);
		return 0;
	}
	if (shown == 0)
		fprintf(f, "Info: No remote backup profile is configured.");
	else
		fprintf(f,
			"Download-vrrp-table delay: %u s\nKernel: %" PRIu64 " installed, %" PRIu64
			" removed, %" PRIu64 " refused, %" PRIu64 " repaired, at most %" PRIu64
			" installs",
			d->running ? d->running->download_delay_s : 0, d->kern_installed,
			d->kern_removed, d->kern_errors, d->kern_repaired, rbpd_kernel_limit(d));
	return 1;
}
