/*
 * The CLI grammar's parser: a line split into words, the words run through
 * the patterns of the table (grammar_table.c) of a view and its parents,
 * the one command that takes them all as the result. The parts and what
 * they share: grammar_int.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cfgd/grammar_int.h"

/* ---- tokenizer --------------------------------------------------------- */

void gram_split(const char *line, struct words *ws)
{
	const char *p = line;

	memset(ws, 0, sizeof(*ws));
	ws->trailing_blank = true;
	while (*p) {
		const char *s;
		size_t len;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		s = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		len = (size_t)(p - s);
		if (ws->n == MAX_WORDS || len >= sizeof(ws->w[0])) {
			ws->too_long = true;
			ws->off[ws->n < MAX_WORDS ? ws->n : MAX_WORDS - 1] = (int)(s - line);
			return;
		}
		memcpy(ws->w[ws->n], s, len);
		ws->w[ws->n][len] = '\0';
		ws->off[ws->n] = (int)(s - line);
		ws->n++;
		ws->trailing_blank = *p != '\0';
	}
	if (ws->n == 0)
		ws->trailing_blank = true;
}

/* ---- matching ---------------------------------------------------------- */

static bool view_has(const struct cmd_def *c, enum gram_view v)
{
	if (c->view == VIEW_ANY) {
		if ((c->flags & F_NO_USER) && v == VIEW_USER)
			return false;
		return true;
	}
	return c->view == v;
}

bool gram_tail_optional(const struct cand *c, bool undo)
{
	const struct cmd_def *d = &gram_cmds[c->cmd];
	const struct pat *p = &gram_pats[c->cmd];

	if (undo && d->kind == GK_SET && d->key_words > 0 && c->pi >= d->key_words)
		return true;
	for (int i = c->pi; i < p->n; i++)
		if (!p->t[i].optional)
			return false;
	return true;
}

static void add_word(struct cand *c, const char *w)
{
	size_t len = strlen(c->canon);

	snprintf(c->canon + len, sizeof(c->canon) - len, "%s%s", len ? " " : "", w);
	c->nwords++;
	if (gram_cmds[c->cmd].key_words > 0 && c->nwords == gram_cmds[c->cmd].key_words)
		c->key_len = (int)strlen(c->canon);
}

/* How token t takes word w: 2 exact keyword, 1 keyword prefix (the full
 * word in *full), 3 parameter, 0 no. */
static int take(const struct tok *t, const char *w, const char **full)
{
	if (t->type != T_KW)
		return 3;
	for (int k = 0; k < t->nkw; k++) {
		if (!strcasecmp(t->kw[k], w)) {
			*full = t->kw[k];
			return 2;
		}
	}
	for (int k = 0; k < t->nkw; k++) {
		if (!strncasecmp(t->kw[k], w, strlen(w))) {
			*full = t->kw[k];
			return 1;
		}
	}
	return 0;
}

static void fail_at(struct matcher *m, enum fail f, int word, const char *reason)
{
	/* Keep the failure that got furthest; at the same word prefer a
	 * precise reason (bad parameter) over a generic one. */
	/* A bad value says more than "too many parameters" from a shorter
	 * command that happened to accept it ("timer advertise 15 msec"). */
	if (m->fail == FAIL_PARAM && f == FAIL_TOO_MANY)
		return;
	if (word < m->fail_word && !(f == FAIL_PARAM && m->fail == FAIL_TOO_MANY))
		return;
	/* At the same word the first bad value in table order says it best
	 * ("interface NAME" before "interface TYPE NUMBER"). */
	if (word == m->fail_word && m->fail == FAIL_PARAM)
		return;
	m->fail = f;
	m->fail_word = word;
	snprintf(m->reason, sizeof(m->reason), "%s", reason ? reason : "");
}

