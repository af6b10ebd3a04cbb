#!/usr/bin/env bash
# The RBS channel between two devices A and B joined by a link (eth2,
# 198.51.100.1 and .2), with the whole suite on each and rbs-feeder
# standing in for rbpd: TLS with mutual authentication, refused peers,
# 100,000 entries through link cuts, packet loss and a receiver killed in
# the middle of a batch, profile mismatches, garbage.
# Usage: tests/integration/rbs.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"
. "$HERE/rbs_lib.sh"

CERTS=$ROOT/certs
N=100000

explain() { rbs_explain 5; }

# Mutual TLS 1.2+: both sides show the protocol, the cipher and the peer's
# certificate subject.
test_tls_up_mutual() {
	wait_until 5 is_up A && wait_until 5 is_up B || explain || return 1
	show A | grep -q "TLS *: on, ssl policy pol, TLSv1\.[23]," || explain || return 1
	show A | grep -q "Peer cert *: /CN=device B" && show B | grep -q "Peer cert *: /CN=device A"
}

# 100,000 entries from A's feeder reach B's: same count, same digest.
test_100k_replicated() {
	feeder B
	feeder A -n $N
	wait_until 30 identical $N || explain || return 1
	show A | grep -q "Entries *: sent $N," || explain
}

# batch-backup service-type arp now: A sends every ARP entry again as one
# batch, its progress and completion in display, and B's copy is checked
# against the batch's digest.
test_batch_backup_now() {
	local batches
	wait_until 30 identical $N || { feeder B; feeder A -n $N; wait_until 30 identical $N; } || explain || return 1
	batches=$(fv B batches)
	cli A -q -c "system-view" -c "remote-backup-service rbs1" \
		-c "batch-backup service-type arp now" -c "commit" || return 1
	wait_until 10 eval '[ "$(fv B batches)" -gt "$batches" ]' || explain || return 1
	wait_until 5 eval 'show A | grep -q "Batch backup *: completed .*, $N entries (arp)"' || explain || return 1
	[ "$(fv B bad_batches)" = 0 ] && identical $N
}

# The link cut mid-transfer (long enough for the 3 s dead interval), then
# restored: the channel comes back and the tables are identical.
test_link_cut_mid_transfer() {
	feeder B
	feeder A -n $N
	wait_until 10 eval '[ "$(fv B rx)" -gt 0 ] 2>/dev/null'
	inns A ip link set eth2 down
	wait_until 6 eval '! is_up A' || { echo "  A did not notice the cut"; explain; return 1; }
	show A | grep -q "State *: Down (" || explain || return 1
	inns A ip link set eth2 up
	wait_until 15 is_up A && wait_until 30 identical $N || explain || return 1
	[ "$(field A Reconnects)" -ge 1 ] || return 1
	# verbose: why and when it went down, the TCP connection under it now
	local j reason
	j=$(jcli A "display remote-backup-service rbs1 verbose")
	reason=$(echo "$j" | jq -r '.services[0].last_down.reason')
	[ "$reason" != null ] && [ "$(echo "$j" | jq '.services[0].last_down.at')" -gt 0 ] &&
		[ "$(echo "$j" | jq -r '.services[0].tcp.state')" = established ] || { echo "$j"; return 1; }
	cli A -c "display remote-backup-service rbs1 verbose" >"$ROOT/verbose.txt"
	grep -qF "Last down      : " "$ROOT/verbose.txt" && grep -qF ", $reason" "$ROOT/verbose.txt" &&
		grep -q "TCP *: established, rtt [0-9.]* ms" "$ROOT/verbose.txt" &&
		grep -q "Replication lag: [0-9]* ms" "$ROOT/verbose.txt" || { cat "$ROOT/verbose.txt"; return 1; }
}

# 20 % packet loss each way on the link during the transfer.
test_packet_loss() {
	local how
	if inns A tc qdisc add dev eth2 root netem loss 20% 2>/dev/null; then
		inns B tc qdisc add dev eth2 root netem loss 20%
		how="tc netem"
	else
		# No netem in this kernel: drop 20 % of what arrives, on each side.
		for d in A B; do
			inns $d nft add table inet loss &&
				inns $d nft add chain inet loss in '{ type filter hook input priority 0; }' &&
				inns $d nft add rule inet loss in iifname eth2 numgen random mod 5 0 drop ||
				return 1
		done
		how="nft numgen random drop"
	fi
	echo "  (20 % loss with $how)"
	feeder B
	feeder A -n $N
	wait_until 60 identical $N || explain || return 1
	for d in A B; do
		inns $d tc qdisc del dev eth2 root 2>/dev/null
		inns $d nft delete table inet loss 2>/dev/null
	done
	return 0
}

