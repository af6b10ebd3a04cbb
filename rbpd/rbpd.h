/*
 * rbpd's shared state, between its files (one job each):
 *   rbpd_main.c  main()
 *   rbpd.c       life, VRRP group states, roles and switchovers (takeover,
 *                handover, the download delay), split brain, the
 *                preemption gates
 *   rbpd_conf.c  configuration (check, apply): profiles and the channels
 *                of the services they name
 *   rbpd_show.c  display remote-backup-profile, text and JSON
 *   rbpd_feed.c  the link to rbsd: what this device is master for goes to
 *                the peer, what the peer sends comes into the tables
 *   rbpd_applied.c  what of the peer's entries was applied, told rbsd
 *                once per turn of the loop (RbsApplied)
 *   rbpd_ae.c    anti-entropy rounds (docs/antientropy.md)
 *   rbpd_kern.c  ARP and ND: learned from the kernel while master,
 *                installed in it while backup (hot) or at a takeover
 *   rbpd_api.c   the user-information API for services (proto/user.proto)
 *
 * Users live in one table per remote-backup-service (user_table.h), as
 * records (rbp_rec.h) holding the backup-id of their profile: the same
 * table holds what this device is master for (origin local) and the
 * peer's copies (origin peer). A user's role follows the state of the
 * VRRP group its MAC's parity selects (rbp_role.h); when that group
 * becomes master here, the peer's copies become this device's own.
 */
#ifndef DB_RBPD_H
#define DB_RBPD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "common/arena.h"
#include "common/bus.h"
#include "common/errlist.h"
#include "common/pidwatch.h"
#include "config.pb-c.h"
#include "rbpd/rbp_admit.h"
#include "rbpd/rbp_dual.h"
#include "rbpd/rbp_fifo.h"
#include "rbpd/rbp_hlc.h"
#include "rbpd/rbp_lag.h"
#include "rbpd/rbp_ready.h"
#include "rbpd/rbp_rec.h"
#include "rbpd/rbp_role.h"
#include "rbpd/rbp_sync.h"
#include "rbpd/user_table.h"
#include "rbs.pb-c.h"

#define RBPD_MAX_IFACES 16 /* access interfaces of one profile, bindings' included */

/* A remote-backup-service the profiles name: its users, and rbsd's side. */
struct chan {
	struct chan *next;
	struct rbpd *d;
	char name[64];
	struct ut_table *t;
	bool used; /* still named by a profile (configuration apply) */

	/* rbsd: credit since the attachment `attach` */
	uint64_t attach, sent_e, sent_b, credit_e, credit_b;
	bool attached, up;
	/* the peer's entries rbsd handed since the attachment and this table
	 * applied, and how many of them rbsd was told (rbpd_applied.c) */
	uint64_t rx_applied, rx_told;
	/* the roles rbsd holds for the peer: a hash of the last RbsRoles
	 * sent and the attachment it went to (rbpd_feed_send_roles()) */
	uint64_t roles_hash, roles_attach;
	char reason[160], mismatch[512];

	/* changes of local users not handed to rbsd yet, oldest first */
	struct rbp_fifo q;
	size_t q_peak;
	uint64_t q_overflows;
	/* the queue's changes counted since rbpd started: pushed, and taken
	 * (handed to rbsd, or dropped with the queue); the user API's
	 * requests that wait for the peer to hold theirs (rbp_sync.h) */
	uint64_t q_pushed, q_taken;
	struct rbp_sync sync;
	uint64_t api_mark; /* q_pushed before the request being taken */

	/* a batch to the peer: its types, and the cursor while it runs */
	bool batch_pending, batch_running;
	Db__RbsServiceType batch_types[UT_SVC_COUNT];
	size_t n_batch_types;
	struct ut_cursor cur;
	uint64_t batch_count, batches_out;

