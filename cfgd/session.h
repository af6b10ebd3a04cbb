/*
 * One CLI session of cfgd: its view, its candidate, and the commands that
 * need nothing but the configuration (navigation, edits, display of the
 * configuration). Commands that need the daemons or the disk (commit,
 * rollback, trial) are handed back to cfgd as a request.
 */
#ifndef DB_SESSION_H
#define DB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfgd/conf.h"
#include "cfgd/grammar.h"

struct session {
	char user[64]; /* name of uid, for the commit history */
	long uid;      /* of the dbcli that opened it (its kernel credentials) */
	enum gram_view view;
	char section[64]; /* name of the interface/RBP/RBS/SSL policy */
	struct candidate cand;
	uint64_t last_active_ms;
	bool closed;
};

enum sess_request {
	SR_NONE,     /* done: output is the answer */
	SR_COMMIT,   /* commit the candidate (arg: trial seconds, label) */
	SR_ROLLBACK, /* rollback configuration to commit-id */
	SR_ABORT_TRIAL,
	SR_COMMIT_LIST,
	SR_COMMIT_CHANGES,
	SR_FORWARD, /* a display answered by a daemon */
	SR_SYNC,    /* display configuration sync */
};

struct sess_result {
	bool ok;
	enum sess_request req;
	char *output; /* malloc'd, may be NULL */
	bool json;    /* a display asked for with a trailing `json` (docs/json.md) */
	/* SR_COMMIT */
	unsigned trial_s;
	char label[64];
	/* SR_ROLLBACK, SR_COMMIT_CHANGES */
	uint64_t commit_id;
	/* SR_FORWARD: the display as the daemon is asked it (proto/bus.proto
	 * Query; json above) */
	int forward_to; /* enum cfg_daemon */
	struct sess_query {
		int kind; /* Db__QueryKind */
		bool verbose;
		char name[64];
		char service[24];
		char mac[48];
	} query;
};

/* Run one line in session s over the running configuration. `running_id`
 * is the running commit id (the base of new candidate edits). */
void sess_exec(struct session *s, const struct conf *running, uint64_t running_id, const char *line,
	       struct sess_result *res);

/* The prompt: <host>, [~host], [*host-eth1] … */
void sess_prompt(const struct session *s, const char *host, char *out, size_t len);

#endif
