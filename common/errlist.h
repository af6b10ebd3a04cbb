/* A list of error messages, one per offending command or object. */
#ifndef DB_ERRLIST_H
#define DB_ERRLIST_H

#include <stddef.h>

struct errlist {
	char **v;
	size_t n;
};

/* Append a formatted message. Returns 0 or -ENOMEM. */
int errlist_add(struct errlist *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Free the messages; the list is empty and reusable afterwards. */
void errlist_free(struct errlist *e);

#endif
