/* The VRRP state machine of one group: see vrrp_fsm.h. */
#include <stddef.h>
#include <string.h>

#include "vrrpd/vrrp_fsm.h"
#include "common/deadline.h"

/* Why the state changed: one text per kind of transition, so that a log
 * line alone tells the operator which rule fired. */
#define R_STARTUP "startup"
#define R_STARTUP_OWNER "startup, priority 255: address owner"
#define R_LINK_UP "interface up"
#define R_LINK_UP_OWNER "interface up, priority 255: address owner"
#define R_LINK_DOWN "interface down"
#define R_SHUTDOWN "shutdown"
#define R_MASTER_DOWN "master down timer expired"
#define R_MASTER_LEFT "master left (priority 0), skew time expired"
#define R_MASTER_BFD "the master's BFD session went down"
#define R_PREEMPT_DELAY "preempt delay expired"
#define R_PREEMPT "preempt: local priority higher than the master's"
#define R_PREEMPT_OWNER "preempt: priority 255, address owner"
#define R_PREEMPT_READY "preempt: the backup of the users is complete"
#define R_PREEMPT_WAIT_MAX "preempt: the backup still incomplete after preempt-wait max"
#define R_CFG_OWNER "priority changed to 255: address owner"
#define R_HIGHER_PRIO "higher priority advertisement received"
#define R_HIGHER_ADDR "equal priority, higher sender address"

#define OWNER_PRIORITY 255

/* Every event starts here: out says "nothing happened" until a rule says
 * otherwise, so that no path leaves it half written. */
static void out_begin(const struct vrrp_fsm *f, struct vrrp_fsm_out *out)
{
	out->actions = 0;
	out->from = f->state;
	out->to = f->state;
	out->reason = NULL;
	out->backup_incomplete = false;
}

static void stop_timers(struct vrrp_fsm *f)
{
	f->adver_at = 0;
	f->master_down_at = 0;
	f->preempt_at = 0;
	f->master_left = false;
	f->wait_until = 0;
}

/* RFC 5798 6.4.1 / 6.4.2 "transition to the Master state": add the
 * addresses, advertise, announce them, start Adver_Timer. */
static void become_master(struct vrrp_fsm *f, uint64_t now, const char *reason,
			  struct vrrp_fsm_out *out)
{
	stop_timers(f);
	f->state = VRRP_STATE_MASTER;
	f->master_adver_ms = f->cfg.adver_interval_ms;
	f->master_priority = f->cfg.priority;
	f->adver_at = now + f->cfg.adver_interval_ms;
	out->actions |= VRRP_ACT_ADD_VIPS | VRRP_ACT_SEND_ADVERT | VRRP_ACT_ANNOUNCE;
	out->to = f->state;
	out->reason = reason;
}

/* Initialize: from a master, the addresses go (after a priority 0
 * advertisement when the caller can still send one). */
static void become_init(struct vrrp_fsm *f, bool send_prio0, const char *reason,
			struct vrrp_fsm_out *out)
{
	if (f->state == VRRP_STATE_MASTER)
		out->actions |= (send_prio0 ? VRRP_ACT_SEND_PRIO0 : 0) | VRRP_ACT_DEL_VIPS;
	stop_timers(f);
	f->master_adver_ms = f->cfg.adver_interval_ms;
	f->master_priority = 0;
	f->state = VRRP_STATE_INIT;
	out->to = f->state;
	if (out->from != out->to)
		out->reason = reason;
}

/* Master_Adver_Interval from an accepted advertisement: a v3 backup adopts
 * the master's (RFC 5798 6.4.2); v2 has no such rule and the caller drops
 * a v2 advertisement whose interval differs from ours (RFC 3768 7.1). */
static void learn_interval(struct vrrp_fsm *f, const struct vrrp_fsm_adv *adv)
{
	if (f->cfg.version == 3)
		f->master_adver_ms = adv->adver_interval_ms;
	else
		f->master_adver_ms = f->cfg.adver_interval_ms;
}

/* A live master of priority prio was heard: Master_Down_Timer restarts
 * from its (learnt) interval. */
static void master_heard(struct vrrp_fsm *f, uint64_t now, const struct vrrp_fsm_adv *adv)
{
	learn_interval(f, adv);
	f->master_priority = adv->priority;
	f->master_left = false;
	f->master_down_at = now + vrrp_fsm_master_down_ms(f);
}

/* RFC 5798 6.4.1 / 6.4.2 entry into Backup, from Initialize or Master. */
static void become_backup(struct vrrp_fsm *f, uint64_t now, const char *reason,
			  struct vrrp_fsm_out *out)
{
	if (f->state == VRRP_STATE_MASTER)
		out->actions |= VRRP_ACT_DEL_VIPS;
	stop_timers(f);
	f->state = VRRP_STATE_BACKUP;
	f->master_down_at = now + vrrp_fsm_master_down_ms(f);
	out->to = f->state;
	out->reason = reason;
}

/* RFC 5798 6.4.1: what a group does when it becomes able to run (startup
 * with the link up, or the link coming up while enabled). */