# kill -9 of the receiving rbsd in the middle of the batch, restarted:
# the sender sees a new session and sends everything again.
test_receiver_killed_mid_batch() {
	feeder B
	feeder A -n $N
	wait_until 30 identical $N || explain || return 1
	# A full batch of 100,000 to B, which is killed halfway.
	stop_feeder B
	feeder B
	wait_until 10 eval '[ "$(fv B rx)" -gt 0 ] 2>/dev/null' || explain || return 1
	stop9 B rbsd
	start B rbsd
	wait_sync B || return 1
	wait_until 15 is_up B && wait_until 30 identical $N || explain || return 1
	grep -q "full batch to the peer: the receiver is not the run the sender paired with\|full batch to the peer:" \
		"$ROOT/A/rbsd.log"
}

# The receiving feeder stops reading (SIGSTOP) while 100,000 entries come:
# rbsd holds the channel instead of dropping what the feeder's queue cannot
# take, also past the 3 s dead interval, and when the feeder goes on
# nothing is missing.
test_stalled_receiver_loses_nothing() {
	local before lag
	before=$(field A Reconnects)
	feeder B
	wait_until 5 eval '[ "$(fv B attached)" = 1 ]' || return 1
	kill -STOP "${DEV_PID[B.feeder]}"
	feeder A -n $N
	sleep 5
	show B | grep -q "State *: Connected" || { kill -CONT "${DEV_PID[B.feeder]}"; explain; return 1; }
	# A's oldest unacknowledged entry has waited most of those 5 s
	lag=$(jcli A "display remote-backup-service rbs1" | jq '.services[0].replication_lag_ms')
	kill -CONT "${DEV_PID[B.feeder]}"
	[ "$lag" -ge 3000 ] || { echo "  A's replication lag $lag ms while B's feeder stalled"; return 1; }
	wait_until 30 identical $N || explain || return 1
	wait_until 5 eval '[ "$(jcli A "display remote-backup-service rbs1" | jq ".services[0].replication_lag_ms")" = 0 ]' ||
		{ echo "  A's replication lag did not return to 0"; return 1; }
	show B | grep -q "Feeder waits *: [1-9]" || { echo "  the channel was never held"; explain; return 1; }
	# Held, not torn down: the channel stayed up through the stall.
	[ "$(field A Reconnects)" = "$before" ] || { echo "  the channel reconnected"; explain; }
}

# The receiving feeder stalls, rbsd holds the channel, and the peer's rbsd
# dies meanwhile: when the feeder goes on, rbsd still answers (it once spun
# forever re-arming its ACK timer for a channel that was gone), and the
# peer's new rbsd brings B back to the same table.
test_stalled_receiver_outlives_its_peer() {
	local holds
	holds=$(field B "Feeder waits" | cut -d' ' -f1)
	feeder B
	wait_until 5 eval '[ "$(fv B attached)" = 1 ]' || return 1
	kill -STOP "${DEV_PID[B.feeder]}"
	feeder A -n $N
	wait_until 15 eval '[ "$(field B "Feeder waits" | cut -d" " -f1)" -gt "$holds" ]' ||
		{ kill -CONT "${DEV_PID[B.feeder]}"; echo "  B never held"; explain; return 1; }
	stop9 A rbsd
	wait_until 15 eval '! is_up B' ||
		{ kill -CONT "${DEV_PID[B.feeder]}"; echo "  B never saw A go"; explain; return 1; }
	kill -CONT "${DEV_PID[B.feeder]}"
	sleep 1
	show B | grep -q "State *: " || { echo "  B's rbsd no longer answers"; return 1; }
	start A rbsd
	wait_sync A || return 1
	wait_until 15 is_up B && wait_until 30 identical $N || explain
}