void gram_match_start(struct matcher *m, enum gram_view view, bool undo)
{
	/* Only the header and the candidates in use are reset: clearing the
	 * whole matcher (every candidate's canonical buffer) cost more than
	 * parsing the line. */
	m->n = 0;
	m->fail = FAIL_NONE;
	m->fail_word = -1;
	m->reason[0] = '\0';
	for (size_t i = 0; i < GRAM_NCMDS; i++) {
		const struct cmd_def *d = &gram_cmds[i];
		struct cand *c;

		if (!view_has(d, view))
			continue;
		if (undo && !(d->flags & (F_UNDO | F_UNDO_ONLY)))
			continue;
		if (!undo && (d->flags & F_UNDO_ONLY))
			continue;
		c = &m->c[m->n++];
		c->cmd = (int)i;
		c->pi = 0;
		c->alive = true;
		c->canon[0] = '\0';
		c->nwords = 0;
		c->key_len = 0;
		c->nargs = 0;
	}
}

/* Whether w is exactly a keyword at token ti of p, or at an optional
 * token after it before the first required one. */
static bool keyword_ahead(const struct pat *p, int ti, const char *w)
{
	const char *kw;

	for (; ti < p->n; ti++) {
		if (p->t[ti].type == T_KW && take(&p->t[ti], w, &kw) == 2)
			return true;
		if (!p->t[ti].optional)
			return false;
	}
	return false;
}

/* How the live candidate c takes word wi (as take() says), past the
 * optional tokens it leaves out. 0 when it cannot: then it is dead and
 * the failure noted. */
static int how_taken(struct matcher *m, struct cand *c, const char *w, int wi, const char **full)
{
	const struct pat *p = &gram_pats[c->cmd];
	int how = 0;

	/* Skip optional keyword tokens that do not take this word, and
	 * an optional parameter when an optional keyword after it (or
	 * the first required token) is this very word: "display
	 * remote-backup-service json" is the JSON of every service, as
	 * FRR reads `show … json`. */
	while (c->pi < p->n) {
		how = take(&p->t[c->pi], w, full);
		if (how == 3 && p->t[c->pi].optional && keyword_ahead(p, c->pi + 1, w)) {
			c->pi++;
			continue;
		}
		if (how || !p->t[c->pi].optional)
			break;
		c->pi++;
	}
	if (c->pi >= p->n) {
		c->alive = false;
		fail_at(m, FAIL_TOO_MANY, wi, NULL);
		return 0;
	}
	if (how == 0) {
		c->alive = false;
		fail_at(m, FAIL_UNKNOWN, wi, NULL);
	}
	return how;
}

/* Candidate c takes word wi at its token pi, as how_taken() said (`full`:
 * the whole keyword): the canonical word, and the argument it makes. A
 * parameter's value that is not one kills the candidate. */
static void consume(struct matcher *m, struct cand *c, const char *w, int wi, int how,
		    const char *full)
{
	const struct tok *t = &gram_pats[c->cmd].t[c->pi];

	if (how == 3) {
		char canon[256], reason[256];
		long num;

		if (!gram_check_param(t, w, canon, sizeof(canon), &num, reason, sizeof(reason))) {
			c->alive = false;
			fail_at(m, FAIL_PARAM, wi, reason);
			return;
		}
		add_word(c, canon);
		if (c->nargs < GRAM_MAX_ARGS) {
			struct gram_arg *a = &c->args[c->nargs++];

			a->name = t->name;
			a->num = num;
			snprintf(a->str, sizeof(a->str), "%s", canon);
		}
	} else {
		add_word(c, full);
		if ((t->nkw > 1 || t->optional) && c->nargs < GRAM_MAX_ARGS) {
			/* an alternative, or an optional keyword, is a
			 * choice the caller needs (gram_arg(r, "json")) */
			struct gram_arg *a = &c->args[c->nargs++];

			a->name = t->name;
			snprintf(a->str, sizeof(a->str), "%s", full);
		}
	}
	c->pi++;
}

