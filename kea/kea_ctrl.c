#include "kea/kea_ctrl.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MAX (256u << 20) /* lease4-get-all of a million leases fits */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int64_t left = deadline - now_ms();
	int rc;

	if (left <= 0)
		return -ETIMEDOUT;
	do
		rc = poll(&p, 1, (int)left);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc == 0 ? -ETIMEDOUT : 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static int send_all(int fd, const char *s, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int rc = wait_fd(fd, POLLOUT, deadline);

			if (rc < 0)
				return rc;
			continue;
		}
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until one whole JSON value has arrived (Kea may keep the
 * connection open) or the peer closes. */
static int read_answer(int fd, int64_t deadline, struct json_object **out)
{
	struct json_tokener *tok = json_tokener_new();
	char buf[65536];
	size_t total = 0;
	int rc = -EPROTO;

	if (tok == NULL)
		return -ENOMEM;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((rc = wait_fd(fd, POLLIN, deadline)) < 0)
				break;
			rc = -EPROTO;
			continue;
		}
		if (n <= 0 || (total += (size_t)n) > ANSWER_MAX) {
			rc = n < 0 ? -errno : -EPROTO;
			break;
		}
		*out = json_tokener_parse_ex(tok, buf, (int)n);
		if (*out != NULL) {
			rc = json_object_is_type(*out, json_type_object) ? 0 : -EPROTO;
			if (rc < 0) {
				json_object_put(*out);
				*out = NULL;
			}
			break;
		}
		if (json_tokener_get_error(tok) != json_tokener_continue)
			break;
	}
	json_tokener_free(tok);
	return rc;
}

int kc_command(const char *path, const char *cmd, int timeout_ms, struct json_object **answer)
{
	int64_t deadline = now_ms() + timeout_ms;
	int fd = connect_to(path), rc;

	*answer = NULL;
	if (fd < 0)
		return fd;
	if ((rc = wait_fd(fd, POLLOUT, deadline)) == 0 &&
	    (rc = send_all(fd, cmd, strlen(cmd), deadline)) == 0)
		rc = read_answer(fd, deadline, answer);
	close(fd);
	return rc;
}

int kc_result(const struct json_object *answer)
{
	struct json_object *r;

	if (answer == NULL || !json_object_object_get_ex(answer, "result", &r) ||
	    !json_object_is_type(r, json_type_int))
		return -1;
	return json_object_get_int(r);
}

int kc_text_has(const struct json_object *answer, const char *needle)
{
	struct json_object *t;

	if (answer == NULL || !json_object_object_get_ex(answer, "text", &t) ||
	    !json_object_is_type(t, json_type_string))
		return 0;
	return strstr(json_object_get_string(t), needle) != NULL;
}
