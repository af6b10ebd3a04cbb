/*
 * A certificate, key, CA or CRL renewed in place (same path, new content)
 * must reach rbsd at the next commit, although the configuration text did
 * not change: cfgd stamps rbsd's compiled section with a digest of the
 * files' contents, so the section changes with them.
 */
#ifndef DB_TLSFILES_H
#define DB_TLSFILES_H

#include "cfgd/compile.h"

/*
 * Sets files_digest of every SSL policy in out's rbsd section to a digest
 * of the contents of its certificate, key, CA and CRL files (a file that
 * cannot be read counts as its error: rbsd's vote then names it), and
 * packs the section again. Returns 0, or -ENOMEM (out unchanged).
 */
int cfg_tls_files_stamp(struct compiled *out);

#endif