bool gram_feed(struct matcher *m, const struct words *ws, int wi, bool undo)
{
	const char *w = ws->w[wi];
	const char *prefix_kw = NULL;
	bool exact = false, ambiguous = false;
	int how[GRAM_NCMDS];
	const char *full[GRAM_NCMDS];

	/* First pass: how each candidate would take the word. */
	for (int i = 0; i < m->n; i++) {
		how[i] = 0;
		full[i] = NULL;
		if (!m->c[i].alive)
			continue;
		how[i] = how_taken(m, &m->c[i], w, wi, &full[i]);
		if (how[i] == 2)
			exact = true;
		if (how[i] == 1) {
			if (prefix_kw && strcmp(prefix_kw, full[i]))
				ambiguous = true;
			prefix_kw = full[i];
		}
	}
	if (!exact && ambiguous) {
		fail_at(m, FAIL_AMBIGUOUS, wi, NULL);
		for (int i = 0; i < m->n; i++)
			m->c[i].alive = false;
		return false;
	}
	/* Second pass: consume. An exact keyword beats prefixes of others. */
	for (int i = 0; i < m->n; i++) {
		struct cand *c = &m->c[i];

		if (!c->alive)
			continue;
		if (how[i] == 1 && exact) {
			c->alive = false;
			continue;
		}
		consume(m, c, w, wi, how[i], full[i]);
	}
	(void)undo;
	for (int i = 0; i < m->n; i++)
		if (m->c[i].alive)
			return true;
	return false;
}

static const char *fail_text(enum fail f)
{
	switch (f) {
	case FAIL_PARAM:
		return "Error: Wrong parameter found at '^' position.";
	case FAIL_TOO_MANY:
		return "Error: Too many parameters found at '^' position.";
	case FAIL_AMBIGUOUS:
		return "Error: Ambiguous command found at '^' position.";
	case FAIL_INCOMPLETE:
		return "Error: Incomplete command found at '^' position.";
	default:
		return "Error: Unrecognized command found at '^' position.";
	}
}

void gram_set_error(struct gram_result *r, const struct matcher *m, const struct words *ws,
		    const char *line)
{
	int wi = m->fail_word;

	r->err_pos = wi < 0 ? 0 : wi < ws->n ? ws->off[wi] : (int)strlen(line);
	snprintf(r->err, sizeof(r->err), "%s", fail_text(m->fail));
	snprintf(r->reason, sizeof(r->reason), "%s", m->reason);
}

/* Run the matcher over all words of the line in one view. Returns the index
 * of the completed candidate, or -1 with the failure in m. */
static int match_view(struct matcher *m, enum gram_view view, const struct words *ws, int first,
		      bool undo)
{
	int best = -1;

	gram_match_start(m, view, undo);
	if (m->n == 0) {
		fail_at(m, FAIL_UNKNOWN, first, NULL);
		return -1;
	}
	for (int wi = first; wi < ws->n; wi++)
		if (!gram_feed(m, ws, wi, undo))
			return -1;
	for (int i = 0; i < m->n; i++) {
		if (!m->c[i].alive)
			continue;
		if (gram_tail_optional(&m->c[i], undo)) {
			/* The view's own command wins over a global one. */
			if (best < 0 || (gram_cmds[m->c[best].cmd].view == VIEW_ANY &&
					 gram_cmds[m->c[i].cmd].view != VIEW_ANY))
				best = i;
		}
	}
	if (best < 0)
		fail_at(m, FAIL_INCOMPLETE, ws->n, NULL);
	return best;
}

enum gram_view gram_parent(enum gram_view v)
{
	switch (v) {
	case VIEW_SYSTEM:
		return VIEW_USER;
	case VIEW_USER:
		return VIEW_NONE;
	default:
		return VIEW_SYSTEM;
	}
}

const char *gram_view_word(enum gram_view v)
{
	switch (v) {
	case VIEW_INTERFACE:
		return "interface";
	case VIEW_RBP:
		return "remote-backup-profile";
	case VIEW_RBS:
		return "remote-backup-service";
	case VIEW_SSL:
		return "ssl policy";
	case VIEW_BFD:
	case VIEW_BFD_SESSION:
		return "bfd";
	default:
		return "";
	}
}