	/* a batch from the peer in progress, per type */
	bool rx_batch[UT_SVC_COUNT];
	uint64_t batches_in, bad_batches, bad_entries, partial_batches_in;
	struct rbp_lag lag; /* the peer's streamed changes, made to applied (rbp_lag.h) */
	bool rx_batch_done; /* one batch from the peer completed since attach */
	/* One batch from the peer completed since rbpd started: until then
	 * this table may lack users (rbpd restarted), and batches it sends
	 * say so (RbsBatchEnd.partial): the peer removes nothing for them. */
	bool whole;
	bool sent_partial; /* a partial batch went to the peer: a whole one follows */
	/* The peer's last batch ended with tables that differ: ask for it
	 * again at reask_at (loop ms, 0: not), waiting reask_gap_ms more each
	 * time (changes in flight make a batch under churn differ). */
	uint64_t reask_at, reask_gap_ms;
	/* the preemption gate (rbp_ready.h): the batch from the peer that
	 * runs, and whether the last one ended with equal digests */
	uint64_t rx_batch_got, rx_batch_total;
	uint64_t rx_batch_began_ns; /* uv_hrtime() at its begin, for the log at its end */
	bool rx_batch_agreed;
	unsigned rx_batch_retries; /* incomplete batches asked again in a row */
	/* While a batch from the peer runs, the peer's users it has not sent
	 * again yet are still held until its end: room for that many more. */
	uint64_t resync_slack;

	/* what the peer sent and was refused, by reason (rbp_admit.h) */
	uint64_t refused[RBP_ADMIT_COUNT];

	/* the peer's roles per binding while the channel is up (its
	 * keepalives, rbp_dual.h): split brain is both devices master */
	struct rbp_peer_role *peer_roles;
	size_t n_peer_roles;

	/* anti-entropy (rbpd_ae.c): the rounds this side started, the
	 * comparisons of the peer's (level 0) and what they found */
	struct rbpd_ae {
		uint64_t round, next_at; /* next_at: loop ms */
		uint64_t peer_round_at;	 /* loop ms of the peer's last level 0, 0: none */
		/* this table then: its digests, and the changes made to it
		 * (rbpd_ae.c's moved()) */
		uint64_t peer_round_fp, peer_round_moved;
		uint64_t compared, compared_at; /* compared_at: CLOCK_REALTIME s, 0: never */
		bool last_agreed;
		bool soon; /* rbpd_ae_soon(): this round even if the peer runs them */
		uint64_t round_at,
		    round_fp; /* this side's last round: loop ms, the table's digests */
		uint64_t types_differing, buckets_differing, leaves_differing;
		uint64_t summaries_in, keys_summarized, entries_resent, whole_exchanges;
	} ae;

	/* a packed RbsLocal rbsd's queue could not take yet */
	uint8_t *stash;
	size_t stash_len;
	uint64_t stash_e, stash_b;
};

/* One binding of a profile and what rbpd knows of its group. */
struct pbind {
	struct rbp_binding b; /* b.ifname points at ifname */
	char ifname[RBP_IFNAME_MAX + 1];
	enum rbp_role role;   /* what the last evaluation gave */
	bool role_known;      /* false for a new binding: its users' origins follow at once */
	bool withdrawing;     /* master -> backup: download-vrrp-table delay running */
	uv_timer_t withdraw;
	struct prof *p;
	/* the last takeover */
	uint64_t restored_users;
	uint64_t restored_published; /* of them handed to a subscribed service */
	double restore_ms;
	uint64_t restore_at_ns; /* CLOCK_REALTIME when it ended, 0: never */
	/* CLOCK_REALTIME ms of the takeover, when it made this device master
	 * from a whole copy of the peer's users (UserRole.restored_at_ms);
	 * 0 otherwise and while backup */
	uint64_t whole_at_ms;
	/* vrrpd said Backup for the group since the last takeover (not a
	 * state not heard of yet, as after rbpd starts): this device's
	 * services have not been answering its users */
	bool backup_heard;
	/* both devices master of the group (rbp_dual.h, docs/splitbrain.md) */
	struct rbp_dual dual;
	char dual_peer_if[RBP_IFNAME_MAX + 1]; /* the peer's interface of it */
};

