/*
 * The state machine of one VRRP group: RFC 5798 6.3 / 6.4 (VRRPv3) and
 * RFC 3768 6.3 / 6.4 (VRRPv2). Pure: no sockets, no clock, no logging.
 * Every event takes the current time in milliseconds (any monotonic
 * origin, never 0) and reports what the caller must do in a
 * struct vrrp_fsm_out. The caller sleeps until vrrp_fsm_next() and then
 * calls vrrp_fsm_timer().
 *
 * A group runs only while it is enabled (vrrp_fsm_startup() .. _shutdown())
 * and its link is up (vrrp_fsm_set_link()); otherwise it sits in
 * Initialize with every timer stopped.
 *
 * Where the RFCs leave room:
 *  - Preemption (RFC 5798 6.4.2 leaves a preempting backup to wait for
 *    Master_Down_Timer): a backup with Preempt_Mode that hears a master of
 *    lower priority takes over once preempt_delay_ms has passed since the
 *    first such advertisement (at once when the delay is 0), as VRP's
 *    `preempt-mode timer delay` does. Until then it keeps the master alive
 *    (Master_Down_Timer is reset as for any valid advertisement). An
 *    advertisement of equal or higher priority cancels the wait, and so
 *    does a priority 0 one: the master is leaving, and Skew_Time decides
 *    which backup takes over (RFC 5798 6.4.2).
 *  - The address owner (priority 255) always preempts (RFC 5798 6.1, the
 *    note under Preempt_Mode), without delay. It does not preempt another
 *    router that claims priority 255 (a misconfiguration): as RFC 5798
 *    6.4.2 says, an advertisement of equal priority keeps it backup, so two
 *    owners settle on the one with the higher address instead of taking
 *    over from each other at every advertisement.
 *  - Preemption that waits for the backup (ours: `peer-backup preempt-wait
 *    max`): a group whose users a remote-backup-profile backs up has
 *    cfg.preempt_wait_max_ms > 0 and a gate that rbpd opens once this
 *    device holds everything the peer holds (vrrp_fsm_set_gate()). When
 *    a preemption is due (delay over) and the gate is closed, the group
 *    stays backup and keeps the master alive, sending nothing, as any
 *    backup does, so the master is not disturbed; it preempts when the
 *    gate opens, or when preempt_wait_max_ms have passed since the
 *    preemption was due, whichever comes first. Only preemption waits: a
 *    master that goes silent or leaves is taken over at once, as there is
 *    nobody to disturb and users need a master. The address owner does
 *    not wait (RFC 5798 6.1: it always preempts).
 *  - Configuration changes (vrrp_fsm_set_cfg()) never cause a transition by
 *    themselves, except that a backup that becomes the address owner takes
 *    over at once; a lower advertisement interval takes effect at the next
 *    advertisement at the latest.
 */
#ifndef DB_VRRP_FSM_H
#define DB_VRRP_FSM_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 5798 6.4 */
enum vrrp_state {
	VRRP_STATE_INIT = 0,
	VRRP_STATE_BACKUP,
	VRRP_STATE_MASTER,
};

/* What the operator configured for the group; RFC 5798 6.1. */
struct vrrp_fsm_cfg {
	uint8_t version;	    /* 2 or 3 */
	uint8_t priority;	    /* 1..255, 255 = address owner */
	bool preempt;		    /* Preempt_Mode */
	uint32_t preempt_delay_ms;  /* see the note on preemption above */
	uint32_t adver_interval_ms; /* Advertisement_Interval in ms, > 0; a multiple of 10
				     * for v3 (centiseconds on the wire), of 1000 for v2 */
	uint32_t preempt_wait_max_ms; /* 0: preemption does not wait for the gate */
};

/* Actions for the caller, OR-ed in vrrp_fsm_out.actions. When several are
 * set, perform them in the order of their values. */
#define VRRP_ACT_SEND_PRIO0 0x01  /* advertise with priority 0: this master is leaving */
#define VRRP_ACT_DEL_VIPS 0x02	  /* remove the virtual addresses from the interface */
#define VRRP_ACT_ADD_VIPS 0x04	  /* add the virtual addresses to the interface */
#define VRRP_ACT_SEND_ADVERT 0x08 /* advertise with cfg.priority and cfg.adver_interval_ms */
#define VRRP_ACT_ANNOUNCE 0x10	  /* gratuitous ARP / unsolicited NA for the addresses */

/* What one event asks of the caller. */
struct vrrp_fsm_out {
	unsigned actions;     /* VRRP_ACT_* */
	enum vrrp_state from; /* state before the event */
	enum vrrp_state to;   /* state after it; equal to from when nothing changed */
	/* Why the state changed, for the log and the published event: a static
	 * string ("master down timer expired", "higher priority advertisement
	 * received", ...); NULL when from == to. */
	const char *reason;
	/* This transition is a preemption at preempt-wait max: the backup
	 * was still incomplete (the caller warns). */
	bool backup_incomplete;
};

/* A valid advertisement for this group (the caller has already dropped
 * anything malformed or mismatched). */
