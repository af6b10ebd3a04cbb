/*
 * dbuser: hands rbpd the users of a service (a DHCP server's leases, a
 * BRAS's sessions ...) from the command line or a file, and shows the
 * users rbpd restores when this device takes over. A thin tool over the
 * client library, rbpclient/rbp_client.h.
 *
 * KEY and PAYLOAD words are their own bytes, or hex bytes after "hex:".
 * watch prints them back the same way (text when every byte is printable
 * ASCII other than a space, else hex), so that its lines, with "add " in
 * front, are lines `load` takes.
 *
 * `load` reports each bad line and each change rbpd refused by its line
 * number, goes on with the other lines, and sends the changes in batches:
 * its speed is rbpd's.
 *
 * With -s MS (add, delete, load) each request is answered only once the
 * peer holds its changes (the synchronous acknowledgment), or after MS
 * with why not; each request not backed up is reported with its lines.
 *
 * Exit codes: 0 everything applied, 1 rbpd refused a change or a line was
 * bad, 2 usage error or rbpd unreachable, 3 (with -s) everything applied
 * but not everything backed up by the peer.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/mac.h"
#include "common/svc.h"
#include "rbpclient/rbp_client.h"

enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1, /* a change refused, a bad line */
	EXIT_USAGE = 2,	  /* also: rbpd unreachable */
	EXIT_UNBACKED = 3 /* -s: applied, but the peer did not confirm it all */
};

#define USERS_SOCK "rbpd-users.ipc"
#define RESTORED_SOCK "rbpd-restored.ipc"

/* add TYPE MAC IFNAME KEY PAYLOAD: the most words a change has. */
#define MAX_WORDS 6

static const char *rundir = RBPC_DEFAULT_RUNDIR;
static int sync_ms; /* -s: the synchronous acknowledgment's bound; 0: off */

/* One change, parsed: pointers into the words it came from. */
struct change {
	bool del;
	int type;
	uint8_t mac[MAC_LEN];
	const char *ifname;
	const uint8_t *key;
	size_t key_len;
	const uint8_t *payload;
	size_t payload_len;
};

/* What the error callback needs to say where a refused change came from. */
struct origin {
	size_t *lines; /* the input line of each change, by seq; NULL: argv */
	size_t n, cap;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dbuser [-r RUNDIR] [-s MS] add TYPE MAC IFNAME KEY [PAYLOAD]\n"
		"       dbuser [-r RUNDIR] [-s MS] delete TYPE MAC IFNAME KEY\n"
		"       dbuser [-r RUNDIR] [-s MS] load [FILE]\n"
		"       dbuser [-r RUNDIR] watch [-n COUNT] [-t SECONDS] [TYPE ...]\n"
		"  -r RUNDIR  the rbpd of RUNDIR (default %s)\n"
		"  -s MS      answer once the peer holds the changes, or after MS (1-60000)\n"
		"             ms with \"not backed up\" and why\n"
		"  TYPE       dhcp-server, dhcpv6-relay, bras, l2tp or ipsec (watch: also all)\n"
		"  MAC        00e0-fc12-3456, 00:e0:fc:12:34:56 or 00-e0-fc-12-34-56\n"
		"  KEY, PAYLOAD  text taken as bytes, or hex:HEXDIGITS\n"
		"load reads lines \"add TYPE MAC IFNAME KEY [PAYLOAD]\" and\n"
		"\"delete TYPE MAC IFNAME KEY\" from FILE or stdin; '#' starts a comment line.\n"
		"watch prints each restored user as \"TYPE MAC IFNAME KEY PAYLOAD\", until\n"
		"COUNT users or SECONDS seconds if given; \" replay\" ends the line of a user\n"
		"rbpd replays at the subscription (one this device is master of).\n"
		"Exit: 0 ok, 1 a change refused or a line bad, 2 usage or rbpd unreachable,\n"
		"3 (-s) applied but not all backed up by the peer.\n",
		RBPC_DEFAULT_RUNDIR);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Text from rbpd or the input, made safe for a terminal: control
 * characters become '?'. Valid until the next call. */
