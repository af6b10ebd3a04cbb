/* The notify script's scheduler and path check: see vrrp_notify.h. */
#include "vrrpd/vrrp_notify.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One group's queue: a ring of transitions not yet started. */
struct vrrp_notify_q {
	struct vrrp_notify_q *next;
	char ifname[IF_NAMESIZE];
	unsigned vrid;
	bool ipv6;
	bool running;
	unsigned head, n;
	uint64_t seq, dropped;
	struct vrrp_notify_ev ev[VRRP_NOTIFY_QLEN];
};

static bool same_group(const struct vrrp_notify_q *q, const struct vrrp_notify_ev *ev)
{
	return q->vrid == ev->vrid && q->ipv6 == ev->ipv6 && strcmp(q->ifname, ev->ifname) == 0;
}

static void append(struct vrrp_notify *n, struct vrrp_notify_q *q)
{
	q->next = NULL;
	if (n->tail)
		n->tail->next = q;
	else
		n->head = q;
	n->tail = q;
}

static void unlink_q(struct vrrp_notify *n, struct vrrp_notify_q *q)
{
	struct vrrp_notify_q **pp = &n->head, *prev = NULL;

	while (*pp && *pp != q) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp == NULL)
		return;
	*pp = q->next;
	if (n->tail == q)
		n->tail = prev;
	q->next = NULL;
}

int vrrp_notify_push(struct vrrp_notify *n, const struct vrrp_notify_ev *ev)
{
	struct vrrp_notify_q *q;
	struct vrrp_notify_ev *slot;
	int dropped = 0;

	for (q = n->head; q; q = q->next)
		if (same_group(q, ev))
			break;
	if (q == NULL) {
		q = calloc(1, sizeof(*q));
		if (q == NULL)
			return -ENOMEM;
		snprintf(q->ifname, sizeof(q->ifname), "%s", ev->ifname);
		q->vrid = ev->vrid;
		q->ipv6 = ev->ipv6;
		append(n, q);
	}
	if (q->n == VRRP_NOTIFY_QLEN) {
		q->head = (q->head + 1) % VRRP_NOTIFY_QLEN;
		q->n--;
		q->dropped++;
		n->dropped++;
		dropped = 1;
	}
	slot = &q->ev[(q->head + q->n) % VRRP_NOTIFY_QLEN];
	*slot = *ev;
	slot->ifname[sizeof(slot->ifname) - 1] = '\0';
	slot->reason[sizeof(slot->reason) - 1] = '\0';
	slot->seq = ++q->seq;
	slot->dropped = q->dropped;
	q->n++;
	n->queued++;
	return dropped;
}

struct vrrp_notify_q *vrrp_notify_next(struct vrrp_notify *n, struct vrrp_notify_ev *ev)
{
	if (n->running >= VRRP_NOTIFY_MAX_RUNNING)
		return NULL;
	for (struct vrrp_notify_q *q = n->head; q; q = q->next) {
		if (q->running || q->n == 0)
			continue;
		*ev = q->ev[q->head];
		q->head = (q->head + 1) % VRRP_NOTIFY_QLEN;
		q->n--;
		q->running = true;
		n->running++;
		n->started++;
		return q;
	}
	return NULL;
}

void vrrp_notify_done(struct vrrp_notify *n, struct vrrp_notify_q *q)
{
	if (q == NULL || !q->running)
		return;
	q->running = false;
	n->running--;
	unlink_q(n, q);
	if (q->n == 0) {
		free(q);
		return;
	}
	append(n, q); /* to the back: every busy group gets its turn */
}

size_t vrrp_notify_pending(const struct vrrp_notify *n)
{
	size_t sum = 0;

	for (const struct vrrp_notify_q *q = n->head; q; q = q->next)
		sum += q->n;
	return sum;
}

void vrrp_notify_free(struct vrrp_notify *n)
{
	while (n->head) {
		struct vrrp_notify_q *q = n->head;

		n->head = q->next;
		free(q);
	}
	n->tail = NULL;
	n->running = 0;
}

/* Owned by root, not writable by group or others; a directory writable by
 * them passes only when sticky (then nobody else can replace what root
 * owns in it). */
static int safe_mode(const char *path, const struct stat *st, bool is_dir, char *why, size_t len)
{
	if (st->st_uid != 0) {
		snprintf(why, len, "%s is not owned by root", path);
		return -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(is_dir && (st->st_mode & S_ISVTX))) {
		snprintf(why, len, "%s is writable by group or others", path);
		return -EPERM;
	}
	return 0;
}

int vrrp_notify_check_path(const char *path, char *why, size_t len)
{
	char real[PATH_MAX];
	struct stat st;
	char *slash;
	int rc;

	if (path == NULL || path[0] != '/') {
		snprintf(why, len, "not an absolute path");
		return -EINVAL;
	}
	if (realpath(path, real) == NULL) {
		rc = -errno;
		snprintf(why, len, "%s", strerror(errno));
		return rc;
	}
	if (stat(real, &st) < 0) {
		rc = -errno;
		snprintf(why, len, "%s", strerror(errno));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s is not a regular file", real);
		return -EINVAL;
	}
	if (access(real, X_OK) < 0) {
		rc = -errno;
		snprintf(why, len, "%s: %s", real, strerror(errno));
		return rc;
	}
	rc = safe_mode(real, &st, false, why, len);
	if (rc < 0)
		return rc;
	/* every directory above it, up to / */
	while ((slash = strrchr(real, '/')) != NULL) {
		if (slash == real)
			slash[1] = '\0';
		else
			slash[0] = '\0';
		if (stat(real, &st) < 0) {
			rc = -errno;
			snprintf(why, len, "%s: %s", real, strerror(errno));
			return rc;
		}
		rc = safe_mode(real, &st, true, why, len);
		if (rc < 0)
			return rc;
		if (strcmp(real, "/") == 0)
			break;
	}
	return 0;
}
