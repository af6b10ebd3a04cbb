/*
 * The CLI grammar's insides (grammar.h is its interface), shared by its
 * parts, one concern each:
 *
 *   grammar_table.c  the commands of every view and the keywords' help:
 *                    the table a new command goes into; its patterns
 *                    compiled into tokens
 *   grammar_check.c  a parameter's value: whether a word is one, and its
 *                    canonical text
 *   grammar.c        a line: words, the matcher that runs them through
 *                    the table's patterns, gram_parse() and its result
 *   grammar_help.c   '?' help and Tab completion: what may come next
 *
 * Only these files include this header.
 */
#ifndef DB_GRAMMAR_INT_H
#define DB_GRAMMAR_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "cfgd/grammar.h"

/* ---- the command table (grammar_table.c) ------------------------------- */

#define F_UNDO 0x1	/* an undo form exists */
#define F_UNDO_ONLY 0x2 /* only as undo */
#define F_NO_USER 0x4	/* global, but not in the user view */
#define F_USER_ONLY 0x8

#define VIEW_ANY VIEW_NONE

struct cmd_def {
	enum gram_view view;
	enum gram_id id;
	enum gram_kind kind;
	const char *pattern;
	int key_words; /* GK_SET: words of the key; 0 = the whole line */
	unsigned flags;
	enum gram_view enters;
};

/* The number of commands in the table. The matcher holds a candidate per
 * command, so it is known where the table is not; grammar_table.c fails
 * to compile when a command is added or removed without changing it. */
#define GRAM_NCMDS 84

extern const struct cmd_def gram_cmds[];

/* ---- compiled patterns (grammar_table.c) ------------------------------- */

enum tok_type {
	T_KW,
	T_INT,
	T_IPV4,
	T_IPV6,
	T_IP,
	T_NAME,
	T_IFNAME,
	T_IFTYPE,
	T_IFNUM,
	T_PATH,
	T_SYSNAME,
	T_SHA256,
	T_WORD
};

#define MAX_TOKS 12
#define MAX_ALTS 8

struct tok {
	enum tok_type type;
	bool optional;
	int nkw;
	char kw[MAX_ALTS][24]; /* T_KW: the keyword or its alternatives */
	char name[64];	       /* parameters */
	long lo, hi, step;
};

struct pat {
	int n;
	struct tok t[MAX_TOKS];
};

/* gram_cmds[i]'s pattern as tokens, once gram_compile() has run. */
extern struct pat gram_pats[GRAM_NCMDS];

/* Compile every pattern of the table into gram_pats, the first time it is
 * called; later calls return at once. */
void gram_compile(void);

/* The '?' help line of a keyword, or "" when it has none; static. */
const char *gram_help_of(const char *word);

/* ---- parameter values (grammar_check.c) -------------------------------- */

/* Check word `w` against parameter token `t`. On success writes the
 * canonical value into canon and the number into *num and returns true;
 * otherwise writes the reason. */
bool gram_check_param(const struct tok *t, const char *w, char *canon, size_t clen, long *num,
		      char *reason, size_t rlen);

/* ---- words and the matcher (grammar.c) --------------------------------- */

#define MAX_WORDS 32

struct words {
	int n;
	char w[MAX_WORDS][256];
	int off[MAX_WORDS];
	bool trailing_blank; /* the line ends with a blank (or is empty) */
	bool too_long;
};

/* Split `line` into blank-separated words, with their offsets in it. */
void gram_split(const char *line, struct words *ws);

struct cand {
	int cmd;
	int pi; /* next pattern token */
	bool alive;
	char canon[GRAM_LINE_MAX];
	int nwords;  /* canonical words so far */
	int key_len; /* length of canon at the end of the key */
	int nargs;
	struct gram_arg args[GRAM_MAX_ARGS];
};

enum fail { FAIL_NONE, FAIL_UNKNOWN, FAIL_PARAM, FAIL_TOO_MANY, FAIL_AMBIGUOUS, FAIL_INCOMPLETE };

struct matcher {
	struct cand c[GRAM_NCMDS];
	int n;
	enum fail fail;
	int fail_word;
	char reason[256];
};

/* Start a match in `view`: every command of the view (undo forms when
 * `undo`) is a candidate. */
void gram_match_start(struct matcher *m, enum gram_view view, bool undo);

/* Feed word number wi. Returns false when no candidate is left. */
bool gram_feed(struct matcher *m, const struct words *ws, int wi, bool undo);

/* Is the rest of the pattern (from pi) optional, or for undo beyond the key? */
bool gram_tail_optional(const struct cand *c, bool undo);

/* The matcher's failure into r's err, reason and err_pos. */
void gram_set_error(struct gram_result *r, const struct matcher *m, const struct words *ws,
		    const char *line);

#endif
