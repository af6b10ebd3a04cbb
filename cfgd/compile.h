/*
 * From the text configuration to what each daemon runs: checks the
 * cross-references cfgd can check alone (a binding names a group that
 * exists, a backup-id belongs to one profile, a bound SSL policy exists
 * …) and builds the typed sections (proto/config.proto) of vrrpd, rbsd
 * and rbpd. Pure: no I/O.
 */
#ifndef DB_COMPILE_H
#define DB_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "cfgd/conf.h"
#include "common/errlist.h"
#include "config.pb-c.h"

enum cfg_daemon { D_VRRPD, D_RBSD, D_RBPD, D__COUNT };

struct compiled {
	uint8_t *sec[D__COUNT]; /* packed Db__VrrpdConfig, Db__RbsdConfig, Db__RbpdConfig */
	size_t len[D__COUNT];
	/* bus_digest() of each section, once computed (cfg_compiled_digest());
	 * 0: not yet. Whoever changes a section sets its digest to 0. */
	uint64_t digest[D__COUNT];
};

/* The digest of section d (what a daemon reports of the section it
 * applied), computed once: cfgd compares it after every message. */
uint64_t cfg_compiled_digest(struct compiled *c, enum cfg_daemon d);

/* Check `c` and build its sections; `cd` (may be NULL) adds the one-shot
 * actions of a commit (batch-backup … now) to rbsd's section. Returns 0,
 * -EINVAL with one message per problem in errs, or -ENOMEM. */
int cfg_compile(const struct conf *c, const struct candidate *cd, struct compiled *out,
		struct errlist *errs);
void cfg_compiled_free(struct compiled *out);
/* Frees what cfg_compile() keeps between calls (its stored lines' parses). */
void cfg_compile_cache_free(void);
/* How many stored lines' parses it keeps (at most twice the lines of the
 * last compile, or 1,024). */
size_t cfg_compile_cache_size(void);

/* rbsd's section of `out` unpacked into *r: 0 (*r NULL when `out` has
 * none) or -ENOMEM. The caller frees *r with
 * db__rbsd_config__free_unpacked(). */
int cfg_compiled_rbsd(const struct compiled *out, Db__RbsdConfig **r);

/* What a commit of `out` (from cfg_compile()) should warn about, one
 * message per item into warns: each remote-backup-service without an SSL
 * policy (the spec's note: its data may be leaked or tampered with).
 * Returns the number of warnings, or -ENOMEM. */
int cfg_compile_warnings(const struct compiled *out, struct errlist *warns);

/* The sysname of c, or "HUAWEI"-style default "dualbackup". */
const char *cfg_sysname(const struct conf *c);

#endif
