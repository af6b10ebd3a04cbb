#include "common/keyfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int keyfile_check_stat(const struct stat *st, uid_t self, char *why, size_t len)
{
	unsigned mode = (unsigned)st->st_mode & 07777;

	if (!S_ISREG(st->st_mode)) {
		snprintf(why, len, "not a regular file");
		return -EPERM;
	}
	if (st->st_uid != 0 && st->st_uid != self) {
		snprintf(why, len, "owned by uid %u, neither root nor this daemon's user",
			 (unsigned)st->st_uid);
		return -EPERM;
	}
	if (mode & 0027) {
		snprintf(why, len,
			 "mode %04o lets %s at it (at most 0640: chmod g-w,o-rwx)", mode,
			 mode & 0007 ? "every user" : "its group write");
		return -EPERM;
	}
	return 0;
}

int keyfile_check(const char *path, char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int rc = -errno;

		snprintf(why, len, "%s", strerror(-rc));
		return rc;
	}
	return keyfile_check_stat(&st, geteuid(), why, len);
}
