/*
 * What the text displays of every daemon print the same way.
 */
#ifndef DB_SHOW_H
#define DB_SHOW_H

#include <stddef.h>
#include <time.h>

/* A wall-clock time as the displays show it: "2026-12-06 11:35:17",
 * local time. */
static inline void show_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

#endif
