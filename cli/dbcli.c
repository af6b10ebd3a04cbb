/*
 * dbcli: the operator's command line.
 *
 * A thin client with no grammar of its own: every line goes to cfgd, which
 * owns the views, the prompt, '?' help and Tab completion, and answers with
 * the text to print. A `display` that a daemon answers comes back as a
 * forward; dbcli then asks that daemon's control socket itself, so cfgd
 * never relays bulky state and stays responsive.
 *
 * Blocking by design: one request in flight, zmq_poll with a deadline.
 * Every reply carries the id of its request; anything else (a late answer
 * to a request we gave up on) is stale and dropped.
 *
 * Exit codes: 0 ok, 1 a command refused, 2 usage error, 3 cfgd unreachable.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <histedit.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/bus.h"
#include "common/reqclient.h"

#define DEFAULT_RUNDIR "/run/dualbackup"

/* A commit waits for every daemon's vote, so EXEC gets a long deadline;
 * everything else is answered by cfgd (or a daemon) alone. */
#define EXEC_TIMEOUT_MS 30000
#define SHORT_TIMEOUT_MS 3000
/* CLI_CLOSE is a courtesy: wait just long enough for it to leave. */
#define CLOSE_TIMEOUT_MS 200

#define HISTORY_SIZE 500

enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

enum run_result {
	RUN_OK,
	RUN_REFUSED,
	RUN_CLOSED,	 /* the session ended (quit in the user view) */
	RUN_INTERRUPTED, /* Ctrl-C while waiting; the outcome is unknown */
};

/* The fields of a CliReply we use, copied so that the protobuf is freed
 * where it was unpacked. */
struct reply {
	bool ok;
	bool close;
	char *output;
	char *prompt;
	char **completions;
	size_t ncompletions;
	Db__Role forward_to;
	Db__Query *query; /* what to ask forward_to, a copy of the reply's */
};

/* Daemon control sockets, indexed by role; ROLE_CLI is the largest. */
#define NROLES (DB__ROLE__ROLE_CLI + 1)

struct cli {
	const char *rundir;
	char user[256];
	void *zctx;
	void *cfgd;
	void *daemon[NROLES];
	uint64_t seq;
	char *prompt;
	bool interactive;
	bool quiet;
	bool json; /* --json: every display answers in JSON */

	EditLine *el;
	History *hist;
	/* The line and cursor after an ambiguous Tab: a second Tab on the
	 * unchanged line lists the choices. */
	char *tab_line;
	size_t tab_cursor;
};

/* Self-pipe: SIGINT while waiting for an answer (interactive only) wakes
 * zmq_poll, which polls the read end. */
static int sig_pipe[2] = {-1, -1};

/* For oom(), which can strike anywhere and must still restore the tty. */
static struct cli *the_cli;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dbcli [-r RUNDIR] [-f FILE] [-c CMD]... [-q] [-j] [-h]\n"
		"  -r RUNDIR  talk to the cfgd at RUNDIR/cfgd-cli.ipc (default %s)\n"
		"  -f FILE    run the commands in FILE ('-': stdin)\n"
		"  -c CMD     run CMD; repeatable, run in order\n"
		"  -q         batch: do not echo the prompt and command\n"
		"  -j, --json every display answers in JSON (docs/json.md); implies -q\n"
		"  -h         this help\n"
		"Interactive on a terminal without -f or -c; otherwise batch, which\n"
		"stops at the first refused command.\n"
		"Exit: 0 ok, 1 a command refused, 2 usage, 3 cfgd unreachable.\n",
		DEFAULT_RUNDIR);
}

static void cli_destroy(struct cli *c)
{
	size_t i;

	if (c->el)
		el_end(c->el); /* restores the terminal */
	if (c->hist)
		history_end(c->hist);
	c->el = NULL;
	c->hist = NULL;
	for (i = 0; i < NROLES; i++) {
		if (c->daemon[i])
			zmq_close(c->daemon[i]);
		c->daemon[i] = NULL;
	}
	if (c->cfgd)
		zmq_close(c->cfgd);
	c->cfgd = NULL;
	if (c->zctx)
		zmq_ctx_term(c->zctx);
	c->zctx = NULL;
	free(c->prompt);
	free(c->tab_line);
	c->prompt = NULL;
	c->tab_line = NULL;
}

