/* A process's end, on the loop (common/pidwatch.h). */
#include "common/pidwatch.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

struct pidwatch {
	uv_poll_t poll; /* on the pidfd, when there is one */
	uv_idle_t gone; /* the process was gone before the watch began */
	int fd;		/* the pidfd, -1: none (gone) */
	int closing;	/* handles left to close */
	pid_t pid;
	pidwatch_cb cb;
	void *arg;
};

static void on_closed(uv_handle_t *h)
{
	struct pidwatch *w = h->data;

	if (--w->closing == 0) {
		if (w->fd >= 0)
			close(w->fd);
		free(w);
	}
}

static void fire(struct pidwatch *w)
{
	pidwatch_cb cb = w->cb;

	w->cb = NULL; /* once */
	if (cb)
		cb(w, w->arg);
}

static void on_exit_readable(uv_poll_t *p, int status, int events)
{
	struct pidwatch *w = p->data;

	(void)status;
	(void)events;
	uv_poll_stop(p);
	fire(w);
}

static void on_gone(uv_idle_t *i)
{
	struct pidwatch *w = i->data;

	uv_idle_stop(i);
	fire(w);
}

struct pidwatch *pidwatch_new(uv_loop_t *loop, pid_t pid, pidwatch_cb cb, void *arg)
{
	struct pidwatch *w;
	int fd;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && errno != ESRCH)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		if (fd >= 0)
			close(fd);
		errno = ENOMEM;
		return NULL;
	}
	w->fd = fd;
	w->pid = pid;
	w->cb = cb;
	w->arg = arg;
	uv_idle_init(loop, &w->gone);
	w->gone.data = w;
	w->closing = 1;
	if (fd < 0) {
		uv_idle_start(&w->gone, on_gone);
		return w;
	}
	if (uv_poll_init(loop, &w->poll, fd) != 0) {
		/* cannot watch it: say so as the kernel would */
		w->fd = -1;
		close(fd);
		uv_close((uv_handle_t *)&w->gone, on_closed);
		errno = EBADF;
		return NULL;
	}
	w->poll.data = w;
	w->closing = 2;
	uv_poll_start(&w->poll, UV_READABLE, on_exit_readable);
	return w;
}

pid_t pidwatch_pid(const struct pidwatch *w)
{
	return w->pid;
}

void pidwatch_free(struct pidwatch *w)
{
	if (w == NULL)
		return;
	w->cb = NULL;
	uv_close((uv_handle_t *)&w->gone, on_closed);
	if (w->closing == 2)
		uv_close((uv_handle_t *)&w->poll, on_closed);
}

int pidwatch_follow(struct pidwatch **wp, uv_loop_t *loop, uint64_t pid, pidwatch_cb cb, void *arg)
{
	if (*wp && (uint64_t)pidwatch_pid(*wp) == pid)
		return 1;
	pidwatch_free(*wp);
	*wp = NULL;
	if (pid == 0 || pid > (uint64_t)INT32_MAX)
		return 0;
	*wp = pidwatch_new(loop, (pid_t)pid, cb, arg);
	return *wp != NULL;
}
