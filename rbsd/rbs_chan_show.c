/*
 * An RBS channel in `display remote-backup-service` (rbs_chan_int.h says
 * how its files share the work): text, and the same as JSON fields
 * (docs/json.md).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <time.h>

#include "common/jsonout.h"
#include "common/show.h"
#include "rbsd/rbs_chan_int.h"

static void fmt_duration(time_t secs, char *buf, size_t len)
{
	snprintf(buf, len, "%ldd %02ld:%02ld:%02ld", (long)(secs / 86400), (long)(secs / 3600 % 24),
		 (long)(secs / 60 % 60), (long)(secs % 60));
}

static uint64_t lag_now(const struct rbs_chan *ch)
{
	return rbs_lag_ms(&ch->lag, rbs_tx_acked(&ch->tx), rbs_tx_last(&ch->tx), now_ms(ch));
}

/* What `verbose` adds: the connection under the channel, its last fall,
 * and how far the peer is behind. */
static void show_verbose(const struct rbs_chan *ch, FILE *f)
{
	struct rbs_tcp_info ti;
	char t[40];

	fprintf(f, "  Sessions       : here %016llx, peer %016llx\n",
		(unsigned long long)ch->session, (unsigned long long)ch->peer_session);
	if (ch->state == ST_UP)
		fprintf(f, "  Protocol       : version %u, the peer's %u\n", RBS_PROTO_VERSION,
			ch->peer_version);
	else
		fprintf(f, "  Protocol       : version %u\n", RBS_PROTO_VERSION);
	if (ch->active && rbs_conn_tcp_info(ch->active->c, &ti) == 0)
		fprintf(f,
			"  TCP            : %s, rtt %.3f ms (variance %.3f ms), cwnd %u, "
			"retransmitted %u segments\n"
			"  Send queue     : %llu bytes framed in rbsd, %llu bytes in the kernel\n",
			ti.state, ti.rtt_us / 1000.0, ti.rttvar_us / 1000.0, ti.cwnd, ti.retransmits,
			(unsigned long long)ti.app_queued, (unsigned long long)ti.kernel_queued);
	else
		fprintf(f, "  TCP            : no connection\n");
	fprintf(f, "  Replication lag: %llu ms (the oldest entry not acknowledged by the peer)\n",
		(unsigned long long)lag_now(ch));
	fprintf(f, "  Acknowledged   : up to seq %llu of %llu sent, %llu pushed; received up to "
		   "seq %llu\n",
		(unsigned long long)rbs_tx_acked(&ch->tx), (unsigned long long)rbs_tx_sent(&ch->tx),
		(unsigned long long)rbs_tx_last(&ch->tx), (unsigned long long)rbs_rx_last(&ch->rx));
	fprintf(f, "  Window limits  : %u entries, %u MiB\n", RBS_CHAN_WIN_ENTRIES,
		RBS_CHAN_WIN_BYTES >> 20);
	if (ch->last_down_at) {
		show_time(ch->last_down_at, t, sizeof(t));
		fprintf(f, "  Last down      : %s, %s\n", t, ch->last_down);
	} else {
		fprintf(f, "  Last down      : never\n");
	}
	fprintf(f, "  Peer batches   : asked for %llu\n", (unsigned long long)ch->peer_batches_asked);
	fprintf(f,
		"  Anti-entropy   : sent %llu, received %llu; not sent: %llu for the peer's "
		"version, %llu without channel or room\n",
		(unsigned long long)ch->ae_tx, (unsigned long long)ch->ae_rx,
		(unsigned long long)ch->ae_old, (unsigned long long)ch->ae_dropped);
}