static void __attribute__((noreturn)) die(struct cli *c, int code)
{
	fflush(stdout);
	cli_destroy(c);
	exit(code);
}

static void __attribute__((noreturn)) oom(void)
{
	fflush(stdout);
	fputs("dbcli: out of memory\n", stderr);
	if (the_cli)
		cli_destroy(the_cli);
	exit(EXIT_REFUSED);
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (p == NULL)
		oom();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		oom();
	return p;
}

static void on_sigint(int sig)
{
	int saved = errno;
	ssize_t n;

	(void)sig;
	n = write(sig_pipe[1], "", 1);
	(void)n; /* a full pipe already says "interrupted" */
	errno = saved;
}

static void drain_sig_pipe(void)
{
	char buf[64];

	if (sig_pipe[0] < 0)
		return;
	while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/* cfgd's process as its pid file in the run directory names it, as a
 * pidfd (readable once it ends); -1 when there is none to watch. */
static int cfgd_pidfd(const struct cli *c, long *pid)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;
	int fd;

	*pid = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/cfgd.pid", c->rundir) >= sizeof(path))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*pid = strtol(buf, NULL, 10);
	if (*pid <= 0)
		return -1;
	return (int)syscall(SYS_pidfd_open, (pid_t)*pid, 0);
}

/* Send `payload` as a request of `type` on `z` and wait for the answer of
 * `rtype` from `from`. Returns what req_call() returns; Ctrl-C while
 * waiting gives -EINTR; with pid (z is cfgd's socket), the end of cfgd's
 * process gives -ESRCH (*pid says which). */
static int call(struct cli *c, void *z, Db__MsgType type, const ProtobufCMessage *payload,
		Db__MsgType rtype, Db__Role from, int timeout_ms, uint8_t **out, size_t *outlen,
		long *pid)
{
	struct req_intr in = {sig_pipe[0], -1};
	int rc;

	drain_sig_pipe(); /* a Ctrl-C from before this request is not for it */
	if (pid)
		in.end_fd = cfgd_pidfd(c, pid);
	rc = req_call(z, type, DB__ROLE__ROLE_CLI, ++c->seq, payload, rtype, from,
		      req_now_ms() + timeout_ms, &in, out, outlen);
	if (in.end_fd >= 0)
		close(in.end_fd);
	if (rc == -EINTR)
		drain_sig_pipe();
	return rc;
}

static void reply_free(struct reply *r)
{
	size_t i;

	free(r->output);
	free(r->prompt);
	if (r->query)
		db__query__free_unpacked(r->query, NULL);
	for (i = 0; i < r->ncompletions; i++)
		free(r->completions[i]);
	free(r->completions);
	memset(r, 0, sizeof(*r));
}

/*
 * One request to cfgd. Returns 0 and fills *r (free with reply_free()),
 * -EINTR when the user gave up waiting, or: does not return, because a
 * cfgd that does not answer ends dbcli (exit 3).
 */
/* Why there was no answer, as far as we can tell: cfgd admits only root,
 * its own user and the dualbackup group, and the socket file and run
 * directory say so to everyone else first. */
static void not_answering(struct cli *c)
{
	char path[PATH_MAX + 16];
	bool privileged = getuid() == 0;

	snprintf(path, sizeof(path), "%s/cfgd-cli.ipc", c->rundir);
	if (!privileged && access(path, R_OK | W_OK) < 0 && errno == EACCES)
		fprintf(stderr, "Error: permission denied on %s: dbcli is for root and the "
				"dualbackup group.\n", path);
	else if (!privileged)
		fprintf(stderr, "Error: cfgd is not answering at %s (it admits only root and "
				"the dualbackup group).\n", c->rundir);
	else
		fprintf(stderr, "Error: cfgd is not answering at %s.\n", c->rundir);
}