static const char *clean(const char *s, size_t max)
{
	static char buf[512];
	size_t i;

	if (max > sizeof(buf) - 4)
		max = sizeof(buf) - 4;
	for (i = 0; s[i] && i < max; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (s[i])
		memcpy(buf + i, "...", 4);
	else
		buf[i] = '\0';
	return buf;
}

static void unreachable(void)
{
	if (getuid() == 0)
		fprintf(stderr, "dbuser: rbpd at %s does not answer (is it running?)\n", rundir);
	else
		fprintf(stderr,
			"dbuser: rbpd at %s does not answer (is it running? it admits "
			"only root and the dualbackup group)\n",
			rundir);
}

/* A call to rbpd failed: says why. */
static void rbpd_failed(int rc)
{
	if (rc == -ETIMEDOUT)
		unreachable();
	else if (rc == -EPROTO)
		fprintf(stderr, "dbuser: rbpd at %s sent a malformed reply\n", rundir);
	else
		fprintf(stderr, "dbuser: rbpd at %s: %s\n", rundir, strerror(-rc));
}

/* Opens the library on rbpd's socket `sock`; exits 2 when the socket is
 * not there: rbpd does not run, or RUNDIR is wrong. */
static struct rbpc *connect_rbpd(const char *sock)
{
	char path[PATH_MAX], err[256];
	struct rbpc *c;
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", rundir, sock);
	if (stat(path, &st) < 0 || (getuid() != 0 && access(path, R_OK | W_OK) < 0)) {
		if (errno == EACCES)
			fprintf(stderr,
				"dbuser: permission denied on %s: the user API is for "
				"root and the dualbackup group\n",
				path);
		else
			unreachable();
		exit(EXIT_USAGE);
	}
	c = rbpc_open(rundir, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "dbuser: %s\n", err);
		exit(EXIT_USAGE);
	}
	return c;
}

/* ---- Parsing ---- */

/* The bytes of a KEY or PAYLOAD word: "hex:..." is decoded in place (the
 * bytes are never longer than their digits), anything else is its own
 * bytes. Returns 0, or -EINVAL for an odd number of digits or a non-digit. */
static int word_bytes(char *w, const uint8_t **data, size_t *len)
{
	const char *h;
	uint8_t *out;
	size_t n = 0;

	if (strncmp(w, "hex:", 4) != 0) {
		*data = (const uint8_t *)w;
		*len = strlen(w);
		return 0;
	}
	h = w + 4;
	out = (uint8_t *)w;
	while (h[0]) {
		int hi = hex_digit((unsigned char)h[0]);
		int lo = h[1] ? hex_digit((unsigned char)h[1]) : -1;

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[n++] = (uint8_t)(hi << 4 | lo);
		h += 2;
	}
	*data = out;
	*len = n;
	return 0;
}

/* A TYPE word. all_ok: "all" (every type) is accepted as -1. Returns 0
 * with *type set, or -1 with the reason in err. */
static int parse_type(const char *w, bool all_ok, int *type, char *err, size_t errlen)
{
	bool all = w && strcasecmp(w, "all") == 0;
	int t = all ? -1 : svc_parse(w);

	if (t < 0 && !all) {
		snprintf(err, errlen,
			 "unknown type \"%s\" (dhcp-server, dhcpv6-relay, bras, l2tp, ipsec%s)",
			 clean(w, 40), all_ok ? ", all" : "");
		return -1;
	}
	if (t == SVC_ARP || t == SVC_ND) {
		snprintf(err, errlen,
			 "%s users are learned by rbpd from the kernel, not given to it",
			 svc_word(t));
		return -1;
	}
	if (all) {
		if (!all_ok) {
			snprintf(err, errlen, "type all is for watch only: name one type");
			return -1;
		}
		*type = -1;
		return 0;
	}
	*type = (int)t;
	return 0;
}

/*
 * Parses a change from its words, the command first: "add TYPE MAC IFNAME
 * KEY [PAYLOAD]" or "delete TYPE MAC IFNAME KEY". The words are changed in
 * place (hex decoded) and ch points into them. Returns 0, or -1 with the
 * reason in err.
 */
