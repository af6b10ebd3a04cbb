#include "metricsd/metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A label value as the exposition format wants it: \, " and newline
 * escaped (text format 0.0.4). */
static void put_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A number or a boolean; false when absent or of another type. */
static bool num(struct json_object *o, const char *key, double *out)
{
	struct json_object *v = get(o, key);

	if (v == NULL)
		return false;
	switch (json_object_get_type(v)) {
	case json_type_int: {
		/* counters are unsigned 64-bit: past INT64_MAX only the
		 * unsigned read is right, below 0 only the signed one */
		int64_t i = json_object_get_int64(v);

		*out = i < 0 ? (double)i : (double)json_object_get_uint64(v);
		return true;
	}
	case json_type_double:
		*out = json_object_get_double(v);
		return true;
	case json_type_boolean:
		*out = json_object_get_boolean(v) ? 1 : 0;
		return true;
	default:
		return false;
	}
}

/* An integer label such as a VRID, written into buf; "" when the field
 * is absent, fractional or outside 0..UINT32_MAX, so a bad document
 * never reaches an out-of-range conversion. */
static const char *uint_label(struct json_object *o, const char *key, char *buf, size_t len)
{
	double d = 0;

	buf[0] = '\0';
	if (num(o, key, &d) && d >= 0 && d <= UINT32_MAX && d == (double)(uint32_t)d)
		snprintf(buf, len, "%u", (unsigned)(uint32_t)d);
	return buf;
}