static int cfgd_call(struct cli *c, Db__CliOp op, const char *line, int timeout_ms, struct reply *r)
{
	Db__CliRequest req = DB__CLI_REQUEST__INIT;
	Db__CliReply *rep;
	uint8_t *pl;
	size_t plen, i;
	long pid = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	req.op = op;
	req.line = (char *)(line ? line : "");
	req.json = c->json;
	if (op == DB__CLI_OP__CLI_OPEN)
		req.user = c->user;
	rc = call(c, c->cfgd, DB__MSG_TYPE__MSG_CLI_REQUEST, &req.base, DB__MSG_TYPE__MSG_CLI_REPLY,
		  DB__ROLE__ROLE_CFGD, timeout_ms, &pl, &plen, &pid);
	if (rc == -EINTR)
		return rc;
	if (rc < 0)
		goto unreachable;
	rep = db__cli_reply__unpack(NULL, plen, pl);
	free(pl);
	if (rep == NULL) {
		rc = -EBADMSG;
		goto unreachable;
	}
	r->ok = rep->ok;
	r->close = rep->close;
	r->output = xstrdup(rep->output);
	r->prompt = xstrdup(rep->prompt);
	r->forward_to = rep->forward_to;
	if (rep->query && (r->query = (Db__Query *)bus_msg_copy(&rep->query->base)) == NULL)
		oom();
	if (rep->n_completions) {
		r->completions = calloc(rep->n_completions, sizeof(char *));
		if (r->completions == NULL)
			oom();
		for (i = 0; i < rep->n_completions; i++)
			r->completions[i] = xstrdup(rep->completions[i]);
		r->ncompletions = rep->n_completions;
	}
	db__cli_reply__free_unpacked(rep, NULL);
	return 0;

unreachable:
	fflush(stdout);
	if (c->interactive)
		fputc('\n', stderr); /* off the prompt line */
	if (rc == -EBADMSG)
		fprintf(stderr, "Error: cfgd at %s sent a malformed reply.\n", c->rundir);
	else if (rc == -ESRCH && op == DB__CLI_OP__CLI_EXEC)
		/* not 30 s more of waiting for an answer that cannot come */
		fprintf(stderr,
			"Error: cfgd (pid %ld) at %s ended before it answered. A commit it was "
			"making is whole or not at all: once cfgd is back, display configuration "
			"commit list says which.\n",
			pid, c->rundir);
	else if (rc == -ESRCH)
		fprintf(stderr, "Error: cfgd (pid %ld) at %s is not running.\n", pid, c->rundir);
	else
		not_answering(c);
	die(c, EXIT_UNREACHABLE);
}

/* Print command output: nothing when empty, always ending in a newline. */
static void print_text(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0)
		return;
	fputs(s, stdout);
	if (s[n - 1] != '\n')
		fputc('\n', stdout);
}

static void set_prompt(struct cli *c, const char *p)
{
	if (p == NULL || *p == '\0')
		return; /* keep the one we have */
	free(c->prompt);
	c->prompt = xstrdup(p);
}

static void *open_dealer(struct cli *c, const char *name)
{
	char ep[PATH_MAX + 16];
	int zero = 0;
	void *z;

	if ((size_t)snprintf(ep, sizeof(ep), "ipc://%s/%s.ipc", c->rundir, name) >= sizeof(ep)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	z = zmq_socket(c->zctx, ZMQ_DEALER);
	if (z == NULL)
		return NULL;
	/* Never hang at exit on a request nobody took. */
	zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(z, ep) < 0) {
		int saved = errno;

		zmq_close(z);
		errno = saved;
		return NULL;
	}
	return z;
}

/*
 * A display answered by a daemon: ask its control socket. Returns RUN_OK,
 * RUN_REFUSED (the daemon said no, or did not answer) or RUN_INTERRUPTED.
 */
static enum run_result query_daemon(struct cli *c, Db__Role role, Db__Query *q)
{
	Db__QueryReply *qr;
	enum run_result res;
	const char *name;
	uint8_t *pl;
	size_t plen;
	int rc;