static void fill(struct gram_result *r, const struct cand *c, bool undo)
{
	const struct cmd_def *d = &gram_cmds[c->cmd];

	r->id = d->id;
	r->kind = d->kind;
	r->undo = undo;
	r->view = d->view;
	r->enters = undo ? VIEW_NONE : d->enters;
	snprintf(r->canon, sizeof(r->canon), "%s", c->canon);
	if (d->kind == GK_SET && d->key_words > 0)
		snprintf(r->key, sizeof(r->key), "%.*s",
			 c->key_len ? c->key_len : (int)strlen(c->canon), c->canon);
	else
		snprintf(r->key, sizeof(r->key), "%s", c->canon);
	r->nargs = c->nargs;
	memcpy(r->args, c->args, sizeof(r->args));
	if (d->id == G_INTERFACE && c->nargs == 2) {
		/* "interface eth 1" names eth1: one canonical form for both */
		snprintf(r->args[0].str, sizeof(r->args[0].str), "%s%s", c->args[0].str,
			 c->args[1].str);
		r->args[0].name = "interface-name";
		r->nargs = 1;
		snprintf(r->canon, sizeof(r->canon), "interface %s", r->args[0].str);
		snprintf(r->key, sizeof(r->key), "%s", r->canon);
	}
}

/* "interface TYPE NUMBER" joins two words that are each fine alone into
 * a name that must still be a Linux interface name. */
static int check_joined_name(struct gram_result *r, const struct words *ws, int first)
{
	if (r->id != G_INTERFACE || ws->n - first != 3 || strlen(r->args[0].str) <= 15)
		return 0;
	r->err_pos = ws->off[first + 1];
	snprintf(r->err, sizeof(r->err), "%s", fail_text(FAIL_PARAM));
	snprintf(r->reason, sizeof(r->reason),
		 "interface-type and interface-number make %s, longer than 15 characters",
		 r->args[0].str);
	return -EINVAL;
}

int gram_parse(enum gram_view view, const char *line, struct gram_result *r)
{
	struct words ws;
	struct matcher m, m2;
	int first = 0, best;
	bool undo = false;

	gram_compile();
	memset(r, 0, sizeof(*r));
	r->enters = VIEW_NONE;
	gram_split(line, &ws);
	if (ws.too_long) {
		r->err_pos = ws.off[ws.n < MAX_WORDS ? ws.n : MAX_WORDS - 1];
		snprintf(r->err, sizeof(r->err), "%s", fail_text(FAIL_TOO_MANY));
		snprintf(r->reason, sizeof(r->reason), "the line has too many or too long words");
		return -EINVAL;
	}
	if (ws.n == 0 || ws.w[0][0] == '#' || ws.w[0][0] == '!')
		return 1;
	if (strlen(ws.w[0]) >= 2 && !strncasecmp("undo", ws.w[0], strlen(ws.w[0]))) {
		undo = true;
		first = 1;
		if (ws.n == 1) {
			r->err_pos = (int)strlen(line);
			snprintf(r->err, sizeof(r->err), "%s", fail_text(FAIL_INCOMPLETE));
			return -EINVAL;
		}
	}
	best = match_view(&m, view, &ws, first, undo);
	if (best >= 0) {
		fill(r, &m.c[best], undo);
		return check_joined_name(r, &ws, first);
	}
	/* Not a command of this view: try the parent views, as VRP does. */
	for (enum gram_view p = gram_parent(view); p != VIEW_NONE && p != VIEW_USER;
	     p = gram_parent(p)) {
		int b2 = match_view(&m2, p, &ws, first, undo);

		if (b2 >= 0) {
			fill(r, &m2.c[b2], undo);
			return check_joined_name(r, &ws, first);
		}
		if (m2.fail_word > m.fail_word)
			m = m2;
	}
	gram_set_error(r, &m, &ws, line);
	return -EINVAL;
}

const char *gram_enter_line(const struct gram_result *r)
{
	const char *b;

	if (r->id != G_BFD_SESSION || gram_arg(r, "peer-ip") == NULL)
		return NULL;
	/* "bfd NAME bind ...": what follows the name */
	b = r->canon + strlen("bfd ") + strlen(r->args[0].str);
	return *b == ' ' ? b + 1 : NULL;
}

const struct gram_arg *gram_arg(const struct gram_result *r, const char *name)
{
	for (int i = 0; i < r->nargs; i++)
		if (r->args[i].name && !strcmp(r->args[i].name, name))
			return &r->args[i];
	return NULL;
}

void gram_format_error(const char *line, const struct gram_result *r, char *out, size_t len)
{
	int pos = r->err_pos;

	if (pos > 200)
		pos = 200;
	snprintf(out, len, "%s\n%*s^\n%s%s%s", line, pos, "", r->err, r->reason[0] ? " " : "",
		 r->reason);
}
