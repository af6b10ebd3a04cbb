/*
 * BFD's part of vrrpd's section: the `bfd` and `bfd NAME` views of the
 * configuration as BfdSessionConfig messages, checked. Pure: no I/O.
 */
#ifndef DB_COMPILE_BFD_H
#define DB_COMPILE_BFD_H

#include "cfgd/conf.h"
#include "common/errlist.h"
#include "config.pb-c.h"

/* Defaults of a session that does not set them (ms, packets). */
#define BFD_DEF_MIN_TX_MS 1000
#define BFD_DEF_MIN_RX_MS 1000
#define BFD_DEF_DETECT_MULT 3

/* Fill v->bfd and v->bfd_sessions from c. A session without
 * `discriminator local` gets one derived from its name (stable across
 * commits, unique on the device). Returns 0, -EINVAL with one message per
 * problem in errs, or -ENOMEM; on any return cfg_compile_bfd_free(v)
 * releases what was added. */
int cfg_compile_bfd(const struct conf *c, Db__VrrpdConfig *v, struct errlist *errs);
void cfg_compile_bfd_free(Db__VrrpdConfig *v);

#endif