	if (role != DB__ROLE__ROLE_VRRPD && role != DB__ROLE__ROLE_RBSD &&
	    role != DB__ROLE__ROLE_RBPD) {
		printf("Error: cannot forward a query to role %d.\n", (int)role);
		return RUN_REFUSED;
	}
	name = bus_role_name(role);
	if (c->daemon[role] == NULL) {
		c->daemon[role] = open_dealer(c, name);
		if (c->daemon[role] == NULL) {
			printf("Error: cannot connect to %s: %s.\n", name, zmq_strerror(errno));
			return RUN_REFUSED;
		}
	}
	if (q == NULL) {
		printf("Error: cfgd forwarded a display without its query.\n");
		return RUN_REFUSED;
	}
	rc = call(c, c->daemon[role], DB__MSG_TYPE__MSG_QUERY, &q->base,
		  DB__MSG_TYPE__MSG_QUERY_REPLY, role, SHORT_TIMEOUT_MS, &pl, &plen, NULL);
	if (rc < 0) {
		/* Drop the socket and the query queued in it: a daemon that
		 * starts later must not answer a question nobody waits for. */
		zmq_close(c->daemon[role]);
		c->daemon[role] = NULL;
		if (rc == -EINTR)
			return RUN_INTERRUPTED;
		printf("Error: %s is not responding.\n", name);
		return RUN_REFUSED;
	}
	qr = db__query_reply__unpack(NULL, plen, pl);
	free(pl);
	if (qr == NULL) {
		printf("Error: %s sent a malformed reply.\n", name);
		return RUN_REFUSED;
	}
	print_text(qr->text);
	res = qr->ok ? RUN_OK : RUN_REFUSED;
	db__query_reply__free_unpacked(qr, NULL);
	return res;
}

/* Run one command line and print what it produced. */
static enum run_result run_line(struct cli *c, const char *line)
{
	enum run_result res;
	struct reply r;

	if (cfgd_call(c, DB__CLI_OP__CLI_EXEC, line, EXEC_TIMEOUT_MS, &r) == -EINTR) {
		/* cfgd goes on with it; its late reply will be stale. */
		printf("\nInfo: interrupted; the command may still take effect.\n");
		fflush(stdout);
		return RUN_INTERRUPTED;
	}
	set_prompt(c, r.prompt);
	print_text(r.output);
	if (r.close)
		res = RUN_CLOSED;
	else if (r.forward_to != DB__ROLE__ROLE_NONE)
		/* The daemon's answer decides, not cfgd's "ok": cfgd only
		 * knows the command is a valid display. */
		res = query_daemon(c, r.forward_to, r.query);
	else
		res = r.ok ? RUN_OK : RUN_REFUSED;
	reply_free(&r);
	if (res == RUN_INTERRUPTED)
		printf("\nInfo: interrupted.\n");
	fflush(stdout);
	return res;
}

/* End the session; cfgd's answer is not needed, only that it was sent. */
static void close_session(struct cli *c)
{
	Db__CliRequest req = DB__CLI_REQUEST__INIT;
	uint8_t *pl = NULL;
	size_t plen;

	req.op = DB__CLI_OP__CLI_CLOSE;
	req.line = "";
	if (call(c, c->cfgd, DB__MSG_TYPE__MSG_CLI_REQUEST, &req.base, DB__MSG_TYPE__MSG_CLI_REPLY,
		 DB__ROLE__ROLE_CFGD, CLOSE_TIMEOUT_MS, &pl, &plen, NULL) == 0)
		free(pl);
}

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* Batch from a stream: a transcript unless -q, stop at the first refusal. */
static int run_stream(struct cli *c, FILE *in)
{
	unsigned long lineno = 0;
	size_t cap = 0;
	char *line = NULL;
	int code = EXIT_OK;

	while (getline(&line, &cap, in) >= 0) {
		enum run_result res;

		lineno++;
		chomp(line);
		if (is_blank(line))
			continue;
		if (!c->quiet)
			printf("%s%s\n", c->prompt, line);
		res = run_line(c, line);
		if (res == RUN_CLOSED) {
			free(line);
			return EXIT_OK;
		}
		if (res != RUN_OK) {
			fflush(stdout);
			fprintf(stderr, "dbcli: line %lu: command refused: %s\n", lineno, line);
			code = EXIT_REFUSED;
			break;
		}
	}
	if (code == EXIT_OK && ferror(in)) {
		fflush(stdout);
		fprintf(stderr, "dbcli: read error after line %lu: %s\n", lineno, strerror(errno));
		code = EXIT_REFUSED;
	}
	free(line);
	close_session(c);
	return code;
}

