/*
 * cfgd: CLI sessions over the bus (RUNDIR/cfgd-cli.ipc). A session is
 * keyed by dbcli's routing identity and belongs to the uid that opened
 * it; each request is parsed and carried out on the session's candidate
 * (cfgd/session.h), and a commit, rollback or trial goes to the commit
 * queue (cfgd_txn.c), which answers it at its end.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgd/cfgd.h"
#include "cfgd/grammar.h"
#include "cfgd/store.h"
#include "common/log.h"
#include "common/strmap.h"

static void hexid(const uint8_t *id, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";

	if (len > 64)
		len = 64;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[id[i] >> 4];
		out[2 * i + 1] = hx[id[i] & 15];
	}
	out[2 * len] = '\0';
}

/* ---- replies ----------------------------------------------------------- */

void cfgd_send_cli(struct cfgd *cd, const char *ident, size_t identlen, uint64_t id, bool ok,
		   const char *out, const struct session *s, const struct sess_result *fw)
{
	Db__CliReply r = DB__CLI_REPLY__INIT;
	Db__Query q = DB__QUERY__INIT;
	char prompt[160] = "";
	int rc;

	if (s)
		sess_prompt(s, cfg_sysname(cd->running), prompt, sizeof(prompt));
	r.ok = ok;
	r.output = (char *)(out ? out : "");
	r.prompt = prompt;
	r.close = s && s->closed;
	if (fw && fw->req == SR_FORWARD) {
		static const Db__Role roles[D__COUNT] = {DB__ROLE__ROLE_VRRPD, DB__ROLE__ROLE_RBSD,
							 DB__ROLE__ROLE_RBPD};

		r.forward_to = roles[fw->forward_to];
		q.kind = (Db__QueryKind)fw->query.kind;
		q.json = fw->json;
		q.verbose = fw->query.verbose;
		q.name = (char *)fw->query.name;
		q.service = (char *)fw->query.service;
		q.mac = (char *)fw->query.mac;
		r.query = &q;
	}
	rc = bus_send_msg(cd->cli, ident, identlen, DB__MSG_TYPE__MSG_CLI_REPLY,
			  DB__ROLE__ROLE_CFGD, id, &r.base);
	if (rc < 0)
		log_debug("reply to dbcli: %s", strerror(-rc));
}

static void cli_exec(struct cfgd *cd, const char *ident, size_t identlen, uint64_t req_id,
		     struct session *s, const char *line, bool json)
{
	struct sess_result res;
	struct cfg_pending p = {0};
	char *text;

	sess_exec(s, cd->running, cd->running_id, line, &res);
	res.json |= json; /* dbcli --json */
	memcpy(p.ident, ident, identlen);
	p.identlen = identlen;
	p.req_id = req_id;
	p.sess = s;
	switch (res.req) {
	case SR_NONE:
	case SR_FORWARD:
		cfgd_send_cli(cd, ident, identlen, req_id, res.ok, res.output, s, &res);
		break;
	case SR_COMMIT: {
		char out[2048];

		if (cd->trial_commit && res.trial_s == 0 && !cand_pending(&s->cand)) {
			log_info("trial commit %llu confirmed by %s",
				 (unsigned long long)cd->trial_commit, s->user);
			cd->trial_commit = 0;
			store_trial_clear(cd->store);
			cfgd_send_cli(cd, ident, identlen, req_id, true,
				      "Info: The trial commit was confirmed.", s, NULL);
			break;
		}
		if (cand_conflicts(&s->cand, cd->running, s->user, out, sizeof(out))) {
			cfgd_send_cli(cd, ident, identlen, req_id, false, out, s, NULL);
			break;
		}
		p.target = conf_dup(cd->running);
		if (p.target == NULL || cand_apply(&s->cand, p.target) < 0) {
			conf_free(p.target);
			cfgd_send_cli(cd, ident, identlen, req_id, false, "Error: out of memory.",
				      s, NULL);
			break;
		}
		p.actions = calloc(1, sizeof(*p.actions));
		for (size_t i = 0; p.actions && i < s->cand.n; i++)
			if (s->cand.ops[i].type == OP_ACTION)
				cand_add(p.actions, OP_ACTION, s->cand.ops[i].view,
					 s->cand.ops[i].name, s->cand.ops[i].key,
					 s->cand.ops[i].text, s->cand.ops[i].id, 0);
		p.trial_s = res.trial_s;
		snprintf(p.label, sizeof(p.label), "%s", res.label);
		if (res.trial_s)
			snprintf(p.info, sizeof(p.info),
				 "Info: Trial commit: it is rolled back in %u seconds unless "
				 "confirmed with commit.",
				 res.trial_s);
		cfgd_enqueue(cd, &p);
		break;
	}
	case SR_ABORT_TRIAL:
		if (!cd->trial_commit) {
			cfgd_send_cli(cd, ident, identlen, req_id, false,
				      "Error: No trial commit is pending.", s, NULL);
			break;
		}
		cfgd_trial_rollback(cd, "aborted by the operator");
		cfgd_send_cli(cd, ident, identlen, req_id, true,
			      "Info: The trial commit is being rolled back.", s, NULL);
		break;
	case SR_ROLLBACK:
		if (res.commit_id > cd->running_id || res.commit_id <= FIRST_COMMIT_ID ||
		    cfgd_load_commit(cd, res.commit_id - 1, &p.target) < 0) {
			cfgd_send_cli(cd, ident, identlen, req_id, false,
				      "Error: No such commit in the history.", s, NULL);
			break;
		}
		p.fixed = true;
		snprintf(p.label, sizeof(p.label), "rollback-%llu",
			 (unsigned long long)res.commit_id);
		snprintf(p.info, sizeof(p.info),
			 "Info: The configuration was rolled back to the state before commit %llu.",
			 (unsigned long long)res.commit_id);
		cfgd_enqueue(cd, &p);
		break;
	case SR_SYNC:
		text = cfgd_show_sync(cd, res.json);
		cfgd_send_cli(cd, ident, identlen, req_id, text != NULL, text, s, NULL);
		free(text);
		break;
	case SR_COMMIT_LIST:
		text = cfgd_show_commit_list(cd, res.json);
		cfgd_send_cli(cd, ident, identlen, req_id, text != NULL, text, s, NULL);
		free(text);
		break;
	case SR_COMMIT_CHANGES:
		text = cfgd_show_changes(cd, res.commit_id);
		cfgd_send_cli(cd, ident, identlen, req_id, text != NULL,
			      text ? text : "Error: No such commit in the history.", s, NULL);
		free(text);
		break;
	}
	free(res.output);
}

