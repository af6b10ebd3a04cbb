/*
 * cfg_compile()'s insides (compile.h is its interface), shared by its
 * parts, one concern each:
 *
 *   compile.c        a compile from start to end: the build and the pool
 *                    it allocates from, its steps in order, the commit's
 *                    one-shot actions, the packed sections, the warnings
 *   compile_cache.c  stored lines parsed once, kept between compiles
 *   compile_sect.c   each section of the configuration into the build,
 *                    a line at a time: the system view's globals, VRRP
 *                    groups, profiles, services, SSL policies
 *   compile_refs.c   the cross-references that need the whole
 *                    configuration: the checks, then what one object
 *                    takes from another
 *   compile_bfd.c    the BFD sessions (compile_bfd.h)
 *
 * A compile's state is one struct build, given to each function. Only
 * these files include this header.
 */
#ifndef DB_COMPILE_INT_H
#define DB_COMPILE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cfgd/compile.h"
#include "cfgd/conf.h"
#include "cfgd/grammar.h"
#include "common/errlist.h"
#include "config.pb-c.h"

struct strmap;

/* VRP's defaults where the configuration is silent. */
#define DEF_PRIORITY 100
#define DEF_ADVERT_MS 1000
#define DEF_VERSION 2
/* peer-backup preempt-wait max: time enough for a batch of a million
 * users on our measured rates, short of the spec's 600 s preempt delay */
#define DEF_PREEMPT_WAIT_S 300

/* ---- the pool (compile.c) --------------------------------------------- */

/* Everything allocated while building, freed in one go after packing. */
struct pool {
	void **p;
	size_t n, cap;
	int oom;
};

/* size zeroed bytes (at least one) from pl; NULL when memory runs out,
 * which also sets pl->oom. */
void *pool_alloc(struct pool *pl, size_t size);
/* A copy of s from pl, or NULL. */
char *pool_strdup(struct pool *pl, const char *s);
/* Append a copy of s to a repeated string field (the array is pooled).
 * Returns 0 or -ENOMEM. */
int pool_push_str(struct pool *pl, char ***arr, size_t *n, const char *s);
/* Append v to a protobuf repeated field of pointers, *cap its room (the
 * array is pooled). Returns 0 or -ENOMEM. */
int pool_push_ptr(struct pool *pl, void ***arr, size_t *n, size_t *cap, void *v);
/* Frees everything allocated from pl. */
void pool_free(struct pool *pl);

/* ---- a compile's state ------------------------------------------------ */

/* A group under construction, with its capacities. */
struct grp {
	Db__VrrpGroupConfig g;
	size_t vip_cap, track_bfd_cap, track_if_cap;
	char track_if[64];
	unsigned track_vrid;
	int has_vip;
	int is_v6;
	char *owner; /* "IFNAME vrrp|vrrp6 vrid N": who holds its virtual IPs */
};

struct build {
	struct pool pl;
	struct errlist *errs;
	Db__VrrpdConfig vrrp;
	size_t groups_cap;
	struct strmap *groups; /* "ifname vrid" -> struct grp */
	struct grp *last;      /* the group of the last line: a group's lines come together */
	struct strmap *vips;   /* address -> "ifname vrid" owner */
	Db__RbsdConfig rbsd;
	size_t rbs_cap, batch_cap;
	Db__RbpdConfig rbpd;
	size_t rbp_cap;
	struct strmap *rbps;	   /* name -> Db__RbpConfig */
	struct strmap *rbss;	   /* name -> Db__RbsConfig */
	struct strmap *ssls;	   /* name -> Db__SslPolicyConfig */
	struct strmap *backup_ids; /* "N" -> rbp name */
	struct strmap *rbs_ssl;	   /* RBS name -> name of its bound policy */
	struct strmap *recover;	   /* interface -> its vrrp recover-delay (uint32_t *) */
};

/* ---- stored lines parsed once (compile_cache.c) ----------------------- */

/* A stored line's parse, as the cache keeps it. */
struct parsed_arg {
	const char *name; /* the grammar's own, static */
	long num;
	char *str;
};

/* What compiling reads of a line: the compile's handlers read the cached
 * parse itself, nothing is copied. */
struct parsed {
	enum gram_id id;
	char *canon;
	int nargs;
	unsigned long used; /* the compile that last used it (compile_cache.c) */
	struct parsed_arg a[GRAM_MAX_ARGS];
};

/* The parse of a stored line, through the cache: valid until the end of
 * this compile (cfg_compile_cache_turn()). NULL when the line does not
 * parse (*rc is gram_parse()'s result) or memory ran out (*rc -ENOMEM). */
const struct parsed *cfg_compile_cache_parse(enum gram_view view, const char *text, int *rc);
/* The end of one compile: drop the entries it did not use, when they are
 * many. */
void cfg_compile_cache_turn(void);

/* ---- the sections (compile_sect.c) ------------------------------------ */

/* The key of a group in b->groups into id (of size len): vrrp and vrrp6
 * groups of one VRID are two groups (VRP keeps them apart, and they run
 * separate protocols). */
void cfg_compile_group_id(char *id, size_t len, const char *ifname, unsigned vrid, int v6);
/* One section's lines into the build, each parsed once
 * (cfg_compile_cache_parse()). Returns 0, -EINVAL (its error in b->errs)
 * or -ENOMEM. */
int cfg_compile_section(struct build *b, const struct conf_section *s);

/* ---- cross-references (compile_refs.c) -------------------------------- */

/* Cross-references that need the whole configuration, once every section
 * is in the build: every check, then, if they all passed, what one object
 * takes from another. Returns 0, -EINVAL (the errors in b->errs, in the
 * order of the checks) or -ENOMEM. */
int cfg_compile_refs(struct build *b, const struct conf *c);
/* A service tracks a BFD session that is configured (read after
 * cfg_compile_bfd() filled in the sessions). Stops at the first that
 * does not: returns 0, -EINVAL (its error in b->errs) or -ENOMEM. */
int cfg_compile_check_rbs_bfd(const struct build *b);

#endif