static struct json_object *arr(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

/* The shortest of %.15g and %.17g that reads back as v: 0.1, not
 * 0.10000000000000001. */
static const char *fmt_double(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
	return buf;
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Labels: a NULL-terminated list of name, value pairs; a NULL value ends
 * the list early (the label is unknown: the sample is left out). */
static void sample(FILE *f, const char *name, const char *const *labels, double v)
{
	for (size_t i = 0; labels[i]; i += 2)
		if (labels[i + 1] == NULL)
			return;
	fputs(name, f);
	for (size_t i = 0; labels[i]; i += 2) {
		fprintf(f, "%s%s=\"", i ? "," : "{", labels[i]);
		put_value(f, labels[i + 1]);
		fputc('"', f);
	}
	if (labels[0])
		fputc('}', f);
	{
		char b[32];

		fprintf(f, " %s\n", fmt_double(v, b, sizeof(b)));
	}
}

/* One sample of `name` per key of object o (counts by reason): labels
 * l (name/value pairs, NULL-terminated, at most 6 pairs) and key_label
 * set to the key. Nothing when o is not an object. */
static void per_key(FILE *f, const char *name, struct json_object *o, const char *const *l,
		    const char *key_label)
{
	double v;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val)
	{
		const char *ll[16];
		size_t i;

		(void)val;
		for (i = 0; l[i] && i < 12; i += 2) {
			ll[i] = l[i];
			ll[i + 1] = l[i + 1];
		}
		ll[i] = key_label;
		ll[i + 1] = key;
		ll[i + 2] = NULL;
		if (num(o, key, &v))
			sample(f, name, ll, v);
	}
}

/* Counters without labels: one family per entry of c (n of them), its
 * sample read from member key of o when there is one. */
struct plain_counter {
	const char *name, *key, *help;
};

static void plain_counters(FILE *f, const struct plain_counter *c, size_t n, struct json_object *o)
{
	const char *none[] = {NULL};
	double v;

	for (size_t i = 0; i < n; i++) {
		family(f, c[i].name, "counter", c[i].help);
		if (num(o, c[i].key, &v))
			sample(f, c[i].name, none, v);
	}
}

/* ---- vrrpd ------------------------------------------------------------- */

struct glabels {
	char vrid[12];
	const char *l[9];
};

static void group_labels(struct json_object *g, struct glabels *gl)
{
	uint_label(g, "vrid", gl->vrid, sizeof(gl->vrid));
	gl->l[0] = "interface";
	gl->l[1] = str(g, "interface");
	gl->l[2] = "vrid";
	gl->l[3] = gl->vrid;
	gl->l[4] = "family";
	gl->l[5] = str(g, "family");
	gl->l[6] = NULL;
}

/* name, help, and the key under "statistics" of each group */
static const struct {
	const char *name, *help, *key;
} vrrp_counters[] = {
    {"dualbackup_vrrp_adverts_sent_total", "VRRP advertisements sent.", "adverts_sent"},
    {"dualbackup_vrrp_adverts_received_total", "VRRP advertisements received and accepted.",
     "adverts_received"},
    {"dualbackup_vrrp_priority0_sent_total", "Advertisements with priority 0 sent (leaving).",
     "priority0_sent"},
    {"dualbackup_vrrp_priority0_received_total", "Advertisements with priority 0 received.",
     "priority0_received"},
    {"dualbackup_vrrp_announcements_sent_total", "Gratuitous ARP and unsolicited NA sent.",
     "announcements_sent"},
    {"dualbackup_vrrp_send_errors_total", "Advertisements the kernel refused to send.",
     "send_errors"},
    {"dualbackup_vrrp_announcements_held_total",
     "Takeovers whose announcements waited for rbpd (docs/takeover.md).", "announcements_held"},
    {"dualbackup_vrrp_announcements_at_bound_total",
     "Takeovers announced at the bound, without rbpd's word.", "announcements_at_bound"},
    {"dualbackup_vrrp_other_master_adverts_total",
     "Advertisements of another master of lower priority heard while master.",
     "other_master_adverts"},
    {"dualbackup_vrrp_reannounced_total",
     "Announcements made again after hearing another master (docs/splitbrain.md).",
     "reannounced"},
};

/* Which state each group is in (1 for its state, 0 for the others), its
 * running priority, and its transitions by the state entered. */
static void group_states(FILE *f, struct json_object *groups)
{
	size_t n = groups ? json_object_array_length(groups) : 0;
	static const char *const states[] = {"Initialize", "Backup", "Master"};
	static const char *const tos[][2] = {
	    {"master", "to_master"}, {"backup", "to_backup"}, {"initialize", "to_initialize"}};
	struct glabels gl;
	double v;

	family(f, "dualbackup_vrrp_state", "gauge",
	       "1 for the state the VRRP group is in, 0 for the others.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(groups, i);
		const char *st = str(g, "state");

		group_labels(g, &gl);
		for (size_t s = 0; s < 3; s++) {
			gl.l[6] = "state";
			gl.l[7] = states[s];
			gl.l[8] = NULL;
			sample(f, "dualbackup_vrrp_state", gl.l, st && !strcmp(st, states[s]));
		}
	}
	family(f, "dualbackup_vrrp_priority", "gauge", "Running priority of this device.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(groups, i);

		group_labels(g, &gl);
		if (num(g, "priority_running", &v))
			sample(f, "dualbackup_vrrp_priority", gl.l, v);
	}
	family(f, "dualbackup_vrrp_transitions_total", "counter",
	       "State transitions of the group, by the state entered.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(groups, i);

		group_labels(g, &gl);
		for (size_t t = 0; t < 3; t++) {
			gl.l[6] = "to";
			gl.l[7] = tos[t][0];
			gl.l[8] = NULL;
			if (num(get(g, "statistics"), tos[t][1], &v))
				sample(f, "dualbackup_vrrp_transitions_total", gl.l, v);
		}
	}
}

/* Each counter of vrrp_counters, per group. */
static void group_counters(FILE *f, struct json_object *groups)
{
	size_t n = groups ? json_object_array_length(groups) : 0;
	struct glabels gl;
	double v;

	for (size_t c = 0; c < sizeof(vrrp_counters) / sizeof(vrrp_counters[0]); c++) {
		family(f, vrrp_counters[c].name, "counter", vrrp_counters[c].help);
		for (size_t i = 0; i < n; i++) {
			struct json_object *g = json_object_array_get_idx(groups, i);

			group_labels(g, &gl);
			if (num(get(g, "statistics"), vrrp_counters[c].key, &v))
				sample(f, vrrp_counters[c].name, gl.l, v);
		}
	}
}

/* Advertisements dropped: by a group or, when none was found, by an
 * interface, each by reason; and by the kernel, per family. */
static void vrrp_drops(FILE *f, struct json_object *doc, struct json_object *groups)
{
	size_t n = groups ? json_object_array_length(groups) : 0;
	struct json_object *k;
	struct glabels gl;
	double v;

	family(f, "dualbackup_vrrp_adverts_dropped_total", "counter",
	       "Advertisements dropped, by reason (a group's, or an interface's when no group "
	       "was found: vrid empty).");
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(groups, i);

		group_labels(g, &gl);
		per_key(f, "dualbackup_vrrp_adverts_dropped_total", get(get(g, "statistics"), "dropped"),
			gl.l, "reason");
	}
	k = arr(doc, "interfaces");
	for (size_t i = 0; k && i < json_object_array_length(k); i++) {
		struct json_object *itf = json_object_array_get_idx(k, i);
		const char *l[] = {"interface", str(itf, "interface"), "vrid", "",
				   "family",	str(itf, "family"),	  NULL};

		per_key(f, "dualbackup_vrrp_adverts_dropped_total", get(itf, "dropped"), l, "reason");
	}
	family(f, "dualbackup_vrrp_kernel_drops_total", "counter",
	       "Advertisements the kernel dropped, vrrpd's receive buffer full.");
	k = get(doc, "kernel_drops");
	for (size_t i = 0; i < 2; i++) {
		const char *fam = i ? "ipv6" : "ipv4";
		const char *l[] = {"family", fam, NULL};

		if (num(k, fam, &v))
			sample(f, "dualbackup_vrrp_kernel_drops_total", l, v);
	}
}

