/* A string-keyed hash map (open addressing, linear probing). Keys are
 * copied; values are the caller's. */
#ifndef DB_STRMAP_H
#define DB_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap;

/* Returns NULL on allocation failure. */
struct strmap *strmap_new(void);
/* Frees the map and its keys, not the values. */
void strmap_free(struct strmap *m);
/* Value of `key`, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
/* Set key to val (val must not be NULL). Returns 0 or -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, void *val);
/* Remove key; returns its value or NULL. */
void *strmap_del(struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);
/* Call fn for every entry, in no particular order. The map must not be
 * changed meanwhile. */
/* Removes every entry for which fn returns true, fn having done what the
 * value needs (freed it); returns how many went. fn must not change m. */
size_t strmap_del_if(struct strmap *m, bool (*fn)(const char *key, void *val, void *arg),
		     void *arg);
void strmap_each(const struct strmap *m, void (*fn)(const char *key, void *val, void *arg),
		 void *arg);

#endif
