#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <time.h>

static bool to_stderr = true;
static bool debug;
static const char *log_ident = "dualbackup";

void log_init(const char *ident, bool foreground)
{
	log_ident = ident;
	to_stderr = foreground;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* One line to the journal's native socket: 0, or negative errno when
 * there is no journal (then syslog takes it). */
static int journal(int pri, const char *msg, const char *msgid, const struct log_field *f,
		   size_t n)
{
	char kv[LOG_FIELDS_MAX + 5][320]; /* kv[0] unused: iov[0] is the message */
	struct iovec iov[LOG_FIELDS_MAX + 5];
	size_t k = 0;

	iov[k].iov_base = (void *)msg;
	iov[k++].iov_len = strlen(msg);
	snprintf(kv[k], sizeof(kv[k]), "PRIORITY=%d", pri);
	snprintf(kv[k + 1], sizeof(kv[k + 1]), "SYSLOG_IDENTIFIER=%s", log_ident);
	snprintf(kv[k + 2], sizeof(kv[k + 2]), "SYSLOG_FACILITY=%d", LOG_DAEMON >> 3);
	for (size_t i = 0; i < 3; i++, k++) {
		iov[k].iov_base = kv[k];
		iov[k].iov_len = strlen(kv[k]);
	}
	if (msgid) {
		snprintf(kv[k], sizeof(kv[k]), "MESSAGE_ID=%s", msgid);
		iov[k].iov_base = kv[k];
		iov[k].iov_len = strlen(kv[k]);
		k++;
	}
	for (size_t i = 0; i < n && i < LOG_FIELDS_MAX; i++, k++) {
		snprintf(kv[k], sizeof(kv[k]), "%s=%s", f[i].name, f[i].value ? f[i].value : "");
		iov[k].iov_base = kv[k];
		iov[k].iov_len = strlen(kv[k]);
	}
	return sd_journal_sendv(iov, (int)k);
}

void log_set_debug(bool on)
{
	debug = on;
}

static void vlog_fields(int pri, const char *msgid, const struct log_field *f, size_t n,
			const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];
	char line[1100];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (to_stderr) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s%s%s\n", stamp, ts.tv_nsec / 1000000, log_ident,
			msg, suffix ? ": " : "", suffix ? suffix : "");
		return;
	}
	snprintf(line, sizeof(line), "MESSAGE=%s%s%s", msg, suffix ? ": " : "",
		 suffix ? suffix : "");
	if (journal(pri, line, msgid, f, n) < 0)
		syslog(pri, "%s", line + strlen("MESSAGE="));
}

static void vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	vlog_fields(pri, NULL, NULL, 0, fmt, ap, suffix);
}

void log_event(int pri, const char *msgid, const struct log_field *f, size_t n,
	       const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (pri == LOG_DEBUG && !debug)
		return;
	va_start(ap, fmt);
	vlog_fields(pri, msgid, f, n, fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

#define LOG_FN(name, pri, with_errno)                                                              \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		int saved = errno;                                                                 \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(pri, fmt, ap, with_errno ? strerror(saved) : NULL);                           \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
