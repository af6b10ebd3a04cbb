/*
 * The durable commit history of cfgd: one file per commit, each replaced
 * atomically (tmp file, fsync, rename, fsync the directory), so that a
 * crash at any instant leaves every file either old or new and a reader
 * never sees half a commit. See store.h for the layout and file format.
 */
#include "cfgd/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Larger texts are refused on write and taken for corruption on read, so
 * a damaged length field can never make us allocate gigabytes. */
#define MAX_TEXT (64u << 20)
/* The longest header store_write() can produce is about 260 bytes. */
#define HDR_MAX 512
/* "<20 digits>.cfg" */
#define NAME_LEN 24
#define TRIAL "trial"

struct store {
	int dfd; /* DIR */
	int cfd; /* DIR/commits */
	unsigned skipped;
	uint64_t newest; /* highest commit file id the last store_latest() saw */
};

/* ---- files -------------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read up to len bytes; *got < len only at end of file. */
static int read_all(int fd, void *buf, size_t len, size_t *got)
{
	char *p = buf;

	*got = 0;
	while (*got < len) {
		ssize_t r = read(fd, p + *got, len - *got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

/*
 * Replace dfd/name with a then b: write name.tmp, fsync, rename, fsync the
 * directory. *renamed tells a caller that sees an error whether name
 * already holds the new content (only the directory fsync failed).
 */
static int replace_at(int dfd, const char *name, const void *a, size_t alen, const void *b,
		      size_t blen, bool *renamed)
{
	char tmp[NAME_MAX + 1];
	int fd, rc;

	*renamed = false;
	if (strlen(name) + sizeof(".tmp") > sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);

	/* A tmp file left by a killed writer is garbage: start from nothing.
	 * O_EXCL also means we never write through a link planted there. */
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
		return -errno;
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, a, alen);
	if (rc == 0)
		rc = write_all(fd, b, blen);
	/* The data must be on disk before the rename makes it visible,
	 * or a crash could leave the new name pointing at a hole. */
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0 && errno != EINTR)
		rc = -errno;
	if (rc == 0 && renameat(dfd, tmp, dfd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(dfd, tmp, 0);
		return rc;
	}
	*renamed = true;
	/* The rename itself is durable only once the directory is. */
	if (fsync(dfd) < 0)
		return -errno;
	return 0;
}

/* Open the directory holding `path` and point *name at its last part. */
static int open_parent(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd;

	if (slash == NULL) {
		*name = path;
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == path) {
		*name = slash + 1;
		snprintf(dir, sizeof(dir), "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		*name = slash + 1;
	}
	if (**name == '\0' || strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0)
		return -EINVAL;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int store_write_file(const char *path, const void *buf, size_t len)
{
	const char *name;
	bool renamed;
	int dfd, rc;

	if (path == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	dfd = open_parent(path, &name);
	if (dfd < 0)
		return dfd;
	rc = replace_at(dfd, name, buf, len, NULL, 0, &renamed);
	close(dfd);
	return rc;
}

/* Remove every *.tmp file in directory fd: interrupted writes, never data. */
static int remove_tmp(int fd)
{
	struct dirent *de;
	DIR *d;
	int dup_fd, rc = 0;

	/* A fresh open file description, so the scan owns its own offset. */
	dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dup_fd < 0)
		return -errno;
	d = fdopendir(dup_fd);
	if (d == NULL) {
		rc = -errno;
		close(dup_fd);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n <= 4 || strcmp(de->d_name + n - 4, ".tmp") != 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT && errno != EISDIR) {
			rc = -errno;
			break;
		}
	}
	closedir(d);
	return rc;
}

/* ---- names and ids ------------------------------------------------------ */

static void commit_name(char *buf, size_t size, uint64_t id)
{
	snprintf(buf, size, "%020" PRIu64 ".cfg", id);
}

/* Strict decimal: digits only, no sign, no spaces, no overflow. */
static int to_u64(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 20)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (v[i] < '0' || v[i] > '9')
			return -EBADMSG;
		d = (unsigned)(v[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

static int to_time(const char *v, size_t n, time_t *out)
{
	bool neg = n > 0 && v[0] == '-';
	uint64_t mag;
	long long x;

	if (to_u64(v + neg, n - neg, &mag) < 0)
		return -EBADMSG;
	if (mag > (uint64_t)LLONG_MAX + neg)
		return -EBADMSG;
	if (neg)
		x = mag == (uint64_t)LLONG_MAX + 1 ? LLONG_MIN : -(long long)mag;
	else
		x = (long long)mag;
	if ((long long)(time_t)x != x)
		return -EBADMSG;
	*out = (time_t)x;
	return 0;
}

/* The id named by a commit file name, or -EINVAL for any other name. */
static int name_id(const char *name, uint64_t *id)
{
	if (strlen(name) != NAME_LEN || strcmp(name + NAME_LEN - 4, ".cfg") != 0)
		return -EINVAL;
	return to_u64(name, NAME_LEN - 4, id) < 0 ? -EINVAL : 0;
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Ids of every commit file name, highest first; *ids is malloc'd. */
static int scan_ids(struct store *s, uint64_t **ids, size_t *n)
{
	uint64_t *v = NULL, id;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	fd = openat(s->cfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			rc = errno ? -errno : 0;
			break;
		}
		if (name_id(de->d_name, &id) < 0)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 128;
			uint64_t *nv = realloc(v, ncap * sizeof(*v));

			if (nv == NULL) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt++] = id;
	}
	closedir(d);
	if (rc < 0) {
		free(v);
		return rc;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_desc);
	*ids = v;
	*n = cnt;
	return 0;
}

/* ---- the commit file format --------------------------------------------- */

/*
 * The header line "<key><value>\n" at *p: points *val at its value and
 * moves *p past the line. -EBADMSG when the line is not there whole.
 */
static int field(const char **p, const char *end, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key);
	const char *nl;

	if ((size_t)(end - *p) < klen || memcmp(*p, key, klen) != 0)
		return -EBADMSG;
	*val = *p + klen;
	nl = memchr(*val, '\n', (size_t)(end - *val));
	if (nl == NULL)
		return -EBADMSG;
	*vlen = (size_t)(nl - *val);
	*p = nl + 1;
	return 0;
}

static int str_field(const char **p, const char *end, const char *key, char *dst, size_t size)
{
	const char *v;
	size_t n;

	if (field(p, end, key, &v, &n) < 0 || n >= size || memchr(v, '\0', n) != NULL)
		return -EBADMSG;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static int u64_field(const char **p, const char *end, const char *key, uint64_t *out)
{
	const char *v;
	size_t n;

	if (field(p, end, key, &v, &n) < 0)
		return -EBADMSG;
	return to_u64(v, n, out);
}

static int time_field(const char **p, const char *end, const char *key, time_t *out)
{
	const char *v;
	size_t n;

	if (field(p, end, key, &v, &n) < 0)
		return -EBADMSG;
	return to_time(v, n, out);
}

static int empty_field(const char **p, const char *end, const char *line)
{
	const char *v;
	size_t n;

	if (field(p, end, line, &v, &n) < 0 || n != 0)
		return -EBADMSG;
	return 0;
}

/*
 * Parse the header of a commit file from the first n bytes of buf into c
 * (text stays NULL, len is the announced body length) and its size into
 * *hdrlen. Pure; -EBADMSG unless every line is there, in order.
 */
static int parse_header(const char *buf, size_t n, struct store_commit *c, size_t *hdrlen)
{
	const char *p = buf, *end = buf + n;
	uint64_t len;

	memset(c, 0, sizeof(*c));
	if (empty_field(&p, end, "# dualbackup commit") < 0 ||
	    u64_field(&p, end, "# id: ", &c->id) < 0 ||
	    time_field(&p, end, "# time: ", &c->time) < 0 ||
	    str_field(&p, end, "# user: ", c->user, sizeof(c->user)) < 0 ||
	    str_field(&p, end, "# label: ", c->label, sizeof(c->label)) < 0 ||
	    u64_field(&p, end, "# length: ", &len) < 0 || len > MAX_TEXT ||
	    empty_field(&p, end, "# end") < 0)
		return -EBADMSG;
	c->len = (size_t)len;
	*hdrlen = (size_t)(p - buf);
	return 0;
}

/*
 * Read commit `id` into *out: the header only, or with want_text the text
 * too (then out->text is malloc'd). Checks the header, that it names this
 * id, and that the body is exactly `length` bytes (and, with the text at
 * hand, holds no NUL). 0, -ENOENT, -EBADMSG or -errno.
 */
static int read_commit(struct store *s, uint64_t id, bool want_text, struct store_commit *out)
{
	char name[NAME_LEN + 1];
	struct store_commit c;
	size_t want, got, hdr;
	struct stat st;
	char *buf = NULL;
	int fd, rc;

	commit_name(name, sizeof(name), id);
	fd = openat(s->cfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	rc = -EBADMSG;
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)(HDR_MAX + MAX_TEXT))
		goto out;
	want = (size_t)st.st_size;
	if (!want_text && want > HDR_MAX)
		want = HDR_MAX;
	buf = malloc(want + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = read_all(fd, buf, want, &got);
	if (rc < 0)
		goto out;
	rc = -EBADMSG;
	if (got != want || parse_header(buf, got, &c, &hdr) < 0 || c.id != id ||
	    (uint64_t)st.st_size != (uint64_t)hdr + c.len)
		goto out;
	if (want_text) {
		if (memchr(buf + hdr, '\0', c.len) != NULL)
			goto out;
		memmove(buf, buf + hdr, c.len);
		buf[c.len] = '\0';
		c.text = buf;
		buf = NULL;
	}
	*out = c;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* ---- the store ---------------------------------------------------------- */

/* Make the creation of directory `path` itself durable. */
static int fsync_parent(const char *path)
{
	size_t n = strlen(path);
	char buf[PATH_MAX];
	const char *name;
	int fd, rc = 0;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n);
	buf[n] = '\0';
	fd = open_parent(buf, &name);
	if (fd < 0)
		return fd;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void prune(struct store *s);

int store_open(struct store **out, const char *dir)
{
	struct store *s;
	int rc;

	if (out == NULL || dir == NULL || dir[0] == '\0')
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->dfd = s->cfd = -1;
	if (mkdir(dir, 0700) == 0) {
		rc = fsync_parent(dir);
		if (rc < 0)
			goto fail;
	} else if (errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0) {
		rc = -errno;
		goto fail;
	}
	if (mkdirat(s->dfd, "commits", 0700) == 0) {
		if (fsync(s->dfd) < 0) {
			rc = -errno;
			goto fail;
		}
	} else if (errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	s->cfd = openat(s->dfd, "commits", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->cfd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = remove_tmp(s->dfd);
	if (rc == 0)
		rc = remove_tmp(s->cfd);
	if (rc < 0)
		goto fail;
	/* A process killed between a write and its prune leaves one commit
	 * too many, and a kill at each of several writes one more each:
	 * finish the prune here, as the temporary files above. */
	prune(s);
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->cfd >= 0)
		close(s->cfd);
	if (s->dfd >= 0)
		close(s->dfd);
	free(s);
}

/* Keep the STORE_KEEP highest ids. Best effort: the commit that triggered
 * the prune is already durable, and the next write prunes again. */
static void prune(struct store *s)
{
	char name[NAME_LEN + 1];
	uint64_t *ids;
	size_t n;

	if (scan_ids(s, &ids, &n) < 0)
		return;
	for (size_t i = STORE_KEEP; i < n; i++) {
		commit_name(name, sizeof(name), ids[i]);
		unlinkat(s->cfd, name, 0);
	}
	if (n > STORE_KEEP)
		fsync(s->cfd);
	free(ids);
}

static bool clean_str(const char *v, size_t size)
{
	return memchr(v, '\0', size) != NULL && strchr(v, '\n') == NULL;
}

int store_write(struct store *s, const struct store_commit *c)
{
	char name[NAME_LEN + 1], hdr[HDR_MAX];
	bool renamed;
	int n, rc;

	if (s == NULL || c == NULL || c->text == NULL)
		return -EINVAL;
	if (c->len > MAX_TEXT)
		return -EFBIG;
	if (memchr(c->text, '\0', c->len) != NULL || !clean_str(c->user, sizeof(c->user)) ||
	    !clean_str(c->label, sizeof(c->label)))
		return -EINVAL;
	n = snprintf(hdr, sizeof(hdr),
		     "# dualbackup commit\n"
		     "# id: %" PRIu64 "\n"
		     "# time: %lld\n"
		     "# user: %s\n"
		     "# label: %s\n"
		     "# length: %zu\n"
		     "# end\n",
		     c->id, (long long)c->time, c->user, c->label, c->len);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -EINVAL;
	commit_name(name, sizeof(name), c->id);
	rc = replace_at(s->cfd, name, hdr, (size_t)n, c->text, c->len, &renamed);
	if (rc < 0) {
		/* The caller will report this commit as failed, so recovery
		 * must not find it: take back a rename we cannot vouch for. */
		if (renamed && unlinkat(s->cfd, name, 0) == 0)
			fsync(s->cfd);
		return rc;
	}
	prune(s);
	return 0;
}

int store_list(struct store *s, struct store_commit **out, size_t *n)
{
	struct store_commit *v;
	uint64_t *ids;
	size_t cnt = 0, nids;
	int rc;

	if (s == NULL || out == NULL || n == NULL)
		return -EINVAL;
	s->skipped = 0;
	rc = scan_ids(s, &ids, &nids);
	if (rc < 0)
		return rc;
	v = malloc((nids ? nids : 1) * sizeof(*v));
	if (v == NULL) {
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nids; i++) {
		rc = read_commit(s, ids[i], false, &v[cnt]);
		if (rc == 0) {
			cnt++;
		} else if (rc == -EBADMSG) {
			s->skipped++;
		} else if (rc != -ENOENT) {
			free(v);
			free(ids);
			return rc;
		}
	}
	free(ids);
	*out = v;
	*n = cnt;
	return 0;
}

int store_load(struct store *s, uint64_t id, struct store_commit *out)
{
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (s == NULL || out == NULL)
		return -EINVAL;
	return read_commit(s, id, true, out);
}

int store_latest(struct store *s, struct store_commit *out)
{
	uint64_t *ids;
	size_t nids;
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (s == NULL || out == NULL)
		return -EINVAL;
	s->skipped = 0;
	s->newest = 0;
	rc = scan_ids(s, &ids, &nids);
	if (rc < 0)
		return rc;
	if (nids > 0)
		s->newest = ids[0];
	rc = -ENOENT;
	for (size_t i = 0; i < nids; i++) {
		rc = read_commit(s, ids[i], true, out);
		if (rc == -EBADMSG)
			s->skipped++;
		/* -ENOENT: pruned since the scan */
		if (rc != -EBADMSG && rc != -ENOENT)
			break;
		rc = -ENOENT;
	}
	free(ids);
	return rc;
}

void store_commit_free(struct store_commit *c)
{
	if (c == NULL)
		return;
	free(c->text);
	c->text = NULL;
	c->len = 0;
}

unsigned store_skipped(const struct store *s)
{
	return s ? s->skipped : 0;
}

uint64_t store_newest_id(const struct store *s)
{
	return s ? s->newest : 0;
}

/* ---- the pending trial commit ------------------------------------------- */

int store_trial_save(struct store *s, uint64_t commit_id, uint64_t rollback_to, time_t deadline)
{
	char buf[HDR_MAX];
	bool renamed;
	int n;

	if (s == NULL)
		return -EINVAL;
	n = snprintf(buf, sizeof(buf),
		     "# dualbackup trial\n"
		     "# commit: %" PRIu64 "\n"
		     "# rollback-to: %" PRIu64 "\n"
		     "# deadline: %lld\n"
		     "# end\n",
		     commit_id, rollback_to, (long long)deadline);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	return replace_at(s->dfd, TRIAL, buf, (size_t)n, NULL, 0, &renamed);
}

int store_trial_load(struct store *s, uint64_t *commit_id, uint64_t *rollback_to, time_t *deadline)
{
	char buf[HDR_MAX + 1];
	const char *p = buf, *end;
	uint64_t c, r;
	size_t got;
	time_t d;
	int fd, rc;

	if (s == NULL || commit_id == NULL || rollback_to == NULL || deadline == NULL)
		return -EINVAL;
	fd = openat(s->dfd, TRIAL, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	/* one byte more than a record can take, to see an overlong file */
	rc = read_all(fd, buf, sizeof(buf), &got);
	close(fd);
	if (rc < 0)
		return rc;
	end = buf + got;
	if (got > HDR_MAX || empty_field(&p, end, "# dualbackup trial") < 0 ||
	    u64_field(&p, end, "# commit: ", &c) < 0 ||
	    u64_field(&p, end, "# rollback-to: ", &r) < 0 ||
	    time_field(&p, end, "# deadline: ", &d) < 0 || empty_field(&p, end, "# end") < 0 ||
	    p != end)
		return -EBADMSG;
	*commit_id = c;
	*rollback_to = r;
	*deadline = d;
	return 0;
}

int store_trial_clear(struct store *s)
{
	if (s == NULL)
		return -EINVAL;
	if (unlinkat(s->dfd, TRIAL, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	return fsync(s->dfd) < 0 ? -errno : 0;
}