static const struct plain_counter notify_counters[] = {
    {"dualbackup_vrrp_notify_started_total", "started", "Notify scripts started."},
    {"dualbackup_vrrp_notify_dropped_total", "dropped",
     "Queued transitions replaced by newer ones before their script ran."},
    {"dualbackup_vrrp_notify_timed_out_total", "timed_out",
     "Notify scripts killed at their timeout."},
};

static void render_vrrp(FILE *f, struct json_object *doc)
{
	struct json_object *groups = arr(doc, "groups");

	group_states(f, groups);
	group_counters(f, groups);
	vrrp_drops(f, doc, groups);
	plain_counters(f, notify_counters, sizeof(notify_counters) / sizeof(notify_counters[0]),
		       get(doc, "notify_script"));
}

/* ---- tables: one metric per field of each object of an array ---------- */

/* A metric read from field `key` of each object (or of its sub-object
 * `sub`, a path "a.b" for one inside another), labelled with the
 * object's name. */
struct field_metric {
	const char *name, *type, *help, *key, *sub;
	double per; /* JSON units in one of the metric's (1000: ms to s); 0: the same */
};

/* The object at path ("a" or "a.b") under o, or NULL. */
static struct json_object *get_path(struct json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL && o) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = get(o, key);
		path = dot + 1;
	}
	return get(o, path);
}

/* Every metric of table t (n of them) over the objects of array a, each
 * labelled `label` = its "name". */
static void render_table(FILE *f, const struct field_metric *t, size_t n, struct json_object *a,
			 const char *label)
{
	size_t na = a ? json_object_array_length(a) : 0;
	double v;

	for (size_t m = 0; m < n; m++) {
		family(f, t[m].name, t[m].type, t[m].help);
		for (size_t i = 0; i < na; i++) {
			struct json_object *x = json_object_array_get_idx(a, i);
			struct json_object *o = t[m].sub ? get_path(x, t[m].sub) : x;
			const char *l[] = {label, str(x, "name"), NULL};

			if (num(o, t[m].key, &v))
				sample(f, t[m].name, l, t[m].per ? v / t[m].per : v);
		}
	}
}

/* ---- rbsd -------------------------------------------------------------- */