struct vrrp_fsm_adv {
	uint8_t priority;	    /* 0 = the master is leaving */
	uint32_t adver_interval_ms; /* v3: Max Adver Int * 10; v2: Adver Int * 1000 */
	/* The sender's IP address is greater than this router's primary
	 * address on the interface (RFC 5798 6.4.3, equal priorities). */
	bool sender_addr_higher;
};

/* One group. Fields are readable by the caller (display); change them only
 * through the functions below. Times are absolute, 0 = stopped. */
struct vrrp_fsm {
	struct vrrp_fsm_cfg cfg;
	enum vrrp_state state;
	bool enabled;		  /* between startup and shutdown */
	bool link_up;		  /* last vrrp_fsm_set_link() */
	uint32_t master_adver_ms; /* Master_Adver_Interval, RFC 5798 6.1: a v3 backup
				   * learns it from the master; otherwise ours */
	uint8_t master_priority;  /* priority of the current master (ours when master);
				   * 0 when none is known (startup) or it left */
	uint64_t adver_at;	  /* Adver_Timer, RFC 5798 6.2 */
	uint64_t master_down_at;  /* Master_Down_Timer, RFC 5798 6.2 */
	uint64_t preempt_at;	  /* end of the preemption delay */
	/* The master sent priority 0 and Master_Down_Timer runs for Skew_Time
	 * (RFC 5798 6.4.2): its expiry is logged as the master leaving rather
	 * than as a silent master. */
	bool master_left;
	/* Preemption that waits for the backup (the note above): the gate,
	 * and when a due preemption stops waiting for it (0: none is due). */
	bool gate_open;
	uint64_t wait_until;
};

/* Sets up a group in Initialize, not enabled, link as given. */
void vrrp_fsm_init(struct vrrp_fsm *f, const struct vrrp_fsm_cfg *cfg, bool link_up);

/* Startup event (RFC 5798 6.4.1): enables the group. With the link up, the
 * owner becomes master (ADD_VIPS | SEND_ADVERT | ANNOUNCE); anyone else
 * becomes backup with Master_Down_Timer = Master_Down_Interval. */
void vrrp_fsm_startup(struct vrrp_fsm *f, uint64_t now, struct vrrp_fsm_out *out);

/* Shutdown event (RFC 5798 6.4.2 / 6.4.3): disables the group; a master
 * sends priority 0 and removes its addresses (SEND_PRIO0 | DEL_VIPS). */
void vrrp_fsm_shutdown(struct vrrp_fsm *f, uint64_t now, struct vrrp_fsm_out *out);

/* The interface went down or up. Down: Initialize, timers stopped, a master
 * removes its addresses (DEL_VIPS, nothing can be sent). Up: as startup,
 * when enabled. The same value twice is no event. */
void vrrp_fsm_set_link(struct vrrp_fsm *f, uint64_t now, bool up, struct vrrp_fsm_out *out);

/* An advertisement was received (RFC 5798 6.4.2 backup, 6.4.3 master);
 * ignored in Initialize. */
void vrrp_fsm_recv(struct vrrp_fsm *f, uint64_t now, const struct vrrp_fsm_adv *adv,
		   struct vrrp_fsm_out *out);

/* Runs every timer that has expired at now (Adver_Timer, Master_Down_Timer,
 * preemption delay). Calling it early is harmless. */
void vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now, struct vrrp_fsm_out *out);

/* rbpd opened (the backup is complete) or closed the gate of the group;
 * a preemption that waited for it happens now. Closed after
 * vrrp_fsm_init(). */
/* Something faster than the Master_Down_Timer (a peer BFD session to the
 * master's address) says the master is gone: a Backup becomes Master now,
 * as if the timer had expired; any other state is left as it is. */
void vrrp_fsm_master_gone(struct vrrp_fsm *f, uint64_t now, struct vrrp_fsm_out *out);

void vrrp_fsm_set_gate(struct vrrp_fsm *f, uint64_t now, bool open, struct vrrp_fsm_out *out);

/* Whether a due preemption is waiting for the gate now. */
bool vrrp_fsm_waiting(const struct vrrp_fsm *f);

/* The earliest running timer, or 0 when none runs. */
uint64_t vrrp_fsm_next(const struct vrrp_fsm *f);

/* Changes the configuration of a running group; see the note above. */
void vrrp_fsm_set_cfg(struct vrrp_fsm *f, uint64_t now, const struct vrrp_fsm_cfg *cfg,
		      struct vrrp_fsm_out *out);

/* Skew_Time and Master_Down_Interval in ms for the current
 * Master_Adver_Interval and priority (RFC 5798 6.1; RFC 3768 6.1 for v2,
 * where Skew_Time is (256 - Priority) / 256 s). */
uint32_t vrrp_fsm_skew_ms(const struct vrrp_fsm *f);
uint32_t vrrp_fsm_master_down_ms(const struct vrrp_fsm *f);

/* "Initialize", "Backup" or "Master" (VRP's words); never NULL. */
const char *vrrp_state_str(enum vrrp_state s);

/* Whether two configurations are the same, field by field: applying the
 * same one again must not touch the state machine (a commit elsewhere
 * would otherwise restart a running preempt-wait bound). */
bool vrrp_fsm_cfg_equal(const struct vrrp_fsm_cfg *a, const struct vrrp_fsm_cfg *b);

#endif