/* Batch from -c: output only, stop at the first refusal. */
static int run_commands(struct cli *c, char **cmds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		enum run_result res;

		if (is_blank(cmds[i]))
			continue;
		res = run_line(c, cmds[i]);
		if (res == RUN_CLOSED)
			return EXIT_OK;
		if (res != RUN_OK) {
			fflush(stdout);
			fprintf(stderr, "dbcli: -c #%d: command refused: %s\n", i + 1, cmds[i]);
			close_session(c);
			return EXIT_REFUSED;
		}
	}
	close_session(c);
	return EXIT_OK;
}

/* ---- interactive ---- */

static struct cli *cli_of(EditLine *el)
{
	void *p = NULL;

	el_get(el, EL_CLIENTDATA, &p);
	return p;
}

static char *prompt_fn(EditLine *el)
{
	return cli_of(el)->prompt;
}

/* Move the terminal's cursor to the end of the shown line by writing what
 * follows the editing cursor again, so that output starts below it. */
static void finish_shown_line(const LineInfo *li)
{
	fwrite(li->cursor, 1, (size_t)(li->lastchar - li->cursor), stdout);
}

/* '?': what may follow the text before the cursor. The '?' itself is not
 * inserted; the line comes back unchanged under the help. */
static unsigned char fn_help(EditLine *el, int ch)
{
	struct cli *c = cli_of(el);
	const LineInfo *li = el_line(el);
	struct reply r;
	char *line;

	(void)ch;
	line = xstrndup(li->buffer, (size_t)(li->cursor - li->buffer));
	finish_shown_line(li);
	fputc('\n', stdout);
	fflush(stdout);
	if (cfgd_call(c, DB__CLI_OP__CLI_HELP, line, SHORT_TIMEOUT_MS, &r) == 0) {
		print_text(r.output);
		reply_free(&r);
	}
	free(line);
	fflush(stdout);
	return CC_REDISPLAY;
}

static int term_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* The choices of a second Tab, in columns, sorted down then across. */
static void print_columns(char **w, size_t n)
{
	size_t width = 0, per, rows, r, k, i;

	for (i = 0; i < n; i++)
		if (strlen(w[i]) > width)
			width = strlen(w[i]);
	width += 2;
	per = (size_t)term_width() / width;
	if (per == 0)
		per = 1;
	rows = (n + per - 1) / per;
	for (r = 0; r < rows; r++) {
		for (k = 0; k < per; k++) {
			i = k * rows + r;
			if (i >= n)
				break;
			if (k + 1 < per && i + rows < n)
				printf("%-*s", (int)width, w[i]);
			else
				fputs(w[i], stdout);
		}
		fputc('\n', stdout);
	}
}

static size_t common_prefix(char **w, size_t n)
{
	size_t len = strlen(w[0]), i, j;

	for (i = 1; i < n; i++) {
		for (j = 0; j < len && w[i][j] == w[0][j]; j++)
			;
		len = j;
	}
	return len;
}

/* Replace the `plen` bytes before the cursor with `word`. */
static void replace_word(EditLine *el, size_t plen, const char *word, size_t wlen)
{
	char *w = xstrndup(word, wlen);

	el_deletestr(el, (int)plen);
	el_insertstr(el, w);
	free(w);
}

static void tab_forget(struct cli *c)
{
	free(c->tab_line);
	c->tab_line = NULL;
}

static void tab_remember(struct cli *c, const LineInfo *li)
{
	tab_forget(c);
	c->tab_line = xstrndup(li->buffer, (size_t)(li->lastchar - li->buffer));
	c->tab_cursor = (size_t)(li->cursor - li->buffer);
}

/* Is this Tab pressed on the very line the previous ambiguous one left? */
static bool tab_again(const struct cli *c, const LineInfo *li)
{
	size_t len = (size_t)(li->lastchar - li->buffer);

	return c->tab_line && strlen(c->tab_line) == len &&
	       memcmp(c->tab_line, li->buffer, len) == 0 &&
	       c->tab_cursor == (size_t)(li->cursor - li->buffer);
}