static int parse_change(char **w, int n, struct change *ch, char *err, size_t errlen)
{
	memset(ch, 0, sizeof(*ch));
	if (strcmp(w[0], "add") == 0) {
		if (n < 5 || n > 6) {
			snprintf(err, errlen,
				 "add takes TYPE MAC IFNAME KEY [PAYLOAD], not %d word%s", n - 1,
				 n == 2 ? "" : "s");
			return -1;
		}
	} else if (strcmp(w[0], "delete") == 0) {
		ch->del = true;
		if (n != 5) {
			snprintf(err, errlen, "delete takes TYPE MAC IFNAME KEY, not %d word%s",
				 n - 1, n == 2 ? "" : "s");
			return -1;
		}
	} else {
		snprintf(err, errlen, "unknown command \"%s\" (add or delete)", clean(w[0], 40));
		return -1;
	}
	if (parse_type(w[1], false, &ch->type, err, errlen) < 0)
		return -1;
	if (mac_parse(w[2], ch->mac) < 0) {
		snprintf(err, errlen,
			 "bad MAC \"%s\" (00e0-fc12-3456, 00:e0:fc:12:34:56 or 00-e0-fc-12-34-56)",
			 clean(w[2], 40));
		return -1;
	}
	ch->ifname = w[3];
	if (strlen(w[3]) > RBPC_IFNAME_MAX) {
		snprintf(err, errlen, "interface name \"%s\" is longer than %d characters",
			 clean(w[3], 40), RBPC_IFNAME_MAX);
		return -1;
	}
	if (word_bytes(w[4], &ch->key, &ch->key_len) < 0) {
		snprintf(err, errlen, "key: bad hex \"%s\"", clean(w[4], 40));
		return -1;
	}
	if (ch->key_len < 1 || ch->key_len > RBPC_KEY_MAX) {
		snprintf(err, errlen, "key of %zu bytes: 1 to %d allowed", ch->key_len,
			 RBPC_KEY_MAX);
		return -1;
	}
	if (n == 6) {
		if (word_bytes(w[5], &ch->payload, &ch->payload_len) < 0) {
			snprintf(err, errlen, "payload: bad hex \"%s\"", clean(w[5], 40));
			return -1;
		}
		if (ch->payload_len > RBPC_PAYLOAD_MAX) {
			snprintf(err, errlen, "payload of %zu bytes: at most %d allowed",
				 ch->payload_len, RBPC_PAYLOAD_MAX);
			return -1;
		}
	}
	return 0;
}

static int submit(struct rbpc *c, const struct change *ch)
{
	if (ch->del)
		return rbpc_delete(c, ch->type, ch->mac, ch->ifname, ch->key, ch->key_len);
	return rbpc_add(c, ch->type, ch->mac, ch->ifname, ch->key, ch->key_len, ch->payload,
			ch->payload_len);
}

/* ---- add, delete, load ---- */

static void on_refused(void *arg, uint64_t seq, const char *error)
{
	const struct origin *o = arg;

	if (o->lines && seq < o->n)
		fprintf(stderr, "dbuser: line %zu: rbpd refused the change: %s\n", o->lines[seq],
			clean(error, 400));
	else
		fprintf(stderr, "dbuser: rbpd refused the change: %s\n", clean(error, 400));
}

static void on_unbacked(void *arg, uint64_t first, uint64_t last, const char *why)
{
	const struct origin *o = arg;

	if (o->lines && last < o->n)
		fprintf(stderr, "dbuser: lines %zu-%zu: not backed up: %s\n", o->lines[first],
			o->lines[last], clean(why, 400));
	else
		fprintf(stderr, "dbuser: not backed up: %s\n", clean(why, 400));
}

/* With -s: the synchronous acknowledgment, and a timeout past its bound. */
static void ask_sync(struct rbpc *c, struct origin *o)
{
	if (sync_ms == 0)
		return;
	rbpc_set_sync(c, sync_ms);
	rbpc_set_timeout(c, sync_ms + RBPC_DEFAULT_TIMEOUT_MS);
	rbpc_on_not_backed_up(c, on_unbacked, o);
}

/* Prints "N applied, M refused" (with -s: and how many requests the peer
 * holds); returns the exit status they give. */
static int summary(struct rbpc *c)
{
	uint64_t applied, refused, backed, unbacked;

	rbpc_stats(c, &applied, &refused);
	rbpc_sync_stats(c, &backed, &unbacked);
	printf("%" PRIu64 " applied, %" PRIu64 " refused", applied, refused);
	if (sync_ms)
		printf(", %" PRIu64 " request(s) backed up by the peer, %" PRIu64 " not", backed,
		       unbacked);
	printf("\n");
	return refused ? EXIT_REFUSED : unbacked ? EXIT_UNBACKED : EXIT_OK;
}

