#include "common/errlist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int errlist_add(struct errlist *e, const char *fmt, ...)
{
	char **v;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return -ENOMEM;
	v = realloc(e->v, (e->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(s);
		return -ENOMEM;
	}
	e->v = v;
	e->v[e->n++] = s;
	return 0;
}

void errlist_free(struct errlist *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	e->v = NULL;
	e->n = 0;
}