/* Tab: complete the word before the cursor with cfgd's choices. */
static unsigned char fn_complete(EditLine *el, int ch)
{
	struct cli *c = cli_of(el);
	const LineInfo *li = el_line(el);
	unsigned char ret = CC_ERROR;
	const char *word;
	struct reply r;
	size_t plen, l;
	char *line;

	(void)ch;
	line = xstrndup(li->buffer, (size_t)(li->cursor - li->buffer));
	for (word = line + strlen(line); word > line && !isspace((unsigned char)word[-1]); word--)
		;
	plen = strlen(word);
	if (cfgd_call(c, DB__CLI_OP__CLI_COMPLETE, line, SHORT_TIMEOUT_MS, &r) < 0) {
		free(line);
		return CC_ERROR;
	}
	if (r.ncompletions == 1) {
		replace_word(el, plen, r.completions[0], strlen(r.completions[0]));
		li = el_line(el);
		if (li->cursor == li->lastchar || !isspace((unsigned char)*li->cursor))
			el_insertstr(el, " ");
		tab_forget(c);
		ret = CC_REFRESH;
	} else if (r.ncompletions > 1) {
		l = common_prefix(r.completions, r.ncompletions);
		if (l > plen || (l == plen && strncmp(word, r.completions[0], plen) != 0)) {
			replace_word(el, plen, r.completions[0], l);
			ret = CC_REFRESH;
		} else if (tab_again(c, li)) {
			finish_shown_line(li);
			fputc('\n', stdout);
			print_columns(r.completions, r.ncompletions);
			fflush(stdout);
			ret = CC_REDISPLAY;
		} else {
			ret = CC_ERROR; /* beep; the next Tab lists */
		}
		tab_remember(c, el_line(el));
	} else {
		tab_forget(c);
	}
	reply_free(&r);
	free(line);
	return ret;
}

/* Ctrl-C: abandon the line, show it was abandoned, start afresh. */
static unsigned char fn_cancel(EditLine *el, int ch)
{
	const LineInfo *li = el_line(el);

	(void)ch;
	finish_shown_line(li);
	fputs("^C\n", stdout);
	fflush(stdout);
	/* Not CC_NEWLINE: el_gets() would read an empty line as EOF. */
	el_cursor(el, (int)(li->lastchar - li->cursor));
	li = el_line(el);
	el_deletestr(el, (int)(li->cursor - li->buffer));
	tab_forget(cli_of(el));
	return CC_REDISPLAY;
}

static int setup_editline(struct cli *c)
{
	HistEvent ev;

	c->hist = history_init();
	if (c->hist == NULL)
		return -ENOMEM;
	history(c->hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(c->hist, &ev, H_SETUNIQUE, 1);
	c->el = el_init("dbcli", stdin, stdout, stderr);
	if (c->el == NULL)
		return -ENOMEM;
	el_set(c->el, EL_CLIENTDATA, c);
	el_set(c->el, EL_EDITOR, "emacs");
	el_set(c->el, EL_SIGNAL, 1);
	el_set(c->el, EL_PROMPT, prompt_fn);
	el_set(c->el, EL_HIST, history, c->hist);
	el_source(c->el, NULL); /* ~/.editrc; our keys below win */
	/* The wide call: the narrow EL_ADDFN copies both strings and never
	 * frees them (a known libedit leak); these are static. */
	el_wset(c->el, EL_ADDFN, L"db-help", L"VRP help for the line so far", fn_help);
	el_wset(c->el, EL_ADDFN, L"db-complete", L"Complete the word before the cursor",
		fn_complete);
	el_wset(c->el, EL_ADDFN, L"db-cancel", L"Abandon the line", fn_cancel);
	el_set(c->el, EL_BIND, "?", "db-help", NULL);
	el_set(c->el, EL_BIND, "^I", "db-complete", NULL);
	/* Ctrl-C is a key while editing (so it clears the line) and a
	 * signal while waiting for cfgd (so it stops the wait). */
	el_set(c->el, EL_SETTY, "-d", "-isig", NULL);
	el_set(c->el, EL_BIND, "^C", "db-cancel", NULL);
	/* A Ctrl-D typed while we waited reaches the line as NUL, bound to
	 * quoted-insert: the next key would be inserted as is. */
	el_set(c->el, EL_BIND, "^@", "ed-ignore", NULL);
	return 0;
}

static int run_interactive(struct cli *c)
{
	struct sigaction sa;

	/* SIGINT reaches us only outside el_gets(): wake any wait. */
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigint;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
	}
	if (setup_editline(c) < 0) {
		fprintf(stderr, "dbcli: cannot set up line editing\n");
		close_session(c);
		return EXIT_USAGE;
	}
	for (;;) {
		enum run_result res;
		const char *got;
		HistEvent ev;
		char *line;
		int n;

		got = el_gets(c->el, &n);
		if (got == NULL || n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break; /* Ctrl-D */
		}
		line = xstrdup(got);
		chomp(line);
		if (is_blank(line)) {
			free(line);
			continue;
		}
		history(c->hist, &ev, H_ENTER, line);
		tab_forget(c);
		res = run_line(c, line);
		free(line);
		if (res == RUN_CLOSED)
			return EXIT_OK;
	}
	fputc('\n', stdout);
	fflush(stdout);
	close_session(c);
	return EXIT_OK;
}