# rbs1 tracks a BFD session on the same link (50 ms x 3). Everything from A
# is dropped on B's side: B's session goes down within its 150 ms
# detection time and takes the channel down with it, where the channel's
# own keepalive would wait its 3 s dead interval. Back up once it passes.
test_channel_tracks_bfd() {
	local d me peer t0 t1 ms why
	for d in A B; do
		me=$(addr_of $d) peer=$(addr_of "$(other $d)")
		cli $d -q -c "system-view" -c "bfd" -c "quit" \
			-c "bfd link bind peer-ip $peer interface eth2 source-ip $me" \
			-c "min-tx-interval 50" -c "min-rx-interval 50" -c "commit" || return 1
	done
	cli B -q -c "system-view" -c "remote-backup-service rbs1" \
		-c "track bfd-session session-name link" -c "commit" || return 1
	wait_until 10 eval '[ "$(jcli B "display bfd session link" | jq -r .sessions[0].state)" = Up ]' &&
		wait_until 15 is_up B || explain || return 1
	show B | grep -q "Track BFD *: session link" || explain || return 1
	t0=$(date +%s%N)
	inns B nft add table inet cut &&
		inns B nft add chain inet cut in '{ type filter hook input priority 0; }' &&
		inns B nft add rule inet cut in iifname eth2 drop || return 1
	wait_until 3 eval '! is_up B'
	t1=$(date +%s%N)
	# why, read while the link is still silent: once it speaks again the
	# two sides reconnect within milliseconds, and a connection replaced
	# on the way becomes the last reason
	why=$(jcli B "display remote-backup-service rbs1" | jq -r '.services[0].last_down.reason')
	inns B nft delete table inet cut
	ms=$(((t1 - t0) / 1000000))
	echo "  B's channel down $ms ms after the link went silent (dead interval 3000 ms)"
	[[ $why == *"bfd session link went Down"* ]] ||
		{ echo "  B's channel went down: $why"; explain; return 1; }
	[ "$ms" -lt 2000 ] || return 1
	wait_until 15 is_up B || explain || return 1
	cli B -q -c "system-view" -c "remote-backup-service rbs1" \
		-c "undo track bfd-session session-name link" -c "commit"
}

# Certificates from another CA, none at all, expired ones, plain TCP on
# the TLS port, and a stranger's address: all refused before any entry
# moves, each with its reason counted and shown.
refused_peers() {
	local before sent o
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=other CA" \
		-keyout "$CERTS/other-ca.key" -out "$CERTS/other-ca.pem" >/dev/null 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=intruder" -keyout "$CERTS/bad.key" \
		-out "$CERTS/bad.csr" >/dev/null 2>&1 || return 1
	openssl x509 -req -in "$CERTS/bad.csr" -CA "$CERTS/other-ca.pem" -CAkey "$CERTS/other-ca.key" \
		-CAcreateserial -days 30 -out "$CERTS/bad.pem" >/dev/null 2>&1 || return 1
	openssl x509 -req -in "$CERTS/bad.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" \
		-CAcreateserial -days -1 -out "$CERTS/expired.pem" >/dev/null 2>&1 || return 1
	sent=$(field A Entries)
	before=$(field A "Refused peers" | cut -d, -f1)
	o=(-connect 198.51.100.1:6000 -CAfile "$CERTS/ca.pem" -verify_return_error)
	echo | inns B timeout 5 openssl s_client "${o[@]}" -cert "$CERTS/bad.pem" -key "$CERTS/bad.key" >/dev/null 2>&1
	wait_until 3 eval 'field A "Refused peers" | grep -q "certificate refused\|unknown ca\|certificate verify failed"' ||
		explain || return 1
	echo | inns B timeout 5 openssl s_client "${o[@]}" >/dev/null 2>&1
	wait_until 3 eval 'field A "Refused peers" | grep -q "did not return a certificate\|certificate required"' ||
		explain || return 1
	echo | inns B timeout 5 openssl s_client "${o[@]}" -cert "$CERTS/expired.pem" -key "$CERTS/bad.key" >/dev/null 2>&1
	wait_until 3 eval 'field A "Refused peers" | grep -q "expired"' || explain || return 1
	inns B timeout 3 bash -c 'exec 3<>/dev/tcp/198.51.100.1/6000; printf "\0\0\0\10hello!!!" >&3; sleep 1' 2>/dev/null
	wait_until 3 eval 'field A "Refused peers" | grep -q "wrong version\|packet length\|record"' ||
		explain || return 1
	inns B ip addr add 198.51.100.3/24 dev eth2
	inns B timeout 3 bash -c 'exec 3<>/dev/tcp/198.51.100.1/6000' 2>/dev/null
	inns B ip addr del 198.51.100.3/24 dev eth2
	# the stranger may have left from .2 or .3; the count went up by five either way
	wait_until 3 eval '[ "$(field A "Refused peers" | cut -d, -f1)" -ge $((before + 4)) ]' || explain || return 1
	[ "$(field A Entries)" = "$sent" ] || { echo "  entries moved to a refused peer"; return 1; }
	alive A rbsd
}
test_refused_peers() {
	local rc
	stop9 B rbsd # B's address is the only one A accepts: borrow it
	refused_peers
	rc=$?
	start B rbsd
	wait_sync B && wait_until 10 is_up A && return $rc
}

