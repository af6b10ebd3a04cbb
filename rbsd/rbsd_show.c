/*
 * rbsd: `display remote-backup-service [NAME] [verbose] [json]`, what an
 * operator reads of each configured service: its channel (rbs_chan_show(),
 * rbs_chan_json()), or why it has none, and its feeder.
 */
#include <string.h>

#include "common/jsonout.h"
#include "rbsd/rbsd.h"

/* `display remote-backup-service [NAME] json` (docs/json.md). */
static int display_json(struct rbsd *d, const char *name, FILE *f)
{
	struct json_object *o = json_object_new_object(), *arr;
	size_t n = d->running ? d->running->n_services : 0, shown = 0;

	if (o == NULL)
		return 0;
	arr = jout_arr(o, "services");
	for (size_t i = 0; i < n; i++) {
		Db__RbsConfig *s = d->running->services[i];
		struct svc *v = rbsd_svc_find(d, s->name);
		struct json_object *x, *p;

		if (name && strcmp(name, s->name))
			continue;
		shown++;
		x = jout_push_obj(arr);
		jout_str(x, "name", s->name);
		if (v && v->ch) {
			rbs_chan_json(v->ch, x);
		} else {
			jout_str(x, "state", "Init");
			jout_bool(x, "up", false);
			jout_str(x, "down_reason",
				 v && v->open_error[0] ? v->open_error : "not started");
			jout_str(x, "peer", s->peer[0] ? s->peer : NULL);
			jout_str(x, "source", s->source[0] ? s->source : NULL);
			jout_u64(x, "port", s->port);
			p = jout_obj(x, "tls");
			jout_bool(p, "enabled", s->ssl != NULL);
			jout_str(p, "ssl_policy", s->ssl ? s->ssl->name : NULL);
		}
		jout_str(x, "feeder", v && v->feeder_idlen ? v->feeder_name : NULL);
		jout_u64(x, "feeder_overruns", v ? v->overruns : 0);
		jout_u64(x, "feeder_undelivered", v ? v->undelivered : 0);
		jout_u64(x, "feeder_antientropy_refused", v ? v->ae_refused : 0);
		jout_str(x, "feeder_acks",
			 v && v->feeder_idlen ? (v->applied_acks ? "applied" : "received") : NULL);
		jout_u64(x, "feeder_applied_refused", v ? v->applied_refused : 0);
		jout_bool(x, "batch_request_waiting", v && v->batch_wanted);
		jout_str(x, "track_bfd", s->track_bfd && s->track_bfd[0] ? s->track_bfd : NULL);
		p = jout_arr(x, "profiles");
		for (size_t j = 0; j < s->n_profiles; j++) {
			struct json_object *q = jout_push_obj(p);

			jout_str(q, "name", s->profiles[j]->name);
			jout_u64(q, "backup_id", s->profiles[j]->backup_id);
		}
	}
	if (name && shown == 0) {
		json_object_put(o);
		o = json_object_new_object();
		jout_str(o, "error", "The remote backup service does not exist.");
		jout_write(f, o);
		return 0;
	}
	return jout_write(f, o);
}

/* ctl_query_fn */
int rbsd_display(void *arg, const Db__Query *q, FILE *f, Db__QueryReply *r)
{
	/* display remote-backup-service [NAME] [verbose] */
	struct rbsd *d = arg;
	const char *name = q->name[0] ? q->name : NULL;
	bool verbose = q->verbose;
	size_t n = d->running ? d->running->n_services : 0, shown = 0;

	(void)r;
	if (q->kind != DB__QUERY_KIND__QUERY_RBS)
		return 0; /* not rbsd's: ctl says so */
	if (q->json)
		return display_json(d, name, f);
	for (size_t i = 0; i < n; i++) {
		Db__RbsConfig *s = d->running->services[i];
		struct svc *v = rbsd_svc_find(d, s->name);

		if (name && strcmp(name, s->name))
			continue;
		shown++;
		fprintf(f, "Remote backup service: %s\n", s->name);
		if (v && v->ch) {
			rbs_chan_show(v->ch, verbose, f);
		} else {
			fprintf(f, "  State          : Init (%s)\n",
				v && v->open_error[0] ? v->open_error : "not started");
			fprintf(
			    f,
			    "  Peer           : %s\n  Source         : %s\n  Port           : %u\n",
			    s->peer[0] ? s->peer : "-", s->source[0] ? s->source : "-", s->port);
			if (s->ssl)
				fprintf(f, "  TLS            : on, ssl policy %s\n", s->ssl->name);
			else
				fprintf(f,
					"  TLS            : OFF - no ssl policy bound; user data "
					"crosses in the clear\n");
		}
		if (s->track_bfd && s->track_bfd[0])
			fprintf(f,
				"  Track BFD      : session %s (its Down takes the channel down)\n",
				s->track_bfd);
		if (v) {
			fprintf(f, "  Feeder         : %s",
				v->feeder_idlen ? v->feeder_name : "none attached");
			if (v->overruns || v->undelivered)
				fprintf(f, " (overruns %llu, undelivered %llu)",
					(unsigned long long)v->overruns,
					(unsigned long long)v->undelivered);
			if (v->ae_refused)
				fprintf(f, " (anti-entropy frames refused %llu)",
					(unsigned long long)v->ae_refused);
			fprintf(f, "\n");
			if (v->batch_wanted)
				fprintf(f, "  Batch request  : waiting for a feeder to attach and "
					   "send it\n");
		}
		for (size_t j = 0; j < s->n_profiles; j++)
			fprintf(f, "  Profile        : %s backup-id %u\n", s->profiles[j]->name,
				s->profiles[j]->backup_id);
	}
	if (name && shown == 0) {
		fprintf(f, "Error: The remote backup service %s does not exist.", name);
		return 0;
	}
	if (shown == 0)
		fprintf(f, "Info: No remote backup service is configured.");
	return 1;
}
