/*
 * The CLI grammar: every command of every view, in the style of Huawei
 * VRP. A pure module: a line and a view in, a parsed command (or an error
 * pointing at the offending word) out. No I/O, no configuration state.
 *
 * Keywords may be abbreviated to any unambiguous prefix ("sys", "int").
 * A command that is not found in the current view is looked up in the
 * parent (system) view, as VRP does, so "interface eth2" works inside
 * "interface eth1" and a saved configuration can be replayed as it is.
 */
#ifndef DB_GRAMMAR_H
#define DB_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>

enum gram_view {
	VIEW_USER,
	VIEW_SYSTEM,
	VIEW_INTERFACE,
	VIEW_RBP, /* remote-backup-profile NAME */
	VIEW_RBS, /* remote-backup-service NAME */
	VIEW_SSL, /* ssl policy NAME */
	VIEW_BFD, /* bfd: BFD enabled (no commands of its own yet) */
	VIEW_BFD_SESSION, /* bfd NAME */
	VIEW__COUNT,
	VIEW_NONE = -1,
};

enum gram_id {
	/* session commands */
	G_SYSTEM_VIEW,
	G_QUIT,
	G_RETURN,
	G_COMMIT,
	G_COMMIT_TRIAL,
	G_COMMIT_LABEL,
	G_ABORT_TRIAL,
	G_CLEAR_CANDIDATE,
	G_ROLLBACK,
	G_DISPLAY_CURRENT,
	G_DISPLAY_CANDIDATE,
	G_DISPLAY_COMMIT_LIST,
	G_DISPLAY_COMMIT_CHANGES,
	G_DISPLAY_SYNC,
	G_DISPLAY_VRRP,
	G_DISPLAY_RBS,
	G_DISPLAY_RBP,
	G_DISPLAY_RBP_USERS,
	G_DISPLAY_BFD,
	/* configuration: system view */
	G_SYSNAME,
	G_INTERFACE,
	G_RBP,
	G_RBS,
	G_SSL_POLICY,
	G_DOWNLOAD_DELAY,
	G_USER_LIMIT,
	G_KERNEL_LIMIT,
	G_VRRP_VERSION,
	G_VRRP_NOTIFY,
	G_VRRP_GARP,
	G_BFD,
	G_BFD_SESSION, /* bfd NAME [bind peer-ip ...] */
	/* interface view */
	G_VRRP_VIP,
	G_VRRP_PRIORITY,
	G_VRRP_PREEMPT_DELAY,
	G_VRRP_PREEMPT_DISABLE,
	G_VRRP_ADVERTISE,
	G_VRRP_ADVERTISE_MS,
	G_VRRP_VMAC,
	G_VRRP_CHECKSUM,
	G_VRRP_TRACK_ADMIN,
	G_VRRP_TRACK_BFD,
	G_VRRP_TRACK_IF,
	G_VRRP_RECOVER_DELAY,
	G_VRRP_GROUP, /* undo vrrp vrid N: the whole group */
	G_ADMIN_VRRP,
	G_VRRP6_VIP,
	G_IF_RBP, /* remote-backup-profile NAME in an interface */
	/* RBP view */
	G_PEER_BACKUP,
	G_PREEMPT_WAIT,
	G_VRRP_ID,
	G_BACKUP_ID,
	/* RBS view */
	G_BIND_SSL,
	G_PEER,
	G_BATCH_BACKUP,
	G_PEER_CERT,
	G_RBS_TRACK_BFD,
	/* SSL policy view */
	G_SSL_CERT,
	G_SSL_CA,
	G_SSL_CRL,
	/* BFD session view */
	G_BFD_BIND,
	G_BFD_DISCR,
	G_BFD_MIN_TX,
	G_BFD_MIN_RX,
	G_BFD_MULT,
	G_BFD_SHUTDOWN,
	G__COUNT
};

/* How a parsed command touches the configuration. */
enum gram_kind {
	GK_SESSION, /* acts on the session (view, commit, display …) */
	GK_SET,	    /* sets the line `canon` under key `key` in the section */
	GK_ENTER,   /* enters (and creates) a section; undo removes it */
	GK_ACTION,  /* a one-shot action carried by the next commit */
};

#define GRAM_MAX_ARGS 8
#define GRAM_LINE_MAX 1024

struct gram_arg {
	const char *name; /* parameter name from the grammar, e.g. "vrid" */
	long num;	  /* integers */
	char str[256];	  /* everything, canonical text */
};

struct gram_result {
	enum gram_id id;
	enum gram_kind kind;
	bool undo;
	enum gram_view view;   /* view the command belongs to */
	enum gram_view enters; /* view entered (GK_ENTER, system-view), else VIEW_NONE */
	/* canonical text without "undo": full keywords, normalised values */
	char canon[GRAM_LINE_MAX];
	/* the words that identify the setting (GK_SET); for undo of a whole
	 * group (G_VRRP_GROUP) a prefix: every line starting with it goes */
	char key[GRAM_LINE_MAX];
	int nargs;
	struct gram_arg args[GRAM_MAX_ARGS];
	/* errors */
	int err_pos;	  /* byte offset in the line of the bad word */
	char err[256];	  /* VRP-style message, e.g. "Wrong parameter found at '^' position." */
	char reason[256]; /* what is wrong, e.g. "vrid must be 1-255" */
};

/* Parse `line` typed in `view`. Returns 0 and fills *r, 1 for an empty or
 * comment line ('#' or '!'), or -EINVAL with r->err, r->reason and
 * r->err_pos set. */
int gram_parse(enum gram_view view, const char *line, struct gram_result *r);

/* A command that enters a section and sets a line in it at once (bfd
 * NAME bind peer-ip ...): that line's text ("bind peer-ip ..."), else
 * NULL. */
const char *gram_enter_line(const struct gram_result *r);

/* The parameter named `name` of a parse, or NULL. */
const struct gram_arg *gram_arg(const struct gram_result *r, const char *name);

/* '?' help: what may follow `line` (which may end inside a word, then the
 * words it could become). Writes VRP-style lines "  word    description"
 * into out. Returns the number of choices, or -EINVAL with an error text
 * in out when the line already has a mistake. */
int gram_help(enum gram_view view, const char *line, char *out, size_t outlen);

/* Tab: the keywords that complete the last (partial) word of `line`.
 * Writes up to `max` pointers to static strings into `out` and returns
 * the count (0 when nothing, or a parameter, is expected there). */
int gram_complete(enum gram_view view, const char *line, const char **out, int max);

/* The parent view: VIEW_SYSTEM for sub-views, VIEW_USER for system. */
enum gram_view gram_parent(enum gram_view v);

/* The word that opens a section of view v ("interface", "ssl policy" …). */
const char *gram_view_word(enum gram_view v);

/* Format an error as VRP does: the line, a caret under the bad word, and
 * the message with its reason. */
void gram_format_error(const char *line, const struct gram_result *r, char *out, size_t len);

/* One command of the table, for references generated from it (dbcli(1)). */
struct gram_cmd_info {
	enum gram_view view; /* VIEW_NONE: every view */
	const char *pattern; /* the pattern language (grammar_table.c); static */
	const char *help;    /* a line about it; static, may be "" */
	bool undo;	     /* an undo form exists */
	bool undo_only;	     /* only as undo */
};

/* Command number i of the table, in table order. Returns false past the
 * last one. */
bool gram_command(size_t i, struct gram_cmd_info *out);

/* The '?' help line of a keyword, or NULL when it has none. */
const char *gram_keyword_help(const char *word);

#endif