static const struct field_metric rbs_metrics[] = {
    {"dualbackup_rbs_up", "gauge", "1 while the channel to the peer is up.", "up", NULL, 0},
    {"dualbackup_rbs_tls", "gauge", "1 when the channel is bound to an SSL policy.", "enabled",
     "tls", 0},
    {"dualbackup_rbs_reconnects_total", "counter", "Times the channel came up again.",
     "reconnects", NULL, 0},
    {"dualbackup_rbs_refused_peers_total", "counter",
     "Inbound connections refused (not the peer, or not verified).", "refused_peers", NULL, 0},
    {"dualbackup_rbs_entries_sent_total", "counter", "User entries sent to the peer.",
     "entries_sent", NULL, 0},
    {"dualbackup_rbs_entries_received_total", "counter", "User entries received from the peer.",
     "entries_received", NULL, 0},
    {"dualbackup_rbs_entries_resent_total", "counter", "Entries sent again after a resume.",
     "entries_resent", NULL, 0},
    {"dualbackup_rbs_bytes_sent_total", "counter", "Bytes sent on the channel.", "bytes_sent",
     NULL, 0},
    {"dualbackup_rbs_bytes_received_total", "counter", "Bytes received on the channel.",
     "bytes_received", NULL, 0},
    {"dualbackup_rbs_window_unacknowledged", "gauge",
     "Entries sent and not yet acknowledged by the peer (replication lag).", "unacknowledged",
     "window", 0},
    {"dualbackup_rbs_window_unacknowledged_bytes", "gauge",
     "Bytes of the entries not yet acknowledged.", "unacknowledged_bytes", "window", 0},
    {"dualbackup_rbs_window_unsent", "gauge", "Entries queued and not sent yet.", "unsent",
     "window", 0},
    {"dualbackup_rbs_batch_queued", "gauge", "Entries of the batch backup in progress queued.",
     "queued", "batch_sent", 0},
    {"dualbackup_rbs_batch_expected", "gauge", "Entries the batch backup in progress holds.",
     "expected", "batch_sent", 0},
    {"dualbackup_rbs_batch_received_entries", "gauge",
     "Entries of the last batch backup received from the peer.", "count", "batch_received", 0},
    {"dualbackup_rbs_replication_lag_seconds", "gauge",
     "How long the oldest entry the peer has not acknowledged has waited (0: none waits).",
     "replication_lag_ms", NULL, 1e3},
    {"dualbackup_rbs_tcp_rtt_seconds", "gauge", "The channel's TCP round-trip time (kernel).",
     "rtt_us", "tcp", 1e6},
    {"dualbackup_rbs_tcp_retransmits_total", "counter",
     "Segments the kernel retransmitted on the current connection.", "retransmits", "tcp", 0},
    {"dualbackup_rbs_send_queue_bytes", "gauge",
     "Bytes framed by rbsd and not yet taken by the kernel.", "app_queued_bytes", "tcp", 0},
    {"dualbackup_rbs_kernel_send_queue_bytes", "gauge",
     "Bytes in the socket's send queue, not yet acknowledged by the peer's TCP.",
     "kernel_queued_bytes", "tcp", 0},
};

static void render_rbs(FILE *f, struct json_object *doc)
{
	struct json_object *svcs = arr(doc, "services");
	size_t n = svcs ? json_object_array_length(svcs) : 0;

	family(f, "dualbackup_rbs_refused_total", "counter",
	       "Inbound connections refused, by reason.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(svcs, i);
		const char *l[] = {"service", str(s, "name"), NULL};

		per_key(f, "dualbackup_rbs_refused_total", get(s, "refused_by_reason"), l, "reason");
	}
	render_table(f, rbs_metrics, sizeof(rbs_metrics) / sizeof(rbs_metrics[0]), svcs, "service");
}

/* ---- rbpd -------------------------------------------------------------- */

/* A binding's value of a per-binding gauge; false: the display has none. */
static bool binding_master(struct json_object *x, double *v)
{
	const char *role = str(x, "role");

	*v = role && !strcmp(role, "master");
	return role != NULL;
}

static bool binding_dual(struct json_object *x, double *v)
{
	struct json_object *dm = get(x, "dual_master");

	*v = dm && get(dm, "since") != NULL;
	return dm != NULL;
}

/* One sample of gauge `name` per binding of every profile, labelled with
 * the profile, the VRID and the interface. */
static void binding_samples(FILE *f, struct json_object *profs, const char *name,
			    bool (*value)(struct json_object *, double *))
{
	size_t n = profs ? json_object_array_length(profs) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(profs, i);
		struct json_object *b = arr(p, "bindings");

		for (size_t j = 0; b && j < json_object_array_length(b); j++) {
			struct json_object *x = json_object_array_get_idx(b, j);
			char vrid[12];
			const char *l[] = {"profile", str(p, "name"),	   "vrid",
					   vrid,      "interface", str(x, "interface"),
					   NULL};
			double v;

			uint_label(x, "vrid", vrid, sizeof(vrid));
			if (value(x, &v))
				sample(f, name, l, v);
		}
	}
}