struct prof {
	struct prof *next;
	struct rbpd *d;
	char name[64];
	bool hot;	    /* peer-backup hot; otherwise warm */
	uint32_t backup_id; /* 0: none, the profile backs nothing up */
	struct chan *ch;    /* NULL until both backup-id and the service are set */
	struct pbind bind[2];
	size_t nbind;
	char ifaces[RBPD_MAX_IFACES][RBP_IFNAME_MAX + 1]; /* bindings' first */
	size_t nifaces;
	uint64_t restored[UT_SVC_COUNT]; /* users restored at takeovers, in all */
	uint32_t preempt_wait_max_s;	 /* peer-backup preempt-wait max; 0: no gate */
};

/* The users a takeover or a replay publishes, by the thousand (rbpd.c):
 * one buffer, as neither runs inside the other. */
#define RBPD_PUB_BATCH 1024
struct restore_acc {
	uint64_t n; /* users replayed (rbpd_replay_masters()) */
	size_t cnt[UT_SVC_COUNT];
	struct rbp_user users[UT_SVC_COUNT][RBPD_PUB_BATCH];
	const uint8_t *keys[UT_SVC_COUNT][RBPD_PUB_BATCH];
	size_t klens[UT_SVC_COUNT][RBPD_PUB_BATCH];
	bool replay; /* rbpd_replay_masters(), not a takeover */
	int type;    /* replay: the type asked for, -1: every one */
};

/* The prefixes connected on this device's interfaces (rbpd_kern.c), at most. */
#define RBPD_MAX_PREFIXES 4096

struct pend; /* a reply of the user API held back (rbpd_api.c) */

#define RBPD_SUB_TOPICS 8
#define RBPD_SUB_TOPIC_MAX 15

struct rbpd {
	uv_loop_t *loop;
	void *zctx;
	const char *rundir;
	Db__RbpdConfig *running;
	struct prof *profs;
	struct chan *chans;
	struct rbp_hlc hlc; /* versions of this device's changes */

	/* VRRP group states from vrrpd */
	struct grp *grps;
	struct strmap *grp_idx; /* the same, by "ifname/vrid" (grp_get()) */
	size_t ngrps;
	uint64_t vrrp_seq; /* last event number seen */
	uint64_t vrrp_pid; /* the vrrpd whose numbering that is (its state list's pid) */
	struct bus_sock *vrrp_sub, *vrrp_ctl;
	/* 1 s: attach to rbsd and ask vrrpd for every state while they have
	 * not answered, publish the gates when they changed; every 10 s all
	 * of it (a hung neighbour; the ended ones are watched) */
	uv_timer_t tick;
	unsigned ticks;		 /* of tick, counted */
	struct pidwatch *vrrpd;	 /* vrrpd's process, from its state list */
	struct pidwatch *rbsdpw; /* rbsd's, from its credit */
	uv_check_t events_read; /* acts on the VrrpEvents of a turn of the loop */
	bool events_takeover;	/* one of them was a takeover */
	uint64_t vrrp_query_id; /* last QUERY_VRRP_STATES sent */
	struct restore_acc acc;
	/* rbpd_ifindex()'s memory: a name, its index, and when it was read */
	char ifx_name[RBP_IFNAME_MAX + 1];
	unsigned ifx_index;
	uint64_t ifx_at;
	struct arena local_arena; /* what on_rbsd() unpacks into */

	/* rbsd (rbpd_feed.c) */
	struct bus_sock *rbsd;
	uv_timer_t pump_retry;
	uint64_t retry_ms; /* the next wait of pump_retry */
	uv_idle_t kick;	   /* pumps the channels once the loop is idle */
	uv_timer_t reask_timer;
	bool kick_init, reask_init;
	uv_check_t applied_turn; /* RbsApplied at the end of a turn (rbpd_applied.c) */
	bool applied_init;

