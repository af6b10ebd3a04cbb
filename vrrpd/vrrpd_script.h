/*
 * The operator's notify script at work: vrrp_notify.h decides which
 * transition runs when; this part spawns the script, bounds its time
 * (SIGTERM, then SIGKILL, to its whole process group) and reaps it.
 */
#ifndef DB_VRRPD_SCRIPT_H
#define DB_VRRPD_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "vrrpd/vrrp_fsm.h"
#include "vrrpd/vrrp_notify.h"

struct vrrpd_script_proc;

struct vrrpd_script {
	uv_loop_t *loop;
	char *path;			 /* vrrp notify-script; NULL: none */
	struct vrrp_notify sched;	 /* queues, counts (vrrp_notify.h) */
	struct vrrpd_script_proc *procs; /* running */
	uint64_t killed;		 /* timed out */
	uint64_t failed;		 /* refused or could not be started */
	bool refused_logged;		 /* the path's refusal is in the log */
};

void vrrpd_script_init(struct vrrpd_script *s, uv_loop_t *loop);
/* The configured path (NULL or "": none), checked again at each run. */
void vrrpd_script_set_path(struct vrrpd_script *s, const char *path);
/* Queue one transition of a group; the script runs when the scheduler
 * allows. */
void vrrpd_script_push(struct vrrpd_script *s, const char *ifname, unsigned vrid, bool ipv6,
		       enum vrrp_state from, enum vrrp_state to, const char *reason);
/* After the loop's final walk closed the handles of scripts still running. */
void vrrpd_script_free(struct vrrpd_script *s);

#endif