/* The users each profile holds, by service type ("users": {type: counts}):
 * by role, then those restored at takeovers. */
static void rbp_users(FILE *f, struct json_object *profs)
{
	size_t n = profs ? json_object_array_length(profs) : 0;
	static const char *const roles[] = {"master", "backup", "pending"};
	double v;

	family(f, "dualbackup_rbp_users", "gauge",
	       "Users a profile holds, by service type and role (pending: held, but nothing "
	       "decides its role here).");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(profs, i);
		struct json_object *u = get(p, "users");

		if (u == NULL || !json_object_is_type(u, json_type_object))
			continue;
		json_object_object_foreach(u, type, counts)
		{
			for (size_t r = 0; r < 3; r++) {
				const char *l[] = {"profile", str(p, "name"), "service_type", type,
						   "role",    roles[r],		NULL};

				if (num(counts, roles[r], &v))
					sample(f, "dualbackup_rbp_users", l, v);
			}
		}
	}
	family(f, "dualbackup_rbp_users_restored_total", "counter",
	       "Users restored on this device at takeovers, by service type.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(profs, i);
		struct json_object *u = get(p, "users");

		if (u == NULL || !json_object_is_type(u, json_type_object))
			continue;
		json_object_object_foreach(u, type, counts)
		{
			const char *l[] = {"profile", str(p, "name"), "service_type", type, NULL};

			if (num(counts, "restored", &v))
				sample(f, "dualbackup_rbp_users_restored_total", l, v);
		}
	}
}

/* Each profile's remote backup service ("service"): its channel up or
 * not, the users in its table, the batches after which the tables still
 * differed. */
/* The peer's streamed changes, made there to applied here: "service" ->
 * "replication_lag_us" (rbpd/rbp_lag.h), in seconds. */
static const struct field_metric rbp_lag_metrics[] = {
    {"dualbackup_rbp_replicated_changes_total", "counter",
     "Changes from the peer applied as they streamed in (not in batches).", "changes",
     "service.replication_lag_us", 0},
    {"dualbackup_rbp_replication_lag_p50_seconds", "gauge",
     "Median time from a change made on the peer to applied here, since rbpd started.", "p50",
     "service.replication_lag_us", 1e6},
    {"dualbackup_rbp_replication_lag_p99_seconds", "gauge",
     "99th percentile of the time from a change made on the peer to applied here.", "p99",
     "service.replication_lag_us", 1e6},
    {"dualbackup_rbp_replication_lag_max_seconds", "gauge",
     "Longest time from a change made on the peer to applied here.", "max",
     "service.replication_lag_us", 1e6},
};

static void rbp_service(FILE *f, struct json_object *profs)
{
	size_t n = profs ? json_object_array_length(profs) : 0;
	double v;

	family(f, "dualbackup_rbp_channel_up", "gauge",
	       "1 while the profile's remote backup service is up.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(profs, i);
		const char *ch = str(get(p, "service"), "channel");
		const char *l[] = {"profile", str(p, "name"), NULL};

		if (ch)
			sample(f, "dualbackup_rbp_channel_up", l, !strcmp(ch, "up"));
	}
	family(f, "dualbackup_rbp_table_users", "gauge", "Users in the profile's service table.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(profs, i);
		const char *l[] = {"profile", str(p, "name"), NULL};

		if (num(get(get(p, "service"), "table"), "users", &v))
			sample(f, "dualbackup_rbp_table_users", l, v);
	}
	render_table(f, rbp_lag_metrics, sizeof(rbp_lag_metrics) / sizeof(rbp_lag_metrics[0]), profs,
		     "profile");
	family(f, "dualbackup_rbp_batches_in_other_digest_total", "counter",
	       "Batches from the peer after which the tables still differed.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(profs, i);
		const char *l[] = {"profile", str(p, "name"), NULL};

		if (num(get(get(p, "service"), "table"), "batches_in_other_digest", &v))
			sample(f, "dualbackup_rbp_batches_in_other_digest_total", l, v);
	}
}

/* Each profile's anti-entropy (docs/antientropy.md): "service" ->
 * "antientropy", a boolean (num() reads it as 1 or 0) or a number per
 * metric. */
