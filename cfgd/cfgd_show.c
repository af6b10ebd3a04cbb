/*
 * cfgd: what it displays itself, in text and in JSON (docs/json.md): the
 * commit history, what a commit changed, and whether each daemon runs the
 * running configuration. Displays of the daemons' own state are answered
 * by them (cfgd_sess.c forwards their query to dbcli).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfgd/cfgd.h"
#include "cfgd/store.h"
#include "common/jsonout.h"
#include "common/show.h"

static char *commit_list_text(struct cfgd *cd)
{
	struct store_commit *list;
	char *out = NULL;
	size_t n, outlen = 0;
	FILE *f;

	if (store_list(cd->store, &list, &n) < 0)
		return strdup("Error: cannot read the commit history.");
	f = open_memstream(&out, &outlen);
	if (f == NULL) {
		free(list);
		return NULL;
	}
	fprintf(f, "Number  CommitId    Label                User        TimeStamp\n");
	for (size_t i = 0; i < n; i++) {
		char ts[32];

		show_time(list[i].time, ts, sizeof(ts));
		fprintf(f, "%-7zu %-11llu %-20s %-11s %s\n", i + 1, (unsigned long long)list[i].id,
			list[i].label[0] ? list[i].label : "-", list[i].user, ts);
	}
	fprintf(f, "Total: %zu", n);
	fclose(f);
	free(list);
	return out;
}

char *cfgd_show_changes(struct cfgd *cd, uint64_t id)
{
	struct conf *before, *after;
	char *d, *out;

	if (cfgd_load_commit(cd, id, &after) < 0)
		return NULL;
	if (cfgd_load_commit(cd, id - 1, &before) < 0) {
		/* pruned predecessor: show the commit whole */
		before = conf_new();
	}
	d = conf_diff(before, after);
	if (asprintf(&out, "Building configuration\n%s", d && d[0] ? d : "(no changes)\n") < 0)
		out = NULL;
	free(d);
	conf_free(before);
	conf_free(after);
	return out;
}

/* Whether every daemon runs the running configuration: the content
 * digests of their applied sections against cfgd's. */
static char *sync_status_text(struct cfgd *cd)
{
	char *out = malloc(1024), *p = out;

	if (out == NULL)
		return NULL;
	p += sprintf(p, "Running commit: %llu\n", (unsigned long long)cd->running_id);
	if (cd->trial_commit) {
		long long left = (long long)(cd->trial_deadline - time(NULL));

		p += sprintf(p,
			     "Trial commit: %llu, rolls back to %llu in %lld s unless confirmed\n",
			     (unsigned long long)cd->trial_commit,
			     (unsigned long long)cd->trial_rollback_to, left > 0 ? left : 0);
	} else {
		p += sprintf(p, "Trial commit: none\n");
	}
	if (cd->queue.rollback == CFG_RB_UNSAVED)
		p += sprintf(p, "Warning: the trial rollback is not yet written to disk\n");
	p += sprintf(p, "Daemon  State  PID       Applied     Digest            Sync\n");
	for (int d = 0; d < D__COUNT; d++)
		p += sprintf(p, "%-7s %-6s %-9llu %-11llu %016llx  %s\n", cfg_daemon_name(d),
			     cd->d[d].up ? "up" : "down", (unsigned long long)cd->d[d].pid,
			     (unsigned long long)cd->d[d].applied,
			     (unsigned long long)cd->d[d].digest,
			     cd->d[d].up && cfgd_in_sync(cd, d) ? "yes" : "no");
	p[-1] = '\0';
	return out;
}

/* A JSON document as the malloc'd text of a CLI reply (NULL: no memory). */
static char *json_text(struct json_object *o)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL) {
		json_object_put(o);
		return NULL;
	}
	jout_write(f, o);
	fclose(f);
	return out;
}

/* display configuration commit list json (docs/json.md) */
static char *commit_list_json(struct cfgd *cd)
{
	struct json_object *o = json_object_new_object(), *arr;
	struct store_commit *list;
	size_t n;

	if (o == NULL)
		return NULL;
	if (store_list(cd->store, &list, &n) < 0) {
		jout_str(o, "error", "cannot read the commit history");
		return json_text(o);
	}
	arr = jout_arr(o, "commits");
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = jout_push_obj(arr);

		jout_u64(c, "commit_id", list[i].id);
		jout_str(c, "label", list[i].label[0] ? list[i].label : NULL);
		jout_str(c, "user", list[i].user);
		jout_i64(c, "time", (int64_t)list[i].time);
	}
	free(list);
	jout_u64(o, "running_commit_id", cd->running_id);
	if (cd->trial_commit)
		jout_u64(o, "trial_commit_id", cd->trial_commit);
	else
		jout_str(o, "trial_commit_id", NULL);
	return json_text(o);
}

/* display configuration sync json (docs/json.md) */
static char *sync_status_json(struct cfgd *cd)
{
	struct json_object *o = json_object_new_object(), *arr;

	if (o == NULL)
		return NULL;
	jout_u64(o, "running_commit_id", cd->running_id);
	{
		struct json_object *c = jout_obj(o, "commits");

		jout_u64(c, "ok", cd->commits_ok);
		jout_u64(c, "failed", cd->commits_failed);
		jout_u64(c, "unchanged", cd->commits_unchanged);
		histo_json(&cd->commit_latency, c, "duration_seconds");
	}
	arr = jout_arr(o, "daemons");
	for (int d = 0; d < D__COUNT; d++) {
		struct json_object *x = jout_push_obj(arr);
		char dg[17];

		snprintf(dg, sizeof(dg), "%016llx", (unsigned long long)cd->d[d].digest);
		jout_str(x, "daemon", cfg_daemon_name(d));
		jout_bool(x, "up", cd->d[d].up);
		jout_u64(x, "pid", cd->d[d].pid);
		jout_u64(x, "applied_commit_id", cd->d[d].applied);
		jout_str(x, "digest", dg);
		jout_bool(x, "in_sync", cd->d[d].up && cfgd_in_sync(cd, d));
	}
	return json_text(o);
}

char *cfgd_show_commit_list(struct cfgd *cd, bool json)
{
	return json ? commit_list_json(cd) : commit_list_text(cd);
}

char *cfgd_show_sync(struct cfgd *cd, bool json)
{
	return json ? sync_status_json(cd) : sync_status_text(cd);
}
