/*
 * The durable commit history of cfgd, and its pending trial commit.
 *
 * Layout under the state directory DIR:
 *
 *   DIR/commits/<id>.cfg   one commit, id zero-padded to 20 digits so names sort
 *   DIR/trial              the pending "commit trial N", when there is one
 *   *.tmp                  a write in progress; never read, removed by store_open()
 *
 * Every file is replaced atomically: written to NAME.tmp, fsync'ed, renamed
 * over NAME, then the directory is fsync'ed. A crash (kill -9, power loss)
 * at any instant leaves either the old file or the new one, never a mix.
 *
 * A commit file is a header then exactly `length` bytes of text:
 *
 *   # dualbackup commit
 *   # id: 1000000001
 *   # time: 1732460000
 *   # user: root
 *   # label: my-label
 *   # length: 1234
 *   # end
 *   <text>
 *
 * A file whose header is incomplete or whose body is not exactly `length`
 * bytes is corrupt: it is reported (-EBADMSG) or skipped, never half-read.
 *
 * Not thread-safe; one process owns a state directory at a time.
 */
#ifndef DB_STORE_H
#define DB_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define STORE_KEEP 100 /* commits kept; older ones are pruned after each write */

struct store;

struct store_commit {
	uint64_t id; /* e.g. 1000000001 */
	time_t time;
	char user[64];
	char label[64]; /* "" when none */
	char *text;	/* the full configuration after this commit, NUL-terminated;
			 * NULL in store_list() results */
	size_t len;	/* strlen(text) */
};

/*
 * Open the store in `dir`: creates `dir` (one level, mode 0700) and
 * `dir`/commits when missing, and removes stale *.tmp files left by an
 * interrupted write in both. On success *out is a new handle the caller
 * releases with store_close(). Returns 0 or -errno (*out untouched).
 */
int store_open(struct store **out, const char *dir);

/* Release a handle from store_open(). NULL is accepted. */
void store_close(struct store *s);

/*
 * Durably add commit c (the caller keeps ownership of c and its text):
 * writes DIR/commits/<id>.cfg.tmp, fsyncs it, renames it to <id>.cfg and
 * fsyncs the directory; then prunes the history to the STORE_KEEP newest
 * ids. An existing commit with the same id is overwritten.
 *
 * c->text must hold c->len bytes without a NUL; c->user and c->label must
 * be NUL-terminated and contain no newline.
 *
 * Returns 0 once the commit is durable (a failed prune is not an error:
 * it is retried after the next write), -EINVAL for a malformed commit,
 * -EFBIG for a text too large to be read back, or another -errno. On
 * failure the commit is not in the store, so recovery never finds a commit
 * the caller was told failed (an older commit of the same id may be lost).
 */
int store_write(struct store *s, const struct store_commit *c);

/*
 * Metadata of every commit, newest (highest id) first. On success *out is
 * a malloc'd array of *n entries (never NULL, also when *n is 0) that the
 * caller frees with free(); each entry's text is NULL and len is the text
 * length recorded in the file.
 *
 * Only the header and the file size are checked here; files that do not
 * pass are skipped and counted (see store_skipped()). Returns 0 or -errno
 * (then *out and *n are untouched).
 */
int store_list(struct store *s, struct store_commit **out, size_t *n);

/*
 * Load commit `id` with its text into *out. On success out->text is
 * malloc'd and owned by the caller, who releases it with
 * store_commit_free(). Returns 0, -ENOENT when there is no such commit,
 * -EBADMSG when its file is corrupt, or another -errno; on failure
 * out->text is NULL.
 */
int store_load(struct store *s, uint64_t id, struct store_commit *out);

/*
 * Load the newest commit that parses, like store_load(); corrupt newer
 * files are skipped and counted (see store_skipped()). Returns 0, -ENOENT
 * when no commit parses, or another -errno.
 */
int store_latest(struct store *s, struct store_commit *out);

/* Free c->text (the struct itself stays the caller's) and set it to NULL. */
void store_commit_free(struct store_commit *c);

/* Corrupt commit files skipped by the last store_list() or store_latest(). */
unsigned store_skipped(const struct store *s);

/* The highest id among the commit files the last store_latest() saw,
 * readable or not; 0 when there were none. A fresh start over unreadable
 * files numbers its commits above it, so they are never overwritten. */
uint64_t store_newest_id(const struct store *s);

/*
 * Durably record the pending trial commit ("commit trial N") in DIR/trial,
 * replacing any previous one, atomically like store_write(): commit
 * `commit_id` rolls back to `rollback_to` at `deadline` unless confirmed.
 * Returns 0 or -errno; on failure DIR/trial holds the previous record or,
 * only when the final directory fsync failed, the new one.
 */
int store_trial_save(struct store *s, uint64_t commit_id, uint64_t rollback_to, time_t deadline);

/*
 * Read the pending trial commit. Returns 0 and fills the three outputs,
 * -ENOENT when there is none, -EBADMSG when DIR/trial is corrupt, or
 * another -errno (outputs untouched on failure).
 */
int store_trial_load(struct store *s, uint64_t *commit_id, uint64_t *rollback_to, time_t *deadline);

/* Durably remove the pending trial commit. Returns 0 (also when there was
 * none) or -errno. */
int store_trial_clear(struct store *s);

/*
 * Atomically and durably replace `path` with the `len` bytes of buf: write
 * PATH.tmp beside it (mode 0600), fsync, rename over `path`, fsync the
 * directory. The caller keeps buf. Returns 0 or -errno; on failure `path`
 * holds its old content (or, only when the final directory fsync failed,
 * the new one), never a mix of both.
 */
int store_write_file(const char *path, const void *buf, size_t len);

#endif