	/* API (rbpd_api.c) */
	struct bus_sock *api, *restored_pub;
	uint64_t bad_requests;
	/* replies held back, oldest first, and of them done (not sent yet) */
	struct pend *pend_head, **pend_tail;
	size_t npend, ndone;
	/* Tokens settle mostly in order: a search starts where the last one
	 * was found when that is not past it. */
	struct pend *pend_hint;
	uint64_t next_token;
	uv_timer_t sync_timer;
	bool sync_timer_init;
	/* Replays to late subscribers: at most one per second, however many
	 * subscribe; [UT_SVC_COUNT] is every type. */
	uv_timer_t replay_timer;
	bool replay_timer_init, replay_due[UT_SVC_COUNT + 1];
	uint64_t replay_last; /* uv_now() of the last, 0: none */
	/* The topics subscribed to on the restored users' XPUB (each told
	 * once by ZeroMQ, and its end when its last subscriber leaves);
	 * sub_many: more than fit here, taken as every type. */
	char sub_topic[RBPD_SUB_TOPICS][RBPD_SUB_TOPIC_MAX + 1];
	unsigned n_sub_topics;
	bool sub_many;
	/* the preemption gates, to vrrpd (RUNDIR/rbpd-events.ipc) */
	struct bus_sock *gates_pub; /* an XPUB: a new subscriber is told at once */
	uint64_t gates_seq;
	uint64_t gates_hash; /* of the last gates sent */

	/* kernel */
	int mon_fd, ctl_fd, get_fd;
	uv_poll_t mon_poll, ctl_poll;
	uint32_t nl_seq;
	bool dump_running;
	unsigned dump_want, dump_flags; /* DUMP_* of the next and of the running dump */
	struct ut_table *seen; /* keys a sweeping dump reported */
	/* What the kernel holds on the profiles' interfaces, from the dumps
	 * and the monitor's events (and rbpd's own changes as it sends them):
	 * asked instead of the kernel before each install once a whole dump
	 * filled it (kmirror_valid); events lost, it is filled again. */
	struct ut_table *kmirror;
	uint64_t kmirror_ver;
	bool kmirror_valid;
	uint64_t kern_errors, kern_installed, kern_removed;
	uint64_t kern_repaired; /* backup installs deleted behind rbpd's back, put back */
	uint64_t sends_since_read; /* changes sent since the ACKs were last read */
	/* the prefixes connected on this device's interfaces, by name */
	struct {
		char ifname[RBP_IFNAME_MAX + 1];
		struct rbp_prefix p;
	} pfx[RBPD_MAX_PREFIXES];
	size_t npfx;
	uint64_t pfx_read_ms; /* 0: never */
};

/* What a kernel dump is for, besides learning. */
#define DUMP_LEARN 1
#define DUMP_SWEEP_LOCAL 2    /* remove local ARP/ND users the kernel no longer has */
#define DUMP_SWEEP_INSTALLS 4 /* remove backup installs no peer entry stands behind */
#define DUMP_MIRROR 8	      /* fill d->kmirror anew */

/* A struct rbpd before rbpd_init(): no kernel sockets. */
#define RBPD_INITIALIZER                                                                           \
	{                                                                                          \
		.mon_fd = -1, .ctl_fd = -1, .get_fd = -1                                           \
	}

/* ---- rbpd.c ---- */

/* The daemon's life, as service_main() runs it (common/service.h; main()
 * is rbpd_main.c): rbpd_init() opens its sockets under rundir on loop
 * and zctx (arg: the struct rbpd) and returns 0 or a negative errno;
 * rbpd_stop() closes them and frees every profile, channel and user
 * (their handles close with the loop); rbpd_free(), once the loop has
 * closed, frees the running configuration. */
int rbpd_init(uv_loop_t *loop, void *zctx, const char *rundir, void *arg);
void rbpd_stop(void *arg);
void rbpd_free(struct rbpd *d);

/* A version for a change of this device's (rbp_hlc_next() on the wall
 * clock): larger than held (the version the table holds for the key,
 * entry or tombstone, 0 if none), than any given out before and than any
 * the peer sent. */
uint64_t rbpd_next_version(struct rbpd *d, uint64_t held);