static const struct field_metric rbp_ae_metrics[] = {
    {"dualbackup_rbp_antientropy_last_agreed", "gauge",
     "1 when the last comparison of the tables with the peer's found them equal.", "last_agreed",
     "service.antientropy", 0},
    {"dualbackup_rbp_antientropy_leaves_differing_total", "counter",
     "Leaves of the tables found to differ from the peer's.", "leaves_differing",
     "service.antientropy", 0},
    {"dualbackup_rbp_antientropy_entries_resent_total", "counter",
     "Entries sent to repair the peer's table.", "entries_resent", "service.antientropy", 0},
};

/* Users from the peer each profile's channel refused, by reason. */
static void rbp_refused(FILE *f, struct json_object *profs)
{
	size_t n = profs ? json_object_array_length(profs) : 0;

	family(f, "dualbackup_rbp_refused_from_peer_total", "counter",
	       "Users from the peer refused, by reason (per channel: profiles sharing one show "
	       "the same counts).");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(profs, i);
		const char *l[] = {"profile", str(p, "name"), NULL};

		per_key(f, "dualbackup_rbp_refused_from_peer_total",
			get(get(p, "service"), "refused_from_peer"), l, "reason");
	}
}

static const struct plain_counter kernel_counters[] = {
    {"dualbackup_kernel_neighbours_installed_total", "installed",
     "Neighbour entries rbpd installed in the kernel."},
    {"dualbackup_kernel_neighbours_removed_total", "removed",
     "Neighbour entries rbpd removed from the kernel."},
    {"dualbackup_kernel_neighbours_refused_total", "refused",
     "Neighbour changes the kernel refused."},
    {"dualbackup_kernel_neighbours_repaired_total", "repaired",
     "Installed neighbours deleted behind rbpd's back and put back."},
};

static void render_rbp(FILE *f, struct json_object *doc)
{
	struct json_object *profs = arr(doc, "profiles");

	rbp_users(f, profs);
	rbp_service(f, profs);
	render_table(f, rbp_ae_metrics, sizeof(rbp_ae_metrics) / sizeof(rbp_ae_metrics[0]), profs,
		     "profile");
	rbp_refused(f, profs);
	family(f, "dualbackup_rbp_binding_master", "gauge",
	       "1 where this device is master for the users of a binding.");
	binding_samples(f, profs, "dualbackup_rbp_binding_master", binding_master);
	family(f, "dualbackup_rbp_binding_dual_master", "gauge",
	       "1 while both devices are master of the binding's group (docs/splitbrain.md).");
	binding_samples(f, profs, "dualbackup_rbp_binding_dual_master", binding_dual);
	plain_counters(f, kernel_counters, sizeof(kernel_counters) / sizeof(kernel_counters[0]),
		       get(doc, "kernel"));
}

/* ---- cfgd -------------------------------------------------------------- */

/* A histogram from common/histo.c's JSON: cumulative buckets, +Inf, sum
 * and count. Nothing when h is not such an object. */
static void histogram(FILE *f, const char *name, struct json_object *h)
{
	struct json_object *b = arr(h, "buckets");
	char bucket[128], sum[128], cnt[128], le[32];
	const char *none[] = {NULL};
	double count, total, v;

	if (b == NULL || !num(h, "count", &count) || !num(h, "sum", &total))
		return;
	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	snprintf(sum, sizeof(sum), "%s_sum", name);
	snprintf(cnt, sizeof(cnt), "%s_count", name);
	for (size_t i = 0; i < json_object_array_length(b); i++) {
		struct json_object *e = json_object_array_get_idx(b, i);
		double bound;
		const char *l[] = {"le", le, NULL};

		if (!num(e, "le", &bound) || !num(e, "count", &v))
			continue;
		fmt_double(bound, le, sizeof(le));
		sample(f, bucket, l, v);
	}
	{
		const char *l[] = {"le", "+Inf", NULL};

		sample(f, bucket, l, count);
	}
	sample(f, sum, none, total);
	sample(f, cnt, none, count);
}