static int cmd_change(int argc, char **argv)
{
	struct origin o = {0};
	struct change ch;
	struct rbpc *c;
	char err[256];
	int rc, status;

	if (parse_change(argv, argc, &ch, err, sizeof(err)) < 0) {
		fprintf(stderr, "dbuser: %s\n", err);
		return EXIT_USAGE;
	}
	c = connect_rbpd(USERS_SOCK);
	rbpc_on_error(c, on_refused, &o);
	ask_sync(c, &o);
	rc = submit(c, &ch);
	if (rc == 0)
		rc = rbpc_flush(c);
	if (rc < 0)
		rbpd_failed(rc);
	status = summary(c);
	rbpc_close(c);
	return rc < 0 ? EXIT_USAGE : status;
}

/* Splits a line into at most MAX_WORDS + 1 words (one more than a change
 * has, to tell "too many"), in place. Returns the number of words. */
static int split(char *line, char **w)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0' || n == MAX_WORDS + 1)
			return n;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

static int remember_line(struct origin *o, size_t lineno)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 4096;
		size_t *p = realloc(o->lines, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		o->lines = p;
		o->cap = cap;
	}
	o->lines[o->n++] = lineno;
	return 0;
}

static int cmd_load(const char *file)
{
	char *w[MAX_WORDS + 1], *line = NULL, err[256];
	struct origin o = {0};
	size_t cap = 0, lineno = 0;
	bool bad = false;
	struct rbpc *c;
	FILE *in = stdin;
	int rc = 0, status;

	if (file && strcmp(file, "-") != 0) {
		in = fopen(file, "r");
		if (in == NULL) {
			fprintf(stderr, "dbuser: %s: %s\n", file, strerror(errno));
			return EXIT_USAGE;
		}
	}
	c = connect_rbpd(USERS_SOCK);
	rbpc_on_error(c, on_refused, &o);
	ask_sync(c, &o);
	while (getline(&line, &cap, in) >= 0) {
		struct change ch;
		int n;

		lineno++;
		n = split(line, w);
		if (n == 0 || w[0][0] == '#')
			continue;
		if (n > MAX_WORDS) {
			fprintf(stderr,
				"dbuser: line %zu: too many words (spaces in a key or payload "
				"need hex:)\n",
				lineno);
			bad = true;
			continue;
		}
		if (parse_change(w, n, &ch, err, sizeof(err)) < 0) {
			fprintf(stderr, "dbuser: line %zu: %s\n", lineno, err);
			bad = true;
			continue;
		}
		/* Before the change takes its seq: a refusal may be reported
		 * from inside the call that queues the next one. */
		rc = remember_line(&o, lineno);
		if (rc == 0)
			rc = submit(c, &ch);
		if (rc == -EINVAL) {
			fprintf(stderr, "dbuser: line %zu: refused by the client library\n",
				lineno);
			o.n--;
			bad = true;
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(in)) {
		fprintf(stderr, "dbuser: %s: %s\n", file ? file : "stdin", strerror(errno));
		bad = true;
	}
	if (rc == 0)
		rc = rbpc_flush(c);
	if (rc < 0)
		rbpd_failed(rc);
	status = summary(c);
	rbpc_close(c);
	free(line);
	free(o.lines);
	if (in != stdin)
		fclose(in);
	if (rc < 0)
		return EXIT_USAGE;
	return bad ? EXIT_REFUSED : status;
}

/* ---- watch ---- */

struct watch {
	unsigned long max; /* 0: no limit */
	unsigned long n;
};

/* A KEY or PAYLOAD as `load` reads it back. */
static void put_bytes(const uint8_t *b, size_t len)
{
	bool text = len > 0 && !(len >= 4 && memcmp(b, "hex:", 4) == 0);
	size_t i;

	for (i = 0; text && i < len; i++)
		text = b[i] > 0x20 && b[i] < 0x7f;
	if (text) {
		fwrite(b, 1, len, stdout);
		return;
	}
	fputs("hex:", stdout);
	for (i = 0; i < len; i++)
		printf("%02x", b[i]);
}

/* An interface name as `load` reads it back: one word, no hex. Real names
 * have neither spaces nor control characters; anything else shows as '?'. */
static void put_ifname(const char *s)
{
	if (*s == '\0')
		putchar('?');
	for (; *s; s++)
		putchar((unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f ? *s : '?');
}

static void print_user(void *arg, const struct rbpc_user *u)
{
	struct watch *w = arg;
	char mac[MAC_STRLEN];

	if (w->max && w->n >= w->max)
		return;
	w->n++;
	printf("%s %s ", svc_word(u->type), mac_format(u->mac, mac));
	put_ifname(u->ifname);
	putchar(' ');
	put_bytes(u->key, u->key_len);
	putchar(' ');
	put_bytes(u->payload, u->payload_len);
	if (u->replay)
		fputs(" replay", stdout);
	putchar('\n');
	fflush(stdout);
}

static int cmd_watch(int argc, char **argv)
{
	struct watch w = {0};
	double seconds = 0;
	int64_t end = -1;
	struct rbpc *c;
	char err[256], *e;
	int opt, i, rc;

	optind = 0; /* glibc: start over, at argv[1] */
	opterr = 0;
	while ((opt = getopt(argc, argv, "+n:t:")) != -1) {
		switch (opt) {
		case 'n':
			errno = 0;
			w.max = strtoul(optarg, &e, 10);
			if (errno || *e || w.max == 0 || optarg[0] == '-') {
				fprintf(stderr,
					"dbuser: watch -n: \"%s\" is not a count of users\n",
					clean(optarg, 40));
				return EXIT_USAGE;
			}
			break;
		case 't':
			errno = 0;
			seconds = strtod(optarg, &e);
			if (errno || *e || e == optarg || !(seconds > 0) || seconds > 1e9) {
				fprintf(stderr,
					"dbuser: watch -t: \"%s\" is not a number of seconds\n",
					clean(optarg, 40));
				return EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "dbuser: watch: unknown option -%c\n", optopt);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	for (i = optind; i < argc; i++) {
		int type;

		if (parse_type(argv[i], true, &type, err, sizeof(err)) < 0) {
			fprintf(stderr, "dbuser: %s\n", err);
			return EXIT_USAGE;
		}
	}
	c = connect_rbpd(RESTORED_SOCK);
	for (i = optind; i < argc || i == optind; i++) {
		int type = -1;

		if (i < argc)
			parse_type(argv[i], true, &type, err, sizeof(err));
		rc = rbpc_subscribe(c, type);
		if (rc < 0) {
			fprintf(stderr, "dbuser: subscribe: %s\n", strerror(-rc));
			rbpc_close(c);
			return EXIT_USAGE;
		}
	}
	if (seconds > 0)
		end = now_ms() + (int64_t)(seconds * 1000);
	while (w.max == 0 || w.n < w.max) {
		int timeout = -1;

		if (end >= 0) {
			int64_t left = end - now_ms();

			if (left <= 0)
				break;
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		rc = rbpc_recv_restored(c, timeout, print_user, &w);
		if (rc < 0 && rc != -EINTR) {
			fprintf(stderr, "dbuser: rbpd at %s: %s\n", rundir, strerror(-rc));
			rbpc_close(c);
			return EXIT_USAGE;
		}
	}
	rbpc_close(c);
	/* Asked for COUNT users within SECONDS and did not get them. */
	if (w.max && w.n < w.max) {
		fprintf(stderr, "dbuser: %lu of %lu users restored in %g s\n", w.n, w.max, seconds);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int opt;

	while ((opt = getopt(argc, argv, "+r:s:h")) != -1) {
		switch (opt) {
		case 'r':
			rundir = optarg;
			break;
		case 's': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 60000) {
				fprintf(stderr, "dbuser: -s takes milliseconds, 1 to 60000\n");
				return EXIT_USAGE;
			}
			sync_ms = (int)v;
			break;
		}
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "add") == 0 || strcmp(cmd, "delete") == 0)
		return cmd_change(argc - optind, argv + optind);
	if (strcmp(cmd, "load") == 0) {
		if (argc - optind > 2) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return cmd_load(argv[optind + 1]);
	}
	if (strcmp(cmd, "watch") == 0)
		return cmd_watch(argc - optind, argv + optind);
	fprintf(stderr, "dbuser: unknown command \"%s\"\n", clean(cmd, 40));
	usage(stderr);
	return EXIT_USAGE;
}
