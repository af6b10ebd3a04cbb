/* Is a private key file kept private? Checked where a key is loaded. */
#ifndef DB_KEYFILE_H
#define DB_KEYFILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Decide on a key file's stat: a regular file, owned by root or `self`
 * (the daemon's uid), not writable by its group, no access at all for
 * others. Group read is allowed (root:dualbackup 0640 lets the daemons'
 * user read a key root keeps). Returns 0, or -EPERM with the reason in
 * why (len bytes). Pure. */
int keyfile_check_stat(const struct stat *st, uid_t self, char *why, size_t len);

/* keyfile_check_stat() on `path` (links followed) for geteuid().
 * Returns 0, -EPERM with the reason, or the negative errno of stat with
 * its text in why. */
int keyfile_check(const char *path, char *why, size_t len);

#endif