void rbs_chan_show(const struct rbs_chan *ch, bool verbose, FILE *f)
{
	static const char *names[] = {"Init", "Connecting", "Connected", "Down"};
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], t[40];
	uint64_t rx = ch->bytes_rx, tx = ch->bytes_tx;

	rbs_chan_addr_only(&ch->peer, a, sizeof(a));
	rbs_chan_addr_only(&ch->source, b, sizeof(b));
	if (ch->active) {
		uint64_t r2, t2;

		rbs_conn_bytes(ch->active->c, &r2, &t2);
		rx += r2;
		tx += t2;
	}
	fprintf(f, "  State          : %s", names[ch->state]);
	if (ch->state == ST_UP) {
		fmt_duration(time(NULL) - ch->up_since, t, sizeof(t));
		fprintf(f, " (up %s, with %s)\n", t, ch->peer_text);
	} else {
		fprintf(f, "%s%s%s\n", ch->reason[0] ? " (" : "", ch->reason,
			ch->reason[0] ? ")" : "");
	}
	fprintf(f, "  Peer           : %s\n  Source         : %s\n  Port           : %u\n", a, b,
		ntohs(((const struct sockaddr_in *)&ch->peer)->sin_port));
	if (ch->ctx == NULL)
		fprintf(f, "  TLS            : OFF - no ssl policy bound: the channel is clear "
			   "text and unauthenticated; data may be leaked or tampered with\n");
	else if (ch->state == ST_UP)
		fprintf(f, "  TLS            : on, ssl policy %s, %s, %s\n  Peer cert      : %s\n",
			ch->policy, ch->tls_proto, ch->tls_cipher, ch->tls_subject);
	else
		fprintf(f, "  TLS            : on, ssl policy %s\n", ch->policy);
	fprintf(f, "  Peer identity  : %s\n", ch->identity);
	fprintf(f, "  Entries        : sent %llu, received %llu, resent after resume %llu\n",
		(unsigned long long)ch->entries_tx, (unsigned long long)ch->entries_rx,
		(unsigned long long)ch->resent);
	fprintf(f, "  Bytes          : sent %llu, received %llu\n", (unsigned long long)tx,
		(unsigned long long)rx);
	fprintf(f, "  Window         : %llu unacknowledged (%zu bytes), %llu not sent yet\n",
		(unsigned long long)rbs_tx_unacked(&ch->tx), rbs_tx_bytes(&ch->tx),
		(unsigned long long)rbs_tx_unsent(&ch->tx));
	if (ch->batch_open)
		fprintf(f, "  Batch backup   : in progress (%s), %llu of %llu entries queued\n",
			ch->batch_types, (unsigned long long)ch->batch_pushed,
			(unsigned long long)ch->batch_expected);
	else if (ch->batch_end_seq)
		fprintf(f,
			"  Batch backup   : %llu entries (%s) sent, waiting for the peer's ACK\n",
			(unsigned long long)ch->batch_last_count, ch->batch_types);
	else if (ch->owe_batch)
		fprintf(f, "  Batch backup   : owed to the peer, starts when the channel is up\n");
	else if (ch->batch_done) {
		show_time(ch->batch_done, t, sizeof(t));
		fprintf(f, "  Batch backup   : completed %s, %llu entries (%s)\n", t,
			(unsigned long long)ch->batch_last_count, ch->batch_types);
	} else
		fprintf(f, "  Batch backup   : none yet\n");
	if (ch->rbatch_done) {
		show_time(ch->rbatch_done, t, sizeof(t));
		fprintf(f, "  Batch received : completed %s, %llu entries\n", t,
			(unsigned long long)ch->rbatch_count);
	}
	if (ch->holds)
		fprintf(
		    f,
		    "  Feeder waits   : %llu (reading held while the feeder's queue was full)%s\n",
		    (unsigned long long)ch->holds, ch->held ? ", holding now" : "");
	fprintf(f, "  Reconnects     : %llu\n",
		(unsigned long long)(ch->ups > 1 ? ch->ups - 1 : 0));
	fprintf(f, "  Refused peers  : %llu%s%s\n", (unsigned long long)ch->refused,
		ch->last_refused[0] ? ", last: " : "", ch->last_refused);
	if (ch->refused)
		fprintf(f,
			"  Refused by why : not the peer %llu, handshake failed %llu, handshake "
			"timed out %llu, channel in use %llu, no slot %llu; log lines "
			"suppressed %llu\n",
			(unsigned long long)ch->ref_stranger, (unsigned long long)ch->ref_handshake,
			(unsigned long long)ch->ref_timeout, (unsigned long long)ch->ref_in_use,
			(unsigned long long)ch->ref_evicted,
			(unsigned long long)ch->refused_log.total_suppressed);
	if (ch->state == ST_UP || ch->mismatch[0])
		fprintf(f, "  Peer profiles  : %s\n",
			ch->mismatch[0] ? ch->mismatch
					: "consistent (backup-ids and odd/even "
					  "bindings match)");
	if (verbose)
		show_verbose(ch, f);
}