static void start(struct vrrp_fsm *f, uint64_t now, const char *reason, const char *owner_reason,
		  struct vrrp_fsm_out *out)
{
	if (f->cfg.priority == OWNER_PRIORITY) {
		become_master(f, now, owner_reason, out);
		return;
	}
	f->master_adver_ms = f->cfg.adver_interval_ms;
	f->master_priority = 0;
	become_backup(f, now, reason, out);
}

void vrrp_fsm_init(struct vrrp_fsm *f, const struct vrrp_fsm_cfg *cfg, bool link_up)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->state = VRRP_STATE_INIT;
	f->enabled = false;
	f->link_up = link_up;
	f->master_adver_ms = cfg->adver_interval_ms;
}

void vrrp_fsm_startup(struct vrrp_fsm *f, uint64_t now, struct vrrp_fsm_out *out)
{
	out_begin(f, out);
	if (f->enabled)
		return;
	f->enabled = true;
	if (f->link_up)
		start(f, now, R_STARTUP, R_STARTUP_OWNER, out);
}

void vrrp_fsm_shutdown(struct vrrp_fsm *f, uint64_t now, struct vrrp_fsm_out *out)
{
	(void)now;
	out_begin(f, out);
	f->enabled = false;
	become_init(f, true, R_SHUTDOWN, out);
}

void vrrp_fsm_set_link(struct vrrp_fsm *f, uint64_t now, bool up, struct vrrp_fsm_out *out)
{
	out_begin(f, out);
	if (up == f->link_up)
		return;
	f->link_up = up;
	if (!up)
		become_init(f, false, R_LINK_DOWN, out);
	else if (f->enabled)
		start(f, now, R_LINK_UP, R_LINK_UP_OWNER, out);
}

/* A preemption is due (after its delay): now, or once the gate opens. */
static void preempt(struct vrrp_fsm *f, uint64_t now, const char *reason,
		    struct vrrp_fsm_out *out)
{
	if (f->cfg.preempt_wait_max_ms == 0 || f->gate_open) {
		become_master(f, now, reason, out);
		return;
	}
	f->preempt_at = 0;
	if (f->wait_until == 0)
		f->wait_until = now + f->cfg.preempt_wait_max_ms;
}

/* RFC 5798 6.4.2, with the preemption delay of the note in vrrp_fsm.h. */
static void recv_backup(struct vrrp_fsm *f, uint64_t now, const struct vrrp_fsm_adv *adv,
			struct vrrp_fsm_out *out)
{
	uint8_t prio = f->cfg.priority;
	bool owner = prio == OWNER_PRIORITY;

	if (adv->priority == 0) {
		/* The master is leaving: the backup with the highest priority
		 * has the shortest Skew_Time and speaks first. A pending
		 * preemption gives way to that ordering. */
		f->master_priority = 0;
		f->master_left = true;
		f->preempt_at = 0;
		f->wait_until = 0;
		f->master_down_at = now + vrrp_fsm_skew_ms(f);
		return;
	}
	if (adv->priority >= prio || (!f->cfg.preempt && !owner)) {
		master_heard(f, now, adv);
		f->preempt_at = 0;
		f->wait_until = 0;
		return;
	}
	/* A master of lower priority, and we preempt (or own the addresses). */
	if (owner) {
		become_master(f, now, R_PREEMPT_OWNER, out);
		return;
	}
	master_heard(f, now, adv);
	if (f->wait_until != 0)
		return; /* the delay is over: waiting for the gate */
	if (f->cfg.preempt_delay_ms == 0) {
		preempt(f, now, R_PREEMPT, out);
		return;
	}
	if (f->preempt_at == 0)
		f->preempt_at = now + f->cfg.preempt_delay_ms;
}

/* RFC 5798 6.4.3. */
static void recv_master(struct vrrp_fsm *f, uint64_t now, const struct vrrp_fsm_adv *adv,
			struct vrrp_fsm_out *out)
{
	const char *reason;

	if (adv->priority == 0) {
		/* Another router left: answer at once so that the backups
		 * do not take over after their Skew_Time. */
		out->actions |= VRRP_ACT_SEND_ADVERT;
		f->adver_at = now + f->cfg.adver_interval_ms;
		return;
	}
	if (adv->priority > f->cfg.priority)
		reason = R_HIGHER_PRIO;
	else if (adv->priority == f->cfg.priority && adv->sender_addr_higher)
		reason = R_HIGHER_ADDR;
	else
		return; /* RFC 5798 6.4.3: discard */
	learn_interval(f, adv);
	f->master_priority = adv->priority;
	become_backup(f, now, reason, out);
}

void vrrp_fsm_recv(struct vrrp_fsm *f, uint64_t now, const struct vrrp_fsm_adv *adv,
		   struct vrrp_fsm_out *out)
{
	out_begin(f, out);
	if (f->state == VRRP_STATE_BACKUP)
		recv_backup(f, now, adv, out);
	else if (f->state == VRRP_STATE_MASTER)
		recv_master(f, now, adv, out);
}