/* Whether the peer's version v may be taken (rbp_hlc_observe() on the
 * wall clock): at most RBP_ADMIT_VERSION_AHEAD_US beyond this device's
 * clock. A version taken moves this device's clock past it. */
bool rbpd_observe_version(struct rbpd *d, uint64_t v);

/* The user held for (type, key) in ch's table: 0 with *r (pointers into
 * the table, see struct ut_rec) and *u (pointing into *r) filled; -ENOENT
 * when there is none or its record cannot be read. */
int rbpd_user_held(const struct chan *ch, enum ut_svc type, const uint8_t *key, size_t klen,
		   struct ut_rec *r, struct rbp_user *u);

/* Users one table may hold (peer-backup user-limit), and the bytes of
 * keys, payloads and the table's own structures that go with them. */
#define RBPD_USER_LIMIT_DEFAULT 2000000
#define RBPD_BYTES_PER_USER 256
uint64_t rbpd_user_limit(const struct rbpd *d);
/* Peer users rbpd may hold installed in the kernel (peer-backup
 * kernel-limit). */
#define RBPD_KERNEL_LIMIT_DEFAULT 1000000
uint64_t rbpd_kernel_limit(const struct rbpd *d);
/* Whether ch's table may take one more user: false when it holds the
 * limit of users or of bytes (plus the resync slack while a batch from
 * the peer runs: at most twice the limit then). */
bool rbpd_table_has_room(const struct chan *ch);

/* Counts a refusal of what the peer sent, by reason, and logs the first
 * one of each reason on the channel with what (a short description). */
void rbpd_refuse(struct chan *ch, enum rbp_admit reason, const char *what);

/* The profile that has ifname among its access interfaces, or NULL. */
struct prof *rbpd_prof_by_ifname(const struct rbpd *d, const char *ifname);

/* The profile of channel ch with this backup-id, or NULL. */
struct prof *rbpd_prof_by_backup_id(const struct chan *ch, uint32_t backup_id);

/* This device's role for a user of p with this MAC. Returns the binding
 * that decides it, or NULL when p has no binding of the MAC's parity. */
struct pbind *rbpd_binding_for(struct prof *p, const uint8_t mac[RBP_MAC_LEN]);

/* A change of a user this device is master for: into the table as
 * local, then to the peer. op is DB__RBS_OP__RBS_OP_ADD or _DELETE.
 * Returns 0, UT_STALE-like positive when nothing changed, or -errno. */
int rbpd_local_change(struct prof *p, int op, enum ut_svc type, const uint8_t *key, size_t klen,
		      const struct rbp_user *u);

/* Tells vrrpd now whether each binding's group may preempt (rbp_ready.h):
 * after anything that changes it; also every second. */
void rbpd_gates_publish(struct rbpd *d);
/* Ask vrrpd for the state of every group (QUERY_VRRP_STATES): at a commit,
 * at a missed event, and while vrrpd has not answered. */
void rbpd_ask_vrrp(struct rbpd *d);

/* Whether binding pb's group may preempt; why not in why otherwise. */
bool rbpd_binding_ready(const struct pbind *pb, char *why, size_t len);

/* Every binding takes the role its group's state gives now: a takeover
 * for one that becomes master, a handover for one that no longer is. */
void rbpd_evaluate(struct rbpd *d, const char *why);
/* CLOCK_REALTIME in nanoseconds: versions (rbp_hlc.h), lags, times shown. */
uint64_t rbpd_realtime_ns(void);

/* The download delay of binding pb is over (pb->withdraw's callback):
 * its users' forwarding entries follow the profile's mode. */
void rbpd_on_withdraw(uv_timer_t *t);

/* Profile p went from hot to warm or back: what the backup keeps in its
 * kernel follows. */
void rbpd_mode_changed(struct prof *p);

/* The next user of profile p from cursor c (opened on p's table): true
 * with *r and *u filled (as ut_cursor_next()), false at the end. Users of
 * the table's other profiles and unreadable records are passed over, and
 * those of another MAC unless mac is NULL. */
