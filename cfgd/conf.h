/*
 * The configuration as cfgd holds it: sections (the system view, each
 * interface, RBP, RBS and SSL policy) of canonical command lines, each
 * stored under its key (the words that identify the setting), so setting
 * a value again replaces it and `undo` finds it. Rendering, text loading
 * and diffs (conf_text.c), and the per-session candidate (a list of edits
 * on top of the running configuration, conf_cand.c) live here too. Pure:
 * no I/O.
 */
#ifndef DB_CONF_H
#define DB_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfgd/grammar.h"

struct conf;

struct conf_line {
	char *key;
	char *text;
	enum gram_id id;
	unsigned group; /* display order: lines of one VRRP group stay together */
};

struct conf_section {
	enum gram_view view;
	char *name;	      /* "" for the system view */
	struct strmap *lines; /* key -> struct conf_line */
	unsigned refs;	      /* configurations sharing it (conf_dup()); read only when > 1 */
	/* What conf.c and conf_text.c derive from the lines, kept while they
	 * do not change (every change drops it): the display order, the
	 * rendered text. A commit then sorts and renders only the sections
	 * it changed. */
	struct conf_line **sorted;
	size_t nsorted;
	char *rendered;
	size_t rendered_len;
};

struct conf *conf_new(void);
void conf_free(struct conf *c);
/* A copy, or NULL on allocation failure. Touch records are copied. The
 * copy shares its sections and touch records with c until either changes
 * them (copy on write): a commit copies what it edits, not the whole
 * configuration. */
struct conf *conf_dup(const struct conf *c);

/* Set the line `text` under `key` in section (view, name), creating the
 * section. Returns 0 or -ENOMEM. */
int conf_set(struct conf *c, enum gram_view view, const char *name, const char *key,
	     const char *text, enum gram_id id);
/* Remove the line under key; 0 also when absent. */
int conf_del(struct conf *c, enum gram_view view, const char *name, const char *key);
/* Remove every line whose key is `prefix` or starts with `prefix` + ' '. */
int conf_del_prefix(struct conf *c, enum gram_view view, const char *name, const char *prefix);
/* Create an (empty) section; 0 when it exists. */
int conf_section_add(struct conf *c, enum gram_view view, const char *name);
int conf_section_del(struct conf *c, enum gram_view view, const char *name);
/* The section, or NULL. */
struct conf_section *conf_section(const struct conf *c, enum gram_view view, const char *name);
/* The line, or NULL. */
struct conf_line *conf_line(const struct conf *c, enum gram_view view, const char *name,
			    const char *key);

/* All sections in display order; *out is malloc'd (caller frees the
 * array only). Returns the count, or -ENOMEM. */
int conf_sections(const struct conf *c, struct conf_section ***out);
/* The lines of a section in display order; as conf_sections. */
int conf_lines(const struct conf_section *s, struct conf_line ***out);
/* Number of lines over all sections. */
size_t conf_count(const struct conf *c);

/* Render as VRP's display current-configuration. Returns a malloc'd
 * string (caller frees) or NULL. */
char *conf_render(const struct conf *c);

/* Load configuration text (as rendered, or typed: views are followed the
 * way the CLI follows them). On error returns -EINVAL with a message
 * naming the line number in err, and *c is unchanged. */
int conf_load(struct conf *c, const char *text, char *err, size_t errlen);

/* The difference a -> b as lines prefixed "+" and "-" under their section
 * headers. Returns a malloc'd string ("" when equal) or NULL. */
char *conf_diff(const struct conf *a, const struct conf *b);
bool conf_equal(const struct conf *a, const struct conf *b);

/* Who last changed a setting: recorded by conf_touch when a commit
 * applies, read when a later commit checks for conflicts. */
struct conf_touch {
	uint64_t commit;
	char user[64];
};
int conf_touch(struct conf *c, enum gram_view view, const char *name, const char *key,
	       uint64_t commit, const char *user);
const struct conf_touch *conf_touched(const struct conf *c, enum gram_view view, const char *name,
				      const char *key);

/* ---- candidate: one session's edits ------------------------------------ */

enum cand_op_type { OP_SET, OP_DEL, OP_DEL_PREFIX, OP_ENTER, OP_DEL_SECTION, OP_ACTION };

struct cand_op {
	enum cand_op_type type;
	enum gram_view view;
	char *name; /* section name */
	char *key;
	char *text; /* OP_SET, OP_ACTION */
	enum gram_id id;
	uint64_t base; /* running commit id when the op was typed */
};

struct candidate {
	struct cand_op *ops;
	size_t n, cap;
};

/* Add an op (strings copied). Returns 0 or -ENOMEM. */
int cand_add(struct candidate *cd, enum cand_op_type type, enum gram_view view, const char *name,
	     const char *key, const char *text, enum gram_id id, uint64_t base);
void cand_clear(struct candidate *cd);
/* Has the candidate anything to commit? */
bool cand_pending(const struct candidate *cd);

/* Apply the candidate's edits (not its actions) to c. */
int cand_apply(const struct candidate *cd, struct conf *c);

/* Check the candidate's edits against `running`: a setting that another
 * commit changed after this session began editing it. Writes one line per
 * conflict into out and returns their count. */
int cand_conflicts(const struct candidate *cd, const struct conf *running, const char *user,
		   char *out, size_t outlen);

/* Record in `running` that commit `commit` by `user` touched every key
 * of the candidate. */
int cand_touch(const struct candidate *cd, struct conf *running, uint64_t commit, const char *user);

/* The section header as rendered: "interface eth1", "" for system. */
void conf_section_title(enum gram_view view, const char *name, char *out, size_t len);

#endif