void rbs_chan_json(const struct rbs_chan *ch, struct json_object *o)
{
	static const char *names[] = {"Init", "Connecting", "Connected", "Down"};
	char a[INET6_ADDRSTRLEN];
	uint64_t rx = ch->bytes_rx, tx = ch->bytes_tx;
	struct json_object *x;

	if (ch->active) {
		uint64_t r2, t2;

		rbs_conn_bytes(ch->active->c, &r2, &t2);
		rx += r2;
		tx += t2;
	}
	jout_str(o, "state", names[ch->state]);
	jout_bool(o, "up", ch->state == ST_UP);
	jout_str(o, "down_reason", ch->state != ST_UP && ch->reason[0] ? ch->reason : NULL);
	jout_i64(o, "up_since", ch->state == ST_UP ? (int64_t)ch->up_since : 0);
	jout_str(o, "peer_name", ch->state == ST_UP ? ch->peer_text : NULL);
	jout_u64(o, "protocol_version", RBS_PROTO_VERSION);
	if (ch->state == ST_UP)
		jout_u64(o, "peer_protocol_version", ch->peer_version);
	else
		jout_str(o, "peer_protocol_version", NULL); /* null: no peer */
	rbs_chan_addr_only(&ch->peer, a, sizeof(a));
	jout_str(o, "peer", a);
	rbs_chan_addr_only(&ch->source, a, sizeof(a));
	jout_str(o, "source", a);
	jout_u64(o, "port", ntohs(((const struct sockaddr_in *)&ch->peer)->sin_port));
	x = jout_obj(o, "tls");
	jout_bool(x, "enabled", ch->ctx != NULL);
	jout_str(x, "ssl_policy", ch->ctx ? ch->policy : NULL);
	jout_str(x, "protocol", ch->ctx && ch->state == ST_UP ? ch->tls_proto : NULL);
	jout_str(x, "cipher", ch->ctx && ch->state == ST_UP ? ch->tls_cipher : NULL);
	jout_str(x, "peer_certificate", ch->ctx && ch->state == ST_UP ? ch->tls_subject : NULL);
	jout_u64(o, "entries_sent", ch->entries_tx);
	jout_u64(o, "entries_received", ch->entries_rx);
	jout_u64(o, "entries_resent", ch->resent);
	jout_u64(o, "bytes_sent", tx);
	jout_u64(o, "bytes_received", rx);
	x = jout_obj(o, "window");
	jout_u64(x, "unacknowledged", rbs_tx_unacked(&ch->tx));
	jout_u64(x, "unacknowledged_bytes", rbs_tx_bytes(&ch->tx));
	jout_u64(x, "unsent", rbs_tx_unsent(&ch->tx));
	jout_u64(x, "acknowledged_seq", rbs_tx_acked(&ch->tx));
	jout_u64(x, "sent_seq", rbs_tx_sent(&ch->tx));
	jout_u64(x, "pushed_seq", rbs_tx_last(&ch->tx));
	jout_u64(x, "received_seq", rbs_rx_last(&ch->rx));
	jout_u64(x, "applied_seq", rbs_applied_ack(&ch->applied, rbs_rx_last(&ch->rx)));
	jout_u64(o, "replication_lag_ms", lag_now(ch));
	x = jout_obj(o, "tcp");
	{
		struct rbs_tcp_info ti;
		bool have = ch->active && rbs_conn_tcp_info(ch->active->c, &ti) == 0;

		jout_str(x, "state", have ? ti.state : NULL);
		jout_u64(x, "rtt_us", have ? ti.rtt_us : 0);
		jout_u64(x, "rttvar_us", have ? ti.rttvar_us : 0);
		jout_u64(x, "cwnd", have ? ti.cwnd : 0);
		jout_u64(x, "retransmits", have ? ti.retransmits : 0);
		jout_u64(x, "app_queued_bytes", have ? ti.app_queued : 0);
		jout_u64(x, "kernel_queued_bytes", have ? ti.kernel_queued : 0);
	}
	x = jout_obj(o, "last_down");
	jout_str(x, "reason", ch->last_down_at ? ch->last_down : NULL);
	jout_i64(x, "at", (int64_t)ch->last_down_at);
	jout_u64(o, "peer_batches_asked", ch->peer_batches_asked);
	jout_u64(o, "antientropy_sent", ch->ae_tx);
	jout_u64(o, "antientropy_received", ch->ae_rx);
	jout_u64(o, "antientropy_unsupported", ch->ae_old);
	jout_u64(o, "antientropy_dropped", ch->ae_dropped);
	x = jout_obj(o, "batch_sent");
	jout_str(x, "state", ch->batch_open	    ? "in-progress"
			     : ch->batch_end_seq ? "waiting-for-ack"
			     : ch->owe_batch	    ? "owed"
			     : ch->batch_done	    ? "completed"
						    : "none");
	jout_str(x, "service_types", ch->batch_types[0] ? ch->batch_types : NULL);
	jout_u64(x, "queued", ch->batch_open ? ch->batch_pushed : 0);
	jout_u64(x, "expected", ch->batch_open ? ch->batch_expected : 0);
	jout_u64(x, "last_count", ch->batch_last_count);
	jout_i64(x, "completed_at", (int64_t)ch->batch_done);
	x = jout_obj(o, "batch_received");
	jout_u64(x, "count", ch->rbatch_count);
	jout_i64(x, "completed_at", (int64_t)ch->rbatch_done);
	jout_u64(o, "feeder_waits", ch->holds);
	jout_bool(o, "feeder_holding", ch->held);
	jout_u64(o, "reconnects", ch->ups > 1 ? ch->ups - 1 : 0);
	x = jout_obj(o, "identity");
	jout_str(x, "peer", ch->identity);
	jout_bool(x, "authenticated", ch->ctx != NULL);
	jout_u64(o, "refused_peers", ch->refused);
	jout_str(o, "last_refused", ch->last_refused[0] ? ch->last_refused : NULL);
	x = jout_obj(o, "refused_by_reason");
	jout_u64(x, "not_the_peer", ch->ref_stranger);
	jout_u64(x, "handshake_failed", ch->ref_handshake);
	jout_u64(x, "handshake_timed_out", ch->ref_timeout);
	jout_u64(x, "channel_in_use", ch->ref_in_use);
	jout_u64(x, "no_slot", ch->ref_evicted);
	jout_u64(o, "refused_log_lines_suppressed", ch->refused_log.total_suppressed);
	jout_str(o, "profile_mismatch", ch->mismatch[0] ? ch->mismatch : NULL);
}
