/*
 * Knowing at once that a process has ended: a pidfd (pidfd_open(2),
 * Linux 5.3) watched on the loop, readable when the process exits.
 *
 * The daemons learn each other's process ids from the messages they
 * exchange on the daemon-only endpoints (common/peer.h): cfgd from each
 * daemon's HELLO, the daemons from cfgd's, vrrpd from rbpd's gates, rbpd
 * from vrrpd's state list and rbsd's credit. Watching those processes is
 * what lets them go quiet when nothing changes (no once-a-second message
 * to prove that a neighbour still lives) and still notice a neighbour's
 * death at once rather than after a silence. A process hung but alive is
 * still found by its silence, on a longer clock. All the daemons of a
 * device run in one PID namespace (one host, systemd): a pid carried in a
 * message names the same process on both sides.
 */
#ifndef DB_PIDWATCH_H
#define DB_PIDWATCH_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

struct pidwatch;

/* The watched process ended (or was already gone when the watch began). */
typedef void (*pidwatch_cb)(struct pidwatch *w, void *arg);

/* Watch process `pid` (> 0). Returns a watch, or NULL when the kernel
 * cannot give a pidfd (no pidfd_open: ENOSYS; out of descriptors), with
 * errno set: the caller then relies on the longer clock. A process that
 * no longer exists makes the callback run from the loop, once. */
struct pidwatch *pidwatch_new(uv_loop_t *loop, pid_t pid, pidwatch_cb cb, void *arg);

/* The watched pid. */
pid_t pidwatch_pid(const struct pidwatch *w);

/* Stop watching and free, also from inside the callback. NULL is ignored. */
void pidwatch_free(struct pidwatch *w);

/* *wp watches `pid` from now on: kept when it already does, else the old
 * watch is freed and a new one started (none for pid 0, or when the
 * kernel gives no pidfd). Returns whether *wp watches pid now. */
int pidwatch_follow(struct pidwatch **wp, uv_loop_t *loop, uint64_t pid, pidwatch_cb cb, void *arg);

#endif