bool rbpd_next_user(const struct prof *p, struct ut_cursor *c, struct ut_rec *r, struct rbp_user *u,
		    const uint8_t *mac);

/* ---- rbpd_conf.c ---- */

/* The configuration, as cfgclient hands it (cfgclient_ops, common/
 * cfgclient.h): rbpd_check() unpacks a packed Db__RbpdConfig and adds
 * what this system cannot run to errs (interfaces that do not exist,
 * too many of them); it returns the unpacked configuration (NULL when
 * it does not unpack), which rbpd_apply() takes ownership of and runs,
 * or rbpd_discard() frees. */
void *rbpd_check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs);
void rbpd_apply(void *arg, void *obj);
void rbpd_discard(void *arg, void *obj);

/* Closes p's timers and frees p once they are closed. */
void rbpd_prof_free(struct prof *p);

/* ---- rbpd_show.c ---- */

/* `display remote-backup-profile ...` (ctl_query_fn, common/ctl.h):
 * writes the answer to f; returns 1, or 0 for an error (f says which)
 * or a query that is not rbpd's. */
int rbpd_display(void *arg, const Db__Query *q, FILE *f, Db__QueryReply *r);

/* ---- rbpd_feed.c ---- */

int rbpd_feed_init(struct rbpd *d);
void rbpd_feed_close(struct rbpd *d);
/* Attach to rbsd the channels rbsd has not answered since it started, or
 * (all) every channel: rbsd may have restarted unseen. */
void rbpd_feed_attach_all(struct rbpd *d, bool all);
/* rbpd_roles.c: this device's roles per binding of the profiles on ch, for the peer. */
void rbpd_feed_send_roles(struct chan *ch);
/* The peer's roles, from rbsd (which checked them). */
void rbpd_feed_rx_roles(struct chan *ch, const Db__RbsRoles *r);
/* Both devices master of a binding of ch (split brain): say when it begins
 * and ends, after a change of either side's roles. */
void rbpd_dual_check(struct chan *ch);
/* Queue an entry of a local user for the peer and send what credit allows. */
void rbpd_feed_queue(struct chan *ch, int op, enum ut_svc type, const uint8_t *key, size_t klen,
		     const uint8_t *payload, size_t plen, uint64_t version);
void rbpd_feed_pump(struct chan *ch);
void rbpd_feed_chan_free(struct chan *ch);
/* Whether a batch from the peer has begun and not ended, of any type. */
bool rbpd_rx_batch_running(const struct chan *ch);

/* Sends m for ch now if rbsd's queue takes it, else drops it (said again
 * later by its sender). Returns whether it was sent. */
bool rbpd_feed_send(struct chan *ch, Db__RbsLocal *m);
/* Sends m for ch now, or keeps it until rbsd's queue takes it (nothing
 * else goes meanwhile). Call only with nothing kept (ch->stash NULL).
 * Returns whether it went now. */
bool rbpd_feed_send_kept(struct chan *ch, Db__RbsLocal *m);
/* A batch of these types to the peer, and one asked of the peer. */
void rbpd_feed_want_batch(struct chan *ch, const Db__RbsServiceType *types, size_t n);
void rbpd_feed_ask_batch(struct chan *ch, const Db__RbsServiceType *types, size_t n);

/* ---- rbpd_applied.c ---- */

/* The uv_check that tells rbsd, once per turn of the loop, what the
 * channels applied; closed with the loop. */
void rbpd_applied_init(struct rbpd *d);
void rbpd_applied_close(struct rbpd *d);
/* n more of the peer's entries, handed by rbsd in one RbsLocal, are
 * applied (or refused) on ch: rbsd hears of it at the end of the turn. */
void rbpd_applied_add(struct chan *ch, uint64_t n);
/* A new attachment: rbsd counts its entries from 1 again. */
void rbpd_applied_reset(struct chan *ch);

/* ---- rbpd_ae.c ---- */

/* Anti-entropy (docs/antientropy.md): starts each channel's round when
 * due (called every second), and answers the peer's steps. */