static void render_sync(FILE *f, struct json_object *doc)
{
	struct json_object *ds = arr(doc, "daemons");
	size_t n = ds ? json_object_array_length(ds) : 0;
	const char *none[] = {NULL};
	double v;

	family(f, "dualbackup_config_running_commit_id", "gauge",
	       "Id of the running configuration's commit.");
	if (num(doc, "running_commit_id", &v))
		sample(f, "dualbackup_config_running_commit_id", none, v);
	family(f, "dualbackup_config_commits_total", "counter",
	       "Commits answered, by result (ok: applied, unchanged: nothing to change, failed: "
	       "refused or aborted, nothing changed).");
	{
		static const char *const results[] = {"ok", "unchanged", "failed"};

		for (size_t i = 0; i < 3; i++) {
			const char *l[] = {"result", results[i], NULL};

			if (num(get(doc, "commits"), results[i], &v))
				sample(f, "dualbackup_config_commits_total", l, v);
		}
	}
	family(f, "dualbackup_config_commit_duration_seconds", "histogram",
	       "Time from a commit's turn to its answer: compile, prepare, durable write, "
	       "acknowledgments.");
	histogram(f, "dualbackup_config_commit_duration_seconds",
		  get(get(doc, "commits"), "duration_seconds"));
	family(f, "dualbackup_daemon_up", "gauge", "1 while cfgd hears the daemon.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(ds, i);
		const char *l[] = {"daemon", str(d, "daemon"), NULL};

		if (num(d, "up", &v))
			sample(f, "dualbackup_daemon_up", l, v);
	}
	family(f, "dualbackup_daemon_config_in_sync", "gauge",
	       "1 when the daemon runs exactly the running configuration.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(ds, i);
		const char *l[] = {"daemon", str(d, "daemon"), NULL};

		if (num(d, "in_sync", &v))
			sample(f, "dualbackup_daemon_config_in_sync", l, v);
	}
}

/* ---- BFD (vrrpd) ------------------------------------------------------- */

static const struct field_metric bfd_metrics[] = {
    {"dualbackup_bfd_session_up", "gauge", "1 while the BFD session is Up.", "up", NULL, 0},
    {"dualbackup_bfd_session_ups_total", "counter", "Times the session came Up.", "ups", NULL,
     0},
    {"dualbackup_bfd_session_downs_total", "counter", "Times the session left Up.", "downs",
     NULL, 0},
    {"dualbackup_bfd_detection_time_seconds", "gauge",
     "The session's detection time (0 until the peer is heard).", "detection_time_us", NULL,
     1e6},
    {"dualbackup_bfd_tx_interval_seconds", "gauge",
     "The negotiated transmit interval, before jitter.", "tx_interval_us", NULL, 1e6},
    {"dualbackup_bfd_packets_sent_total", "counter", "Control packets sent.", "sent", "packets",
     0},
    {"dualbackup_bfd_packets_received_total", "counter", "Control packets taken by the session.",
     "received", "packets", 0},
    {"dualbackup_bfd_packets_dropped_total", "counter",
     "Packets for the session dropped (wrong source, discriminator).", "dropped", "packets", 0},
};

static void render_bfd(FILE *f, struct json_object *doc)
{
	const char *none[] = {NULL};

	render_table(f, bfd_metrics, sizeof(bfd_metrics) / sizeof(bfd_metrics[0]),
		     arr(doc, "sessions"), "session");
	family(f, "dualbackup_bfd_dropped_total", "counter",
	       "BFD packets no session took, by reason (TTL below 255, no such session, ...).");
	per_key(f, "dualbackup_bfd_dropped_total", get(doc, "dropped"), none, "reason");
}

int metrics_render(FILE *f, const struct metrics_in *in)
{
	static const char *const sources[] = {"vrrpd", "rbsd", "rbpd", "cfgd"};
	struct json_object *docs[] = {in->vrrp, in->rbs, in->rbp, in->sync};

	family(f, "dualbackup_scrape_ok", "gauge",
	       "1 when the daemon answered this scrape (its metrics are missing otherwise).");
	for (size_t i = 0; i < 4; i++) {
		const char *l[] = {"daemon", sources[i], NULL};

		sample(f, "dualbackup_scrape_ok", l,
		       docs[i] != NULL && json_object_is_type(docs[i], json_type_object));
	}
	if (in->vrrp)
		render_vrrp(f, in->vrrp);
	if (in->rbs)
		render_rbs(f, in->rbs);
	if (in->rbp)
		render_rbp(f, in->rbp);
	if (in->sync)
		render_sync(f, in->sync);
	if (in->bfd)
		render_bfd(f, in->bfd);
	return ferror(f) ? -EIO : 0;
}