# Garbage on a clear-text channel closes that connection, with the reason;
# rbsd stays up and the real peer reconnects.
test_garbage_frames_close_the_connection() {
	local d rc
	for d in A B; do
		cli $d -q -c "system-view" -c "remote-backup-service rbs1" -c "undo bind ssl-policy" \
			-c "commit" || return 1
	done
	wait_until 10 is_up A || explain || return 1
	show A | grep -q "TLS *: OFF" || return 1
	stop9 B rbsd
	inns B timeout 3 bash -c 'exec 3<>/dev/tcp/198.51.100.1/6000; head -c 5000 /dev/urandom >&3; sleep 1' 2>/dev/null
	wait_until 3 grep -q "198.51.100.2.*bad frame" "$ROOT/A/rbsd.log"
	rc=$?
	alive A rbsd || rc=1
	start B rbsd
	wait_sync B && wait_until 10 is_up A && wait_until 10 is_up B || rc=1
	[ $rc = 0 ] || explain
}

# Backup-ids and odd/even bindings that differ between the devices are
# reported on both, naming both sides' values.
test_profile_mismatch_reported() {
	local d p
	for d in A B; do
		[ $d = A ] && p=odd-mac || p=even-mac
		inns $d ip link add eth1 type veth peer name eth1p
		inns $d ip link set eth1 up
		inns $d ip addr add "192.0.2.$([ $d = A ] && echo 1 || echo 2)/24" dev eth1
		cli $d -q -c "system-view" -c "interface eth1" -c "vrrp vrid 1 virtual-ip 192.0.2.100" \
			-c "quit" -c "remote-backup-profile rbp1" -c "vrrp-id 1 interface eth1 $p" \
			-c "backup-id 10 remote-backup-service rbs1" -c "commit" || return 1
	done
	# A backup-id only A has.
	cli A -q -c "system-view" -c "remote-backup-profile rbp2" \
		-c "backup-id 20 remote-backup-service rbs1" -c "commit" || return 1
	# The profiles travel in HELLO: reconnect.
	inns A ip link set eth2 down
	wait_until 6 eval '! is_up A'
	inns A ip link set eth2 up
	wait_until 15 is_up A || explain || return 1
	show A | grep -q "Peer profiles *: backup-id 10: vrid 1 is odd-mac here and even-mac on the peer" ||
		explain || return 1
	show B | grep -q "Peer profiles *: backup-id 10: vrid 1 is even-mac here and odd-mac on the peer" ||
		explain || return 1
	show A | grep -q "backup-id 20 (remote-backup-profile rbp2 here) is not configured on the peer" ||
		explain || return 1
	show B | grep -q "backup-id 20 (remote-backup-profile rbp2 on the peer) is not configured here" ||
		explain || return 1
	grep -q "profiles differ from the peer's" "$ROOT/A/rbsd.log"
}

t "setup: A and B linked, the suite on each, the spec's RBS with an SSL policy" rbs_setup || exit 1
t "TLS with mutual authentication: protocol, cipher and peer certificate shown" test_tls_up_mutual
t "100,000 entries replicated: identical tables (count and digest)" test_100k_replicated
t "batch-backup service-type arp now: a whole batch, shown, digest-checked" test_batch_backup_now
t "link cut mid-transfer, restored: reconnect, identical tables" test_link_cut_mid_transfer
t "20 % packet loss each way during the transfer: identical tables" test_packet_loss
t "receiver's rbsd killed mid-batch and restarted: identical tables" test_receiver_killed_mid_batch
t "the receiving feeder stalls: rbsd holds the channel, nothing is lost" \
	test_stalled_receiver_loses_nothing
t "the receiving feeder stalls and the peer's rbsd dies: rbsd still answers, tables agree" \
	test_stalled_receiver_outlives_its_peer
t "rbs1 tracks a BFD session: the link silent, the channel down in BFD's time, not 3 s" \
	test_channel_tracks_bfd
t "wrong CA, no certificate, expired, plain TCP, stranger: refused and counted" test_refused_peers
t "garbage frames close the connection with the reason; rbsd stays up" \
	test_garbage_frames_close_the_connection
t "odd/even bindings and backup-ids that differ from the peer's: reported on both sides" \
	test_profile_mismatch_reported
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

[ -n "${KEEP_LOGS:-}" ] && cp -r "$ROOT" "$KEEP_LOGS"
echo "rbs integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
