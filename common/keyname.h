/*
 * The name of an object by a name and a number ("eth1/2" for VRRP group 2
 * on eth1), written without printf: a commit of thousands of groups names
 * each at every line it has, and vrrpd looks each of them up at every
 * commit. vrrpd's group keys and cfgd's group ids are made here.
 */
#ifndef DB_KEYNAME_H
#define DB_KEYNAME_H

#include <stddef.h>

/* "NAME<sep>NUM" into buf, len bytes with the NUL (len >= 12): the name
 * is cut to leave room for the number. Returns where the NUL is, for the
 * caller's suffix (within len). */
static inline char *keyname(char *buf, size_t len, const char *name, char sep, unsigned num)
{
	char digits[10];
	size_t n = 0, nd = 0;

	while (n < len - 12 && name[n]) {
		buf[n] = name[n];
		n++;
	}
	buf[n++] = sep;
	do
		digits[nd++] = (char)('0' + num % 10);
	while ((num /= 10) != 0);
	while (nd > 0)
		buf[n++] = digits[--nd];
	buf[n] = '\0';
	return buf + n;
}

#endif
