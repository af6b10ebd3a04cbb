/* A stand-in process for a neighbour daemon (tests/lib/standin.h). */
#include "tests/lib/standin.h"

#include <check.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t standin_start(void)
{
	pid_t p = fork();

	ck_assert_int_ge(p, 0);
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* not outliving a failed test */
		pause();
		_exit(0);
	}
	return p;
}

void standin_end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
