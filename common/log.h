/* Logging: stderr in the foreground (-d), syslog (the journal) otherwise. */
#ifndef DB_LOG_H
#define DB_LOG_H

#include <stdbool.h>

/* Start logging as `ident`; to stderr when foreground, else syslog. */
void log_init(const char *ident, bool foreground);

/* Raise verbosity so log_debug() is emitted. */
void log_set_debug(bool on);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The process cannot go on: log and exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
