#include "cfgd/txn.h"

#include <string.h>

const char *cfg_daemon_name(enum cfg_daemon d)
{
	static const char *names[D__COUNT] = {"vrrpd", "rbsd", "rbpd"};

	return d < D__COUNT ? names[d] : "?";
}

void cfg_txn_begin(struct cfg_txn *t, uint64_t id, unsigned participants, uint64_t now_ms,
		   uint64_t timeout_ms)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->participants = participants;
	t->deadline_ms = now_ms + timeout_ms;
	t->decision = participants ? TXN_PENDING : TXN_COMMIT;
}

static bool member(const struct cfg_txn *t, enum cfg_daemon d)
{
	return d < D__COUNT && (t->participants & (1u << d));
}

enum txn_decision cfg_txn_vote(struct cfg_txn *t, enum cfg_daemon d, bool ok, char *const *errors,
			       size_t n)
{
	unsigned bit = 1u << d;

	if (t->decision != TXN_PENDING || !member(t, d) || (t->voted & bit))
		return t->decision;
	t->voted |= bit;
	if (ok) {
		t->yes |= bit;
	} else {
		if (n == 0)
			errlist_add(&t->reasons, "%s: refused", cfg_daemon_name(d));
		for (size_t i = 0; i < n; i++)
			errlist_add(&t->reasons, "%s: %s", cfg_daemon_name(d), errors[i]);
	}
	if (!ok)
		t->decision = TXN_ABORT;
	else if (t->yes == t->participants)
		t->decision = TXN_COMMIT;
	return t->decision;
}

enum txn_decision cfg_txn_lost(struct cfg_txn *t, enum cfg_daemon d)
{
	if (t->decision != TXN_PENDING || !member(t, d) || (t->voted & (1u << d)))
		return t->decision;
	errlist_add(&t->reasons, "%s: went away before voting", cfg_daemon_name(d));
	t->decision = TXN_ABORT;
	return t->decision;
}

enum txn_decision cfg_txn_refuse(struct cfg_txn *t, enum cfg_daemon d, const char *why)
{
	if (t->decision == TXN_COMMIT || !member(t, d) || (t->voted & (1u << d)))
		return t->decision;
	/* counted as answered: a second refusal or a stray vote adds nothing */
	t->voted |= 1u << d;
	errlist_add(&t->reasons, "%s: %s", cfg_daemon_name(d), why);
	t->decision = TXN_ABORT;
	return t->decision;
}

enum txn_decision cfg_txn_force(struct cfg_txn *t)
{
	if (t->decision == TXN_PENDING)
		t->decision = TXN_COMMIT;
	return t->decision;
}

enum txn_decision cfg_txn_tick(struct cfg_txn *t, uint64_t now_ms)
{
	if (now_ms < t->deadline_ms)
		return t->decision;
	if (t->decision == TXN_PENDING) {
		for (int d = 0; d < D__COUNT; d++)
			if (member(t, d) && !(t->voted & (1u << d)))
				errlist_add(&t->reasons, "%s: no answer before the deadline",
					    cfg_daemon_name(d));
		t->decision = TXN_ABORT;
	} else if (t->decision == TXN_COMMIT) {
		t->acks_done = true;
	}
	return t->decision;
}

void cfg_txn_fail(struct cfg_txn *t, const char *why)
{
	errlist_add(&t->reasons, "cfgd: %s", why);
	t->decision = TXN_ABORT;
}

void cfg_txn_committed(struct cfg_txn *t, uint64_t now_ms, uint64_t timeout_ms)
{
	t->deadline_ms = now_ms + timeout_ms;
	t->acks_done = t->participants == 0;
}

bool cfg_txn_ack(struct cfg_txn *t, enum cfg_daemon d)
{
	if (t->decision == TXN_COMMIT && member(t, d))
		t->acked |= 1u << d;
	if (t->acked == t->participants)
		t->acks_done = true;
	return t->acked == t->participants;
}

unsigned cfg_txn_unacked(const struct cfg_txn *t)
{
	return t->participants & ~t->acked;
}

void cfg_txn_end(struct cfg_txn *t)
{
	errlist_free(&t->reasons);
	memset(t, 0, sizeof(*t));
}