static bool expired(uint64_t at, uint64_t now)
{
	return at != 0 && at <= now;
}

void vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now, struct vrrp_fsm_out *out)
{
	out_begin(f, out);
	if (f->state == VRRP_STATE_MASTER) {
		if (expired(f->adver_at, now)) {
			out->actions |= VRRP_ACT_SEND_ADVERT;
			f->adver_at = now + f->cfg.adver_interval_ms;
		}
	} else if (f->state == VRRP_STATE_BACKUP) {
		bool down = expired(f->master_down_at, now);
		bool due = expired(f->preempt_at, now);

		/* Both may have expired when the caller is late: the reason
		 * is the one that expired first. */
		if (due && (!down || f->preempt_at < f->master_down_at))
			preempt(f, now, R_PREEMPT_DELAY, out);
		if (out->to == VRRP_STATE_MASTER)
			return;
		if (down)
			become_master(f, now, f->master_left ? R_MASTER_LEFT : R_MASTER_DOWN, out);
		else if (expired(f->wait_until, now)) {
			become_master(f, now, R_PREEMPT_WAIT_MAX, out);
			out->backup_incomplete = true;
		}
	}
}

void vrrp_fsm_master_gone(struct vrrp_fsm *f, uint64_t now, struct vrrp_fsm_out *out)
{
	out_begin(f, out);
	if (f->state == VRRP_STATE_BACKUP)
		become_master(f, now, R_MASTER_BFD, out);
}

uint64_t vrrp_fsm_next(const struct vrrp_fsm *f)
{
	return deadline_earliest(deadline_earliest(f->adver_at, f->master_down_at),
			deadline_earliest(f->preempt_at, f->wait_until));
}

void vrrp_fsm_set_gate(struct vrrp_fsm *f, uint64_t now, bool open, struct vrrp_fsm_out *out)
{
	out_begin(f, out);
	f->gate_open = open;
	if (open && f->state == VRRP_STATE_BACKUP && f->wait_until != 0)
		become_master(f, now, R_PREEMPT_READY, out);
}

bool vrrp_fsm_waiting(const struct vrrp_fsm *f)
{
	return f->state == VRRP_STATE_BACKUP && f->wait_until != 0;
}

void vrrp_fsm_set_cfg(struct vrrp_fsm *f, uint64_t now, const struct vrrp_fsm_cfg *cfg,
		      struct vrrp_fsm_out *out)
{
	out_begin(f, out);
	f->cfg = *cfg;
	switch (f->state) {
	case VRRP_STATE_INIT:
		f->master_adver_ms = cfg->adver_interval_ms;
		break;
	case VRRP_STATE_MASTER:
		/* The next advertisement carries the new priority and
		 * interval; a shorter interval must not wait for the end of
		 * the old, longer one. */
		f->master_priority = cfg->priority;
		f->master_adver_ms = cfg->adver_interval_ms;
		if (f->adver_at > now + cfg->adver_interval_ms)
			f->adver_at = now + cfg->adver_interval_ms;
		break;
	case VRRP_STATE_BACKUP:
		if (cfg->priority == OWNER_PRIORITY) {
			become_master(f, now, R_CFG_OWNER, out);
			break;
		}
		if (cfg->version != 3)
			f->master_adver_ms = cfg->adver_interval_ms;
		if (!cfg->preempt || cfg->priority <= f->master_priority) {
			f->preempt_at = 0;
			f->wait_until = 0;
		} else if (f->wait_until != 0) {
			/* a new bound counts from now; none: preempt at the
			 * next timer */
			f->wait_until = now + cfg->preempt_wait_max_ms;
		}
		break;
	}
}

/* RFC 5798 6.1 (Master_Adver_Interval in centiseconds there, in ms here,
 * which only makes the result finer). RFC 3768 6.1 scales Skew_Time to
 * one second whatever the interval. */
uint32_t vrrp_fsm_skew_ms(const struct vrrp_fsm *f)
{
	uint64_t scale = f->cfg.version == 2 ? 1000 : f->master_adver_ms;

	return (uint32_t)((256 - (uint64_t)f->cfg.priority) * scale / 256);
}

uint32_t vrrp_fsm_master_down_ms(const struct vrrp_fsm *f)
{
	uint64_t ms = 3 * (uint64_t)f->master_adver_ms + vrrp_fsm_skew_ms(f);

	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

bool vrrp_fsm_cfg_equal(const struct vrrp_fsm_cfg *a, const struct vrrp_fsm_cfg *b)
{
	return a->version == b->version && a->priority == b->priority && a->preempt == b->preempt &&
	       a->preempt_delay_ms == b->preempt_delay_ms &&
	       a->adver_interval_ms == b->adver_interval_ms &&
	       a->preempt_wait_max_ms == b->preempt_wait_max_ms;
}

const char *vrrp_state_str(enum vrrp_state s)
{
	switch (s) {
	case VRRP_STATE_INIT:
		return "Initialize";
	case VRRP_STATE_BACKUP:
		return "Backup";
	case VRRP_STATE_MASTER:
		return "Master";
	}
	return "unknown";
}
