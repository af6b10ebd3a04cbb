/*
 * A stand-in process: a neighbour daemon's pid for a suite that plays
 * that daemon in its own process (tests/check_cfgd.c, check_vrrpd.c,
 * check_rbpd.c). The daemon under test watches the pid it is told
 * (common/pidwatch.h); the test ends the stand-in to play the neighbour's
 * death. A stand-in dies with the test's process, also when the test
 * fails before it ends it.
 */
#ifndef DB_STANDIN_H
#define DB_STANDIN_H

#include <sys/types.h>

/* A child that waits for its end; a failure to fork fails the test. */
pid_t standin_start(void);

/* Kills it (SIGKILL) and reaps it. */
void standin_end(pid_t pid);

#endif