/* The name the commit history records for the user of uid `uid`, as the
 * kernel reported it when dbcli connected (the request's own `user`
 * field is the client's say-so and is ignored). */
static void user_name(long uid, char *buf, size_t len)
{
	struct passwd *pw = uid >= 0 ? getpwuid((uid_t)uid) : NULL;

	if (pw && pw->pw_name && pw->pw_name[0])
		snprintf(buf, len, "%s", pw->pw_name);
	else if (uid >= 0)
		snprintf(buf, len, "uid %ld", uid);
	else
		snprintf(buf, len, "unknown");
}

void cfgd_cli_request(struct cfgd *cd, const uint8_t *ident, size_t identlen,
		      const Db__Envelope *env, long uid)
{
	Db__CliRequest *rq = db__cli_request__unpack(NULL, env->payload.len, env->payload.data);
	struct session *s;
	char key[140];

	if (rq == NULL) {
		log_warnx("dbcli: malformed request dropped");
		return;
	}
	hexid(ident, identlen, key);
	s = strmap_get(cd->sessions, key);
	if (s != NULL && s->uid != uid) {
		/* A session belongs to whoever opened it. */
		log_warnx("dbcli: uid %ld sent a request in a session of uid %ld: dropped", uid,
			  s->uid);
		db__cli_request__free_unpacked(rq, NULL);
		return;
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL || strmap_put(cd->sessions, key, s) < 0) {
			free(s);
			db__cli_request__free_unpacked(rq, NULL);
			return;
		}
		s->view = VIEW_USER;
		s->uid = uid;
		user_name(uid, s->user, sizeof(s->user));
	}
	s->last_active_ms = cfgd_now_ms(cd);
	switch (rq->op) {
	case DB__CLI_OP__CLI_OPEN:
		cfgd_send_cli(cd, (const char *)ident, identlen, env->id, true, NULL, s, NULL);
		break;
	case DB__CLI_OP__CLI_CLOSE:
		s->closed = true;
		cfgd_send_cli(cd, (const char *)ident, identlen, env->id, true, NULL, s, NULL);
		break;
	case DB__CLI_OP__CLI_HELP: {
		char out[8192];

		gram_help(s->view, rq->line, out, sizeof(out));
		cfgd_send_cli(cd, (const char *)ident, identlen, env->id, true, out, s, NULL);
		break;
	}
	case DB__CLI_OP__CLI_COMPLETE: {
		Db__CliReply r = DB__CLI_REPLY__INIT;
		const char *words[64];
		char prompt[160];
		int n = gram_complete(s->view, rq->line, words, 64);

		sess_prompt(s, cfg_sysname(cd->running), prompt, sizeof(prompt));
		r.ok = 1;
		r.prompt = prompt;
		r.n_completions = (size_t)n;
		r.completions = (char **)words;
		bus_send_msg(cd->cli, ident, identlen, DB__MSG_TYPE__MSG_CLI_REPLY,
			     DB__ROLE__ROLE_CFGD, env->id, &r.base);
		break;
	}
	case DB__CLI_OP__CLI_EXEC:
	default:
		cli_exec(cd, (const char *)ident, identlen, env->id, s, rq->line, rq->json);
		break;
	}
	db__cli_request__free_unpacked(rq, NULL);
}

/* ---- the end of a session ------------------------------------------------ */

/* strmap_del_if() of the sessions: a closed or idle one goes, unless its
 * commit is running; queued commits forget it. */
static bool expire_session(const char *k, void *v, void *arg)
{
	struct cfgd *cd = arg;
	struct session *s = v;

	(void)k;
	if (!(s->closed || cfgd_now_ms(cd) - s->last_active_ms > SESSION_IDLE_MS) ||
	    (cd->busy && cd->cur.sess == s))
		return false;
	cfg_commitq_forget(&cd->queue, s);
	cand_clear(&s->cand);
	free(s);
	return true;
}

void cfgd_sess_expire(struct cfgd *cd)
{
	strmap_del_if(cd->sessions, expire_session, cd);
}
static void free_session(const char *k, void *v, void *arg)
{
	struct session *s = v;

	(void)k;
	(void)arg;
	cand_clear(&s->cand);
	free(s);
}

void cfgd_sess_free_all(struct cfgd *cd)
{
	strmap_each(cd->sessions, free_session, NULL);
}
