#include "cfgd/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.pb-c.h"
#include "cfgd/compile.h"

static void reply(struct sess_result *res, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reply(struct sess_result *res, bool ok, const char *fmt, ...)
{
	va_list ap;

	res->ok = ok;
	free(res->output);
	res->output = NULL;
	va_start(ap, fmt);
	if (vasprintf(&res->output, fmt, ap) < 0)
		res->output = NULL;
	va_end(ap);
}

/* The running configuration with this session's edits. */
static struct conf *candidate_conf(const struct session *s, const struct conf *running)
{
	struct conf *c = conf_dup(running);

	if (c && cand_apply(&s->cand, c) < 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

static bool section_exists(const struct session *s, const struct conf *running, enum gram_view v,
			   const char *name)
{
	struct conf *c;
	bool yes;

	/* An RBP, RBS or SSL policy exists from its creation to its removal:
	 * the session's latest edit of it answers, else the running
	 * configuration, without rebuilding the candidate (which costs a copy
	 * of the whole configuration per view entered). */
	if (v != VIEW_INTERFACE) {
		for (size_t i = s->cand.n; i-- > 0;) {
			const struct cand_op *op = &s->cand.ops[i];

			if (op->view != v || strcmp(op->name, name) != 0)
				continue;
			if (op->type == OP_DEL_SECTION)
				return false;
			if (op->type == OP_ENTER || op->type == OP_SET)
				return true;
		}
		return conf_section(running, v, name) != NULL;
	}
	/* an interface exists through its lines */
	c = candidate_conf(s, running);
	yes = c && conf_section(c, v, name) != NULL;
	conf_free(c);
	return yes;
}

static void edit(struct session *s, const struct conf *running, uint64_t base,
		 const struct gram_result *r, struct sess_result *res)
{
	const char *name = r->view == VIEW_SYSTEM ? "" : s->section;
	int rc = 0;

	if (r->kind == GK_ENTER) {
		const char *target = r->nargs ? r->args[0].str : "";
		const char *bind = gram_enter_line(r);
		/* r->enters is VIEW_NONE for undo: the section's view by command */
		enum gram_view v = r->id == G_INTERFACE	    ? VIEW_INTERFACE
				   : r->id == G_RBP	    ? VIEW_RBP
				   : r->id == G_RBS	    ? VIEW_RBS
				   : r->id == G_BFD	    ? VIEW_BFD
				   : r->id == G_BFD_SESSION ? VIEW_BFD_SESSION
							    : VIEW_SSL;

		if (r->undo && !section_exists(s, running, v, target)) {
			reply(res, false, "Error: %s does not exist.", r->canon);
			return;
		}
		if (r->undo) {
			rc = cand_add(&s->cand, OP_DEL_SECTION, v, target, "", NULL, r->id, base);
		} else {
			/* Entering an existing object is no change; a new RBP, RBS or
			 * policy is one even while empty. Interfaces exist through
			 * their lines. */
			bool exists = v == VIEW_INTERFACE || section_exists(s, running, v, target);

			if (!exists && r->id == G_BFD_SESSION && bind == NULL) {
				reply(res, false,
				      "Error: BFD session %s does not exist; create it with bfd %s "
				      "bind peer-ip ADDRESS.",
				      target, target);
				return;
			}
			if (!exists)
				rc = cand_add(&s->cand, OP_ENTER, v, target, "", NULL, r->id, base);
			if (rc == 0 && bind)
				rc = cand_add(&s->cand, OP_SET, v, target, "bind", bind, G_BFD_BIND,
					      base);
			s->view = v;
			snprintf(s->section, sizeof(s->section), "%s", target);
		}
	} else if (r->kind == GK_ACTION) {
		rc = cand_add(&s->cand, OP_ACTION, r->view, name, r->key, r->canon, r->id, base);
	} else if (r->undo && r->id == G_VRRP_GROUP) {
		char admin[64];

		rc = cand_add(&s->cand, OP_DEL_PREFIX, r->view, name, r->key, NULL, r->id, base);
		snprintf(admin, sizeof(admin), "admin-%s", r->key);
		if (rc == 0)
			rc = cand_add(&s->cand, OP_DEL, r->view, name, admin, NULL, G_ADMIN_VRRP,
				      base);
	} else if (r->undo) {
		rc = cand_add(&s->cand, OP_DEL, r->view, name, r->key, NULL, r->id, base);
	} else {
		rc = cand_add(&s->cand, OP_SET, r->view, name, r->key, r->canon, r->id, base);
	}
	if (rc < 0)
		reply(res, false, "Error: out of memory.");
	else
		res->ok = true;
}

/* A display a daemon answers: dbcli asks it (cfgd_sess.c, cfgd_send_cli)
 * the query the grammar read, naming the object `name` when the command
 * did. */
static void forward(struct sess_result *res, int daemon, Db__QueryKind kind,
		    const struct gram_arg *name)
{
	res->req = SR_FORWARD;
	res->forward_to = daemon;
	res->query.kind = kind;
	snprintf(res->query.name, sizeof(res->query.name), "%s", name ? name->str : "");
}

static void display_candidate(struct session *s, const struct conf *running,
			      struct sess_result *res)
{
	struct conf *c = candidate_conf(s, running);
	char *d = c ? conf_diff(running, c) : NULL;
	size_t extra = 0;

	for (size_t i = 0; i < s->cand.n; i++)
		if (s->cand.ops[i].type == OP_ACTION)
			extra++;
	if (d == NULL) {
		reply(res, false, "Error: out of memory.");
	} else if (d[0] == '\0' && extra == 0) {
		reply(res, true, "Info: The candidate configuration has no changes.");
	} else {
		char *acts = strdup("");

		for (size_t i = 0; i < s->cand.n && acts; i++) {
			const struct cand_op *op = &s->cand.ops[i];
			char *n;

			if (op->type != OP_ACTION)
				continue;
			if (asprintf(&n, "%s* remote-backup-service %s: %s (runs at commit)\n",
				     acts, op->name, op->text) < 0)
				n = NULL;
			free(acts);
			acts = n;
		}
		reply(res, true, "%s%s", d, acts ? acts : "");
		free(acts);
	}
	free(d);
	conf_free(c);
}

static void session_cmd(struct session *s, const struct conf *running, const struct gram_result *r,
			struct sess_result *res)
{
	const struct gram_arg *a;

	res->ok = true;
	res->json = gram_arg(r, "json") != NULL;
	switch (r->id) {
	case G_SYSTEM_VIEW:
		s->view = VIEW_SYSTEM;
		s->section[0] = '\0';
		reply(res, true, "Enter system view, return user view with return command.");
		break;
	case G_QUIT:
		if (s->view == VIEW_USER) {
			s->closed = true;
		} else if (s->view == VIEW_SYSTEM) {
			s->view = VIEW_USER;
		} else {
			s->view = VIEW_SYSTEM;
			s->section[0] = '\0';
		}
		break;
	case G_RETURN:
		s->view = VIEW_USER;
		s->section[0] = '\0';
		break;
	case G_COMMIT:
		res->req = SR_COMMIT;
		break;
	case G_COMMIT_TRIAL:
		res->req = SR_COMMIT;
		res->trial_s = (unsigned)gram_arg(r, "seconds")->num;
		break;
	case G_COMMIT_LABEL:
		res->req = SR_COMMIT;
		snprintf(res->label, sizeof(res->label), "%s", gram_arg(r, "label")->str);
		break;
	case G_ABORT_TRIAL:
		res->req = SR_ABORT_TRIAL;
		break;
	case G_CLEAR_CANDIDATE:
		cand_clear(&s->cand);
		reply(res, true, "Info: The candidate configuration was cleared.");
		break;
	case G_ROLLBACK:
		res->req = SR_ROLLBACK;
		res->commit_id = (uint64_t)gram_arg(r, "commit-id")->num;
		break;
	case G_DISPLAY_CURRENT: {
		char *text = conf_render(running);

		reply(res, text != NULL, "%s", text ? text : "Error: out of memory.");
		free(text);
		break;
	}
	case G_DISPLAY_CANDIDATE:
		display_candidate(s, running, res);
		break;
	case G_DISPLAY_COMMIT_LIST:
		res->req = SR_COMMIT_LIST;
		break;
	case G_DISPLAY_SYNC:
		res->req = SR_SYNC;
		break;
	case G_DISPLAY_COMMIT_CHANGES:
		res->req = SR_COMMIT_CHANGES;
		res->commit_id = (uint64_t)gram_arg(r, "commit-id")->num;
		break;
	case G_DISPLAY_VRRP:
		a = gram_arg(r, "detail");
		forward(res, D_VRRPD,
			a && !strcmp(a->str, "brief")	     ? DB__QUERY_KIND__QUERY_VRRP_BRIEF
			: a && !strcmp(a->str, "statistics") ? DB__QUERY_KIND__QUERY_VRRP_STATISTICS
							     : DB__QUERY_KIND__QUERY_VRRP,
			NULL);
		res->query.verbose = a && !strcmp(a->str, "verbose");
		break;
	case G_DISPLAY_RBS:
		forward(res, D_RBSD, DB__QUERY_KIND__QUERY_RBS, gram_arg(r, "rbs-name"));
		res->query.verbose = gram_arg(r, "detail") != NULL;
		break;
	case G_DISPLAY_RBP:
		forward(res, D_RBPD, DB__QUERY_KIND__QUERY_RBP, gram_arg(r, "rbp-name"));
		break;
	case G_DISPLAY_BFD:
		forward(res, D_VRRPD, DB__QUERY_KIND__QUERY_BFD_SESSION,
			gram_arg(r, "session-name"));
		break;
	case G_DISPLAY_RBP_USERS:
		forward(res, D_RBPD, DB__QUERY_KIND__QUERY_RBP_USERS, gram_arg(r, "rbp-name"));
		snprintf(res->query.service, sizeof(res->query.service), "%s",
			 gram_arg(r, "svc")->str);
		a = gram_arg(r, "mac-address");
		snprintf(res->query.mac, sizeof(res->query.mac), "%s", a ? a->str : "");
		break;
	default:
		reply(res, false, "Error: not supported here.");
	}
}

void sess_exec(struct session *s, const struct conf *running, uint64_t running_id, const char *line,
	       struct sess_result *res)
{
	struct gram_result r;
	int rc;

	memset(res, 0, sizeof(*res));
	res->ok = true;
	/* In a saved configuration '#' closes the section. */
	if (line[strspn(line, " \t")] == '#' && s->view != VIEW_USER) {
		s->view = VIEW_SYSTEM;
		s->section[0] = '\0';
		return;
	}
	rc = gram_parse(s->view, line, &r);
	if (rc == 1)
		return;
	if (rc < 0) {
		char out[GRAM_LINE_MAX + 600];

		gram_format_error(line, &r, out, sizeof(out));
		reply(res, false, "%s", out);
		return;
	}
	/* A command of the parent view takes the session there, as in VRP. */
	if (r.view == VIEW_SYSTEM && s->view != VIEW_SYSTEM) {
		s->view = VIEW_SYSTEM;
		s->section[0] = '\0';
	}
	if (r.kind == GK_SESSION)
		session_cmd(s, running, &r, res);
	else
		edit(s, running, running_id, &r, res);
}

void sess_prompt(const struct session *s, const char *host, char *out, size_t len)
{
	const char *mark = cand_pending(&s->cand) ? "*" : "~";

	switch (s->view) {
	case VIEW_USER:
		snprintf(out, len, "<%s>", host);
		break;
	case VIEW_SYSTEM:
		snprintf(out, len, "[%s%s]", mark, host);
		break;
	case VIEW_INTERFACE:
		snprintf(out, len, "[%s%s-%s]", mark, host, s->section);
		break;
	case VIEW_RBP:
		snprintf(out, len, "[%s%s-rm-backup-profile-%s]", mark, host, s->section);
		break;
	case VIEW_RBS:
		snprintf(out, len, "[%s%s-rm-backup-srv-%s]", mark, host, s->section);
		break;
	case VIEW_SSL:
		snprintf(out, len, "[%s%s-ssl-policy-%s]", mark, host, s->section);
		break;
	case VIEW_BFD:
		snprintf(out, len, "[%s%s-bfd]", mark, host);
		break;
	case VIEW_BFD_SESSION:
		snprintf(out, len, "[%s%s-bfd-session-%s]", mark, host, s->section);
		break;
	default:
		snprintf(out, len, "<%s>", host);
	}
}
