/* common/pidwatch: a neighbour's end is known at once, from the kernel,
 * with nothing sent or polled while it lives. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "common/pidwatch.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/standin.h"

struct seen {
	int fired;
	struct pidwatch *w;
	int free_in_cb;
};

static void on_end(struct pidwatch *w, void *arg)
{
	struct seen *s = arg;

	ck_assert_ptr_eq(w, s->w);
	s->fired++;
	if (s->free_in_cb) {
		pidwatch_free(w);
		s->w = NULL;
	}
}

/* Runs the loop for up to ms, or until *flag is set. */
static void run_until(uv_loop_t *loop, const int *flag, int ms)
{
	uint64_t end = uv_now(loop) + (uint64_t)ms;

	while (!*flag && uv_now(loop) < end) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(1000);
		uv_update_time(loop);
	}
}

static void close_loop(uv_loop_t *loop)
{
	uv_run(loop, UV_RUN_NOWAIT); /* the close callbacks */
	ck_assert_int_eq(uv_loop_close(loop), 0);
}

START_TEST(a_living_process_is_quiet_and_its_end_is_told_once)
{
	uv_loop_t loop;
	struct seen s = {0};
	pid_t p = standin_start();

	uv_loop_init(&loop);
	s.w = pidwatch_new(&loop, p, on_end, &s);
	ck_assert_ptr_nonnull(s.w);
	ck_assert_int_eq(pidwatch_pid(s.w), p);
	run_until(&loop, &s.fired, 200);
	ck_assert_int_eq(s.fired, 0); /* alive: nothing */
	kill(p, SIGKILL);
	run_until(&loop, &s.fired, 5000);
	ck_assert_int_eq(s.fired, 1);
	waitpid(p, NULL, 0);
	run_until(&loop, &s.fired, 50);
	ck_assert_int_eq(s.fired, 1);
	pidwatch_free(s.w);
	close_loop(&loop);
}
END_TEST

START_TEST(a_process_already_gone_is_told_from_the_loop)
{
	uv_loop_t loop;
	struct seen s = {.free_in_cb = 1};
	pid_t p = fork();

	ck_assert_int_ge(p, 0);
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0); /* reaped: the pid names nobody now */
	uv_loop_init(&loop);
	s.w = pidwatch_new(&loop, p, on_end, &s);
	ck_assert_ptr_nonnull(s.w);
	ck_assert_int_eq(s.fired, 0); /* not from inside pidwatch_new */
	run_until(&loop, &s.fired, 1000);
	ck_assert_int_eq(s.fired, 1);
	ck_assert_ptr_null(s.w); /* freed inside the callback */
	close_loop(&loop);
}
END_TEST

START_TEST(follow_keeps_a_watch_on_the_same_pid_and_moves_to_a_new_one)
{
	uv_loop_t loop;
	struct seen s = {0};
	struct pidwatch *w = NULL, *first;
	pid_t a = standin_start(), b = standin_start();

	uv_loop_init(&loop);
	ck_assert_int_eq(pidwatch_follow(&w, &loop, (uint64_t)a, on_end, &s), 1);
	first = w;
	ck_assert_int_eq(pidwatch_follow(&w, &loop, (uint64_t)a, on_end, &s), 1);
	ck_assert_ptr_eq(w, first);
	/* a new process: the old one's end no longer matters */
	ck_assert_int_eq(pidwatch_follow(&w, &loop, (uint64_t)b, on_end, &s), 1);
	ck_assert_int_eq(pidwatch_pid(w), b);
	s.w = w;
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	run_until(&loop, &s.fired, 200);
	ck_assert_int_eq(s.fired, 0);
	kill(b, SIGKILL);
	run_until(&loop, &s.fired, 5000);
	ck_assert_int_eq(s.fired, 1);
	waitpid(b, NULL, 0);
	/* pid 0 (a sender that did not say) and nonsense: no watch */
	ck_assert_int_eq(pidwatch_follow(&w, &loop, 0, on_end, &s), 0);
	ck_assert_ptr_null(w);
	ck_assert_int_eq(pidwatch_follow(&w, &loop, (uint64_t)1 << 40, on_end, &s), 0);
	ck_assert_ptr_null(pidwatch_new(&loop, -1, on_end, &s));
	close_loop(&loop);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_living_process_is_quiet_and_its_end_is_told_once,
	    a_process_already_gone_is_told_from_the_loop,
	    follow_keeps_a_watch_on_the_same_pid_and_moves_to_a_new_one,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("pidwatch", &core, 1);
}
