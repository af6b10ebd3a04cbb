/*
 * The configuration's insides (conf.h is its interface), shared by its
 * parts, one concern each:
 *
 *   conf.c       the configuration tree: sections of keyed lines, shared
 *                between copies until one changes them; their display
 *                order; who last touched each setting
 *   conf_text.c  the configuration as text: rendered, loaded, and the
 *                difference between two
 *   conf_cand.c  a session's candidate: its edits, applied to a
 *                configuration or checked against what others committed
 *
 * Only these files include this header.
 */
#ifndef DB_CONF_INT_H
#define DB_CONF_INT_H

#include <stddef.h>

#include "cfgd/conf.h"

/* Touch records, shared between copies as sections are (conf_dup()). */
struct touches {
	struct strmap *m; /* "view:name\037key" -> struct conf_touch */
	unsigned refs;
};

struct conf {
	struct strmap *secs; /* "view:name" -> struct conf_section */
	struct touches *touched;
};

/* The section's lines in display order, sorted once while they do not
 * change (s->sorted, s->nsorted); NULL on allocation failure. */
struct conf_line **conf_sorted(const struct conf_section *s);
/* qsort() of sections (struct conf_section **) into display order. */
int conf_cmp_section(const void *pa, const void *pb);
/* The key of a setting's touch record (struct touches) into buf. */
void conf_touch_id(char *buf, size_t len, enum gram_view view, const char *name, const char *key);

#endif