/* Informational only: cfgd names the session's user from the kernel's
 * credentials of this process, never from what we say (or $USER). */
static void find_user(struct cli *c)
{
	struct passwd *pw = getpwuid(getuid());

	snprintf(c->user, sizeof(c->user), "%s",
		 pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "unknown");
}

int main(int argc, char **argv)
{
	struct cli cli = {.rundir = DEFAULT_RUNDIR};
	struct cli *c = &cli;
	const char *file = NULL;
	char **cmds;
	FILE *in = NULL;
	struct reply r;
	int ncmds = 0, opt, code;

	cmds = calloc((size_t)argc + 1, sizeof(char *));
	if (cmds == NULL)
		oom();
	static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};

	while ((opt = getopt_long(argc, argv, "r:f:c:qjh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			c->rundir = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'c':
			cmds[ncmds++] = optarg;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'j':
			c->json = true;
			c->quiet = true; /* the output is one JSON document per display */
			break;
		case 'h':
			usage(stdout);
			free(cmds);
			return EXIT_OK;
		default:
			usage(stderr);
			free(cmds);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || (file && ncmds > 0) || *c->rundir == '\0') {
		if (optind < argc)
			fprintf(stderr, "dbcli: unexpected argument '%s'\n", argv[optind]);
		else if (file && ncmds > 0)
			fprintf(stderr, "dbcli: -f and -c cannot be combined\n");
		else
			fprintf(stderr, "dbcli: empty RUNDIR\n");
		usage(stderr);
		free(cmds);
		return EXIT_USAGE;
	}
	/* A file that cannot be read is the operator's mistake, found before
	 * we bother cfgd. */
	if (file && strcmp(file, "-") != 0) {
		in = fopen(file, "r");
		if (in == NULL) {
			fprintf(stderr, "dbcli: %s: %s\n", file, strerror(errno));
			free(cmds);
			return EXIT_USAGE;
		}
	} else if (ncmds == 0) {
		in = stdin;
	}
	c->interactive = !file && ncmds == 0 && isatty(STDIN_FILENO);
	find_user(c);
	c->prompt = xstrdup("");
	the_cli = c;

	c->zctx = zmq_ctx_new();
	if (c->zctx == NULL)
		goto unreachable;
	/* A missing socket file does not fail the connect: zmq retries in
	 * the background and the OPEN deadline decides. */
	c->cfgd = open_dealer(c, "cfgd-cli");
	if (c->cfgd == NULL)
		goto unreachable;

	cfgd_call(c, DB__CLI_OP__CLI_OPEN, "", SHORT_TIMEOUT_MS, &r);
	set_prompt(c, r.prompt);
	if (*c->prompt == '\0')
		set_prompt(c, ">");
	/* OPEN's "ok" is not checked: a cfgd that refuses a session ends it
	 * with close, and says why. */
	if (r.close) {
		print_text(r.output);
		reply_free(&r);
		if (in && in != stdin)
			fclose(in);
		free(cmds);
		die(c, EXIT_REFUSED);
	}
	/* A greeting is for people; scripts get only what they asked for. */
	if (c->interactive)
		print_text(r.output);
	reply_free(&r);

	if (c->interactive)
		code = run_interactive(c);
	else if (ncmds > 0)
		code = run_commands(c, cmds, ncmds);
	else
		code = run_stream(c, in);
	if (in && in != stdin)
		fclose(in);
	free(cmds);
	die(c, code);

unreachable:
	not_answering(c);
	if (in && in != stdin)
		fclose(in);
	free(cmds);
	die(c, EXIT_UNREACHABLE);
}
