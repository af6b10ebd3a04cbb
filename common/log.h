/* Logging: stderr in the foreground (-d); otherwise the systemd journal's
 * native protocol when its socket takes it, so that events carry their
 * fields (log_event()), and syslog when there is no journal. */
#ifndef DB_LOG_H
#define DB_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h> /* LOG_INFO ... for log_event() */

/* Start logging as `ident`; to stderr when foreground, else syslog. */
void log_init(const char *ident, bool foreground);

/* Raise verbosity so log_debug() is emitted. */
void log_set_debug(bool on);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Events operators search the journal for (docs/journal.md): each has a
 * stable MESSAGE_ID, and the catalog systemd/dualbackup.catalog explains
 * it (journalctl -x). */
#define LOG_MSGID_VRRP_STATE "f740ceb056434d93b2b2d170b5d39d34"  /* a VRRP group changed state */
#define LOG_MSGID_RBS_CHANNEL "bbc4453b1a584daaa9d8adaa755d6f45" /* an RBS channel up or down */
#define LOG_MSGID_RBP_TAKEOVER "3bf2c02d270c4ac9810394e8502e9fab" /* users restored at a takeover */
#define LOG_MSGID_RBP_DUAL "0e0318642b684a1fadf000db1a5ce351" /* both devices master, or no longer */

/* One field of an event: name is a journal field name (upper case,
 * digits and '_', not starting with '_'), value any text. */
struct log_field {
	const char *name;
	const char *value;
};

#define LOG_FIELDS_MAX 12

/* Logs fmt at syslog priority pri (LOG_INFO, LOG_WARNING ...) like
 * log_info(); in the journal with MESSAGE_ID=msgid and the n fields
 * (at most LOG_FIELDS_MAX; more are left out). On stderr and syslog the
 * message alone. */
void log_event(int pri, const char *msgid, const struct log_field *f, size_t n,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The process cannot go on: log and exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