void rbpd_ae_tick(struct rbpd *d);
/* A round within about a second, whoever ran the last ones: after what
 * may leave the tables apart without a batch to mend it (a batch that
 * ended, a role that changed: a split brain's heal). */
void rbpd_ae_soon(struct chan *ch);
void rbpd_ae_rx_compare(struct chan *ch, const Db__RbsCompare *c);
void rbpd_ae_rx_summary(struct chan *ch, const Db__RbsSummary *s);
/* The test hook (cfgclient_test_hook(), DB_TEST_DROP_PERMILLE): every
 * table forgets permille of its entries, telling nobody. arg: the struct
 * rbpd. */
void rbpd_ae_test_drop(void *arg, unsigned long permille);

/* ---- rbpd_kern.c ---- */

int rbpd_kern_init(struct rbpd *d);
void rbpd_kern_close(struct rbpd *d);
/* Asks for a dump of the kernel's neighbours for these DUMP_* purposes. */
void rbpd_kern_dump(struct rbpd *d, unsigned flags);
/* The index of interface name, 0 when there is none: read from the
 * kernel at most once per turn of the loop for a run of the same name
 * (users come in runs of one interface; a turn is one moment). */
unsigned rbpd_ifindex(struct rbpd *d, const char *name);
/* Puts a peer's ARP/ND user where its role and the profile's mode say:
 * installed (hot backup: permanent, marked as rbpd's; master: stale, the
 * kernel's to age) or nothing. Nothing when withdrawing. Only what
 * rbp_admit.h admits goes into the kernel; refusals are counted on p's
 * channel. */
void rbpd_kern_apply(struct prof *p, struct pbind *pb, enum ut_svc type, const uint8_t *key,
		     size_t klen, const struct rbp_user *u);
/* The user left (deleted by the peer): removes rbpd's install if any
 * (an entry the kernel learned or an administrator made stays). */
void rbpd_kern_remove(struct rbpd *d, enum ut_svc type, const uint8_t *key, size_t klen);
/* Takeover: the ARP/ND user becomes the kernel's own (stale). */
void rbpd_kern_restore(struct prof *p, enum ut_svc type, const uint8_t *key, size_t klen,
		       const struct rbp_user *u);
/* Download delay over: hot installs the user as a backup entry, warm
 * removes it. */
void rbpd_kern_withdraw(struct prof *p, enum ut_svc type, const uint8_t *key, size_t klen,
			const struct rbp_user *u);

/* ---- rbpd_api.c ---- */

int rbpd_api_init(struct rbpd *d);
void rbpd_api_close(struct rbpd *d);
/* Synchronous acknowledgments of the requests waiting on ch: rbsd's word
 * on the entries the peer holds, applied by the peer's rbpd
 * (rbp_sync_resolve()), or every one failed with
 * why (the channel went down, rbsd took rbpd as new, the queue was
 * replaced by a batch, the service was removed). */
void rbpd_api_sync_resolve(struct chan *ch, uint64_t resolved, uint64_t lost);
void rbpd_api_sync_fail(struct chan *ch, const char *why);
/* Publishes every binding's role under the word "role" (proto/user.proto
 * UserRoles): after a change, every second, and after a replay with the
 * bit (1 << type) of each type replayed in `replayed`. */
void rbpd_api_publish_roles(struct rbpd *d, uint32_t replayed);
/* Publishes, marked replay, the users of type t (-1: every type) of the
 * bindings this device is master of: for a service that subscribed late. */
void rbpd_replay_masters(struct rbpd *d, int t);
/* Whether a service subscribed to the restored users of type t: a
 * takeover packs none of a type nobody reads (a late subscriber gets them
 * in a replay). */
bool rbpd_api_subscribed(const struct rbpd *d, enum ut_svc t);
/* Publishes restored users of one type (at most 1024 a message). */
void rbpd_api_publish_restored(struct rbpd *d, enum ut_svc type, const struct rbp_user *users,
			       const uint8_t *const *keys, const size_t *klens, size_t n,
			       bool replay);

#endif
