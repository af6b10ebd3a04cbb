# Helpers for suites (and the demo) that run ISC Kea on the devices with the
# platform's hook (kea/, docs/kea.md) and real DHCP clients (ISC dhclient)
# on host H. Sourced after lib.sh: everything started is in DEV_PID, so
# lib.sh's cleanup ends it, and lives under $ROOT.

KEA_HOOKS_DIR=${KEA_HOOKS_DIR:-/usr/lib/x86_64-linux-gnu/kea/hooks}
RBP_HOOK=$(cd "$BIN/../lib" && pwd)/libdhcp_rbp.so
# Each group's clients get addresses from a pool of their own: the master
# of the odd-MAC group allocates from the odd pool only, so the two Keas
# never hand out one address twice (docs/kea.md).
KEA_POOL4_ODD="192.0.2.130 - 192.0.2.169"
KEA_POOL4_EVEN="192.0.2.170 - 192.0.2.209"
KEA_ODD_TEST=$(for d in 1 3 5 7 9 b d f; do printf "substring(hexstring(pkt4.mac, ''), -1, 1) == '%s' or " $d; done)
KEA_ODD_TEST=${KEA_ODD_TEST% or }

kea_sock() { echo "$ROOT/$1/kea$2.sock"; }

# dev_addr4 DEV: DEV's own IPv4 address on eth1 (its first). Kea listens
# on it alone: on the whole interface it would open a raw socket per
# address (the virtual addresses too) and take each packet once per socket.
dev_addr4() { inns "$1" ip -4 -o addr show dev eth1 | awk 'NR == 1 { sub(/\/.*/, "", $4); print $4 }'; }

# kea4_hooks DEV: the hooks of kea4_conf by default: the lease_cmds hook
# (our restores go through it) and ours, synchronous with KEA4_SYNC_MS set
# (docs/kea.md).
kea4_hooks() {
	cat <<HOOKS
    { "library": "$KEA_HOOKS_DIR/libdhcp_lease_cmds.so" },
    { "library": "$RBP_HOOK",
      "parameters": { "control-socket": "$(kea_sock "$1" 4)", "rundir": "$(run_dir "$1")",
                      "sync-ms": ${KEA4_SYNC_MS:-0} } }
HOOKS
}

# kea4_conf DEV: DHCPv4 on DEV's eth1 (on its own address, dev_addr4),
# leases in a memfile of its own, a pool per MAC parity (KEA_POOL4_ODD,
# KEA_POOL4_EVEN) and kea4_hooks. The one writer of a DHCPv4
# configuration: the suites, the demo and bench/kea.sh's setups, which
# change it through the environment:
#   KEA4_SYNC_MS  our hook's synchronous mode (default 0: off)
#   KEA4_HOOKS    the entries of hooks-libraries (unset: kea4_hooks DEV;
#                 empty: no hook at all)
#   KEA4_POOL     one pool ("FIRST - LAST") for every client, without the
#                 parity classes (unset or empty: a pool per parity)
#   KEA4_LEASES   the memfile's name in DEV's directory (kea-leases4.csv)
#   KEA4_VALID    the lease lifetime in seconds (600)
#   KEA4_RENEW, KEA4_REBIND  T1 and T2 in seconds (300, 500; set empty:
#                 not configured)
#   KEA4_LOG      the log's severity (INFO)
kea4_conf() {
	local d=$ROOT/$1 timers classes pools
	timers="\"valid-lifetime\": ${KEA4_VALID:-600}"
	[ -z "${KEA4_RENEW-300}" ] || timers+=", \"renew-timer\": ${KEA4_RENEW-300}"
	[ -z "${KEA4_REBIND-500}" ] || timers+=", \"rebind-timer\": ${KEA4_REBIND-500}"
	if [ -n "${KEA4_POOL:-}" ]; then
		classes=""
		pools="{ \"pool\": \"$KEA4_POOL\" }"
	else
		classes="
  \"client-classes\": [ { \"name\": \"odd-mac\", \"test\": \"$KEA_ODD_TEST\" },
                      { \"name\": \"even-mac\", \"test\": \"not member('odd-mac')\" } ],"
		pools="{ \"pool\": \"$KEA_POOL4_ODD\", \"client-class\": \"odd-mac\" },
                            { \"pool\": \"$KEA_POOL4_EVEN\", \"client-class\": \"even-mac\" }"
	fi
	cat <<CONF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "eth1/$(dev_addr4 "$1")" ], "dhcp-socket-type": "raw" },
  "control-socket": { "socket-type": "unix", "socket-name": "$(kea_sock "$1" 4)" },
  "lease-database": { "type": "memfile", "persist": true, "name": "$d/${KEA4_LEASES:-kea-leases4.csv}",
                      "lfc-interval": 0 },
  $timers,$classes
  "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24", "interface": "eth1",
                 "pools": [ $pools ] } ],
  "hooks-libraries": [
${KEA4_HOOKS-$(kea4_hooks "$1")} ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "${KEA4_LOG:-INFO}",
                 "output_options": [ { "output": "$d/kea4.log" } ] } ]
} }
CONF
}

# kea_cmd DEV FAMILY JSON: one command to DEV's Kea; its answer on stdout.
kea_cmd() { "$BIN/kea-ctl" "$(kea_sock "$1" "$2")" "$3"; }

# kea_leases DEV FAMILY: the leases of DEV's Kea, one JSON object per line.
kea_leases() { kea_cmd "$1" "$2" "{\"command\":\"lease$2-get-all\"}" | jq -c '.arguments.leases[]?'; }

# kea_start DEV: Kea DHCPv4 in DEV's namespace, until its control socket
# answers (10 s at most).
kea_start() {
	local d=$ROOT/$1
	kea4_conf "$1" >"$d/kea4.json"
	KEA_LOCKFILE_DIR=$d KEA_PIDFILE_DIR=$d ip netns exec "${DEV_NS[$1]}" kea-dhcp4 -c "$d/kea4.json" \
		>>"$d/kea4.out" 2>&1 &
	DEV_PID[$1.kea4]=$!
	wait_until 10 kea_cmd "$1" 4 '{"command":"version-get"}' >/dev/null ||
		{ echo "  Kea on $1 did not start:"; tail -n 5 "$d/kea4.out" "$d/kea4.log"; return 1; }
}

# client_mac N: the MAC of client N; odd N, odd MAC (group 1, A's).
client_mac() { printf '02:dc:10:00:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }
# client_master N: the device master of client N's group (A odd, B even).
client_master() { [ $(($1 % 2)) = 1 ] && echo A || echo B; }

# dhcp_users DEV: the dhcp-server users of DEV's rbpd, "KEY MAC ROLE" per
# line; n_dhcp_users DEV: how many.
dhcp_users() {
	jcli "$1" "display remote-backup-profile rbp1 users dhcp-server" |
		jq -r '.users[] | "\(.key) \(.mac) \(.role)"'
}
n_dhcp_users() { dhcp_users "$1" | wc -l; }

# client_add N: macvlan cN on host H's eth1, with client N's MAC.
client_add() {
	mkdir -p "$ROOT/H"
	[ -f "$ROOT/H/dhclient.conf" ] ||
		printf 'timeout 40;\nretry 1;\nreboot 10;\nrequest subnet-mask;\n' >"$ROOT/H/dhclient.conf"
	inns H ip link add link eth1 name "c$1" type macvlan mode bridge &&
		inns H ip link set "c$1" address "$(client_mac "$1")" &&
		inns H ip link set "c$1" up
}

# client_run N: one dhclient run of client N (its lease file kept across
# runs: a second run asks for the same address, INIT-REBOOT), until bound
# or 40 s; then the client is stopped without releasing. Its output is
# appended to $ROOT/H/cN.log, the run's own is in $ROOT/H/cN.last.
client_run() {
	local n=$1 d=$ROOT/H pid i rc=1
	: >"$d/c$n.last"
	ip netns exec "${DEV_NS[H]}" dhclient -d -1 -v -cf "$d/dhclient.conf" -sf /bin/true \
		-lf "$d/c$n.leases" -pf "$d/c$n.pid" "c$n" >"$d/c$n.last" 2>&1 &
	pid=$!
	for i in $(seq 400); do
		grep -q '^bound to' "$d/c$n.last" && { rc=0; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	cat "$d/c$n.last" >>"$d/c$n.log"
	return $rc
}

# client_addr N: the address of client N's last lease; client_server N:
# the server that granted it.
client_addr() { grep -o 'fixed-address [0-9.]*' "$ROOT/H/c$1.leases" | tail -n 1 | cut -d' ' -f2; }
client_server() {
	grep -o 'dhcp-server-identifier [0-9.]*' "$ROOT/H/c$1.leases" | tail -n 1 | cut -d' ' -f2
}

# clients_run FIRST LAST: client_run for each, in parallel; fails when one
# failed (named on stdout).
clients_run() {
	local n pids=() bad=0
	for n in $(seq "$1" "$2"); do client_run "$n" & pids+=($!); done
	for n in "${!pids[@]}"; do
		wait "${pids[$n]}" || { echo "  client $(($1 + n)) got no lease:"; tail -n 3 "$ROOT/H/c$(($1 + n)).last"; bad=1; }
	done
	return $bad
}

# ---- DHCPv6 (tests/integration/kea6.sh) ----

# One pool per MAC parity, as for DHCPv4. Kea 2.2 has no pkt6.mac in its
# expressions; a class sees the client's DUID (option 1, client identifier)
# instead, and a DUID-LL or DUID-LLT of an Ethernet interface ends with
# the interface's MAC (RFC 8415 11.2, 11.4): the last hex digit of
# option[1].hex is the MAC's. The clients of these suites use DUID-LL
# (dhclient -D LL). A DUID of another type (DUID-EN, DUID-UUID) says
# nothing of the MAC: such a client lands in the even pool, while the hook
# decides by the MAC Kea finds elsewhere (its link-local address).
KEA_POOL6_ODD="2001:db8::100 - 2001:db8::1ff"
KEA_POOL6_EVEN="2001:db8::200 - 2001:db8::2ff"
KEA_ODD6_TEST=$(for d in 1 3 5 7 9 b d f; do printf "substring(hexstring(option[1].hex, ''), -1, 1) == '%s' or " $d; done)
KEA_ODD6_TEST=${KEA_ODD6_TEST% or }

# kea6_server_id DEV: the server identifier (a DUID-EN, ISC's enterprise
# number, the device's name in hex) DEV's Kea DHCPv6 sends, as dhclient
# writes it ("0:2:0:0:9:bf:41"). Set, not generated: Kea keeps a generated
# one in its data directory, which these suites' devices would otherwise
# share with the machine's own Kea.
kea6_server_id() { printf '0:2:0:0:9:bf:%x' "'$1"; }

# kea6_conf DEV: DHCPv6 on DEV's eth1, as kea4_conf.
kea6_conf() {
	local d=$ROOT/$1
	cat <<CONF
{ "Dhcp6": {
  "interfaces-config": { "interfaces": [ "eth1" ], "service-sockets-max-retries": 100,
                         "service-sockets-retry-wait-time": 100 },
  "data-directory": "$d",
  "server-id": { "type": "EN", "enterprise-id": 2495, "identifier": "$(printf '%02x' "'$1")",
                 "persist": false },
  "control-socket": { "socket-type": "unix", "socket-name": "$(kea_sock "$1" 6)" },
  "lease-database": { "type": "memfile", "persist": true, "name": "$d/kea-leases6.csv",
                      "lfc-interval": 0 },
  "preferred-lifetime": ${KEA6_PREFERRED:-500}, "valid-lifetime": ${KEA6_VALID:-600},
  "renew-timer": ${KEA6_RENEW:-300}, "rebind-timer": ${KEA6_REBIND:-400},
  "client-classes": [ { "name": "odd-mac", "test": "$KEA_ODD6_TEST" },
                      { "name": "even-mac", "test": "not member('odd-mac')" } ],
  "subnet6": [ { "id": 1, "subnet": "2001:db8::/64", "interface": "eth1",
                 "pools": [ { "pool": "$KEA_POOL6_ODD", "client-class": "odd-mac" },
                            { "pool": "$KEA_POOL6_EVEN", "client-class": "even-mac" } ] } ],
  "hooks-libraries": [
    { "library": "$KEA_HOOKS_DIR/libdhcp_lease_cmds.so" },
    { "library": "$RBP_HOOK",
      "parameters": { "control-socket": "$(kea_sock "$1" 6)", "rundir": "$(run_dir "$1")" } } ],
  "loggers": [ { "name": "kea-dhcp6", "severity": "INFO",
                 "output_options": [ { "output": "$d/kea6.log" } ] } ]
} }
CONF
}

# kea6_start DEV: Kea DHCPv6 in DEV's namespace, until its control socket
# answers and it listens on eth1 (10 s at most). Kea binds port 547 on
# eth1's link-local address (and on ff02::1:2, joined there), which cannot
# be bound while DAD holds it tentative, as after eth1 comes up: kea6_conf
# has Kea retry then (service-sockets-max-retries), as a router's must.
kea6_start() {
	local d=$ROOT/$1
	kea6_conf "$1" >"$d/kea6.json"
	KEA_LOCKFILE_DIR=$d KEA_PIDFILE_DIR=$d ip netns exec "${DEV_NS[$1]}" kea-dhcp6 -c "$d/kea6.json" \
		>>"$d/kea6.out" 2>&1 &
	DEV_PID[$1.kea6]=$!
	wait_until 10 kea_cmd "$1" 6 '{"command":"version-get"}' >/dev/null &&
		wait_until 10 kea6_listens "$1" ||
		{ echo "  Kea DHCPv6 on $1 did not start:"; tail -n 5 "$d/kea6.out" "$d/kea6.log"; return 1; }
}

# kea6_listens DEV: a socket of DEV's is bound to port 547 of eth1's
# link-local address.
kea6_listens() { inns "$1" ss -Hnlu 'sport = :547' | grep -q '\[fe80:[0-9a-f:]*\]%eth1:547 '; }

# client6_add N: macvlan cN on host H's eth1 with client N's MAC, its
# link-local address usable at once (no DAD: dhclient -6 binds to it).
client6_add() {
	mkdir -p "$ROOT/H"
	[ -f "$ROOT/H/dhclient6.conf" ] || printf 'timeout 20;\n' >"$ROOT/H/dhclient6.conf"
	inns H ip link add link eth1 name "c$1" type macvlan mode bridge &&
		inns H ip link set "c$1" address "$(client_mac "$1")" &&
		inns H sysctl -qw "net.ipv6.conf.c$1.accept_dad=0" &&
		inns H ip link set "c$1" up
}

# client6_run N [BOUNDS]: one dhclient -6 run of client N, with a DUID-LL
# of its interface's MAC (-D LL; kept in its lease file, which is kept
# across runs: a second run confirms the lease it holds, then renews or
# rebinds it when T1 or T2 has passed), until it has been bound BOUNDS
# times (default 1: the confirmed lease counts as one) or 25 s; then the
# client is stopped without releasing. Output as client_run's.
client6_run() {
	local n=$1 bounds=${2:-1} d=$ROOT/H pid i rc=1
	: >"$d/c$n.last"
	ip netns exec "${DEV_NS[H]}" dhclient -6 -D LL -d -1 -v -cf "$d/dhclient6.conf" -sf /bin/true \
		-lf "$d/c$n.leases" -pf "$d/c$n.pid" "c$n" >"$d/c$n.last" 2>&1 &
	pid=$!
	for i in $(seq 250); do
		# the expiry is scheduled last, after the lease is written
		[ "$(grep -c '^PRC: Expiration scheduled' "$d/c$n.last")" -ge "$bounds" ] && { rc=0; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	cat "$d/c$n.last" >>"$d/c$n.log"
	return $rc
}

# kea_hex TEXT: dhclient's "0:3:0:1:2:dc:..." as Kea writes it, "00:03:...".
kea_hex() { echo "$1" | awk -F: '{ for (i = 1; i <= NF; i++) printf "%s%02s", (i > 1 ? ":" : ""), $i; print "" }' | tr ' ' 0; }

# client6_addr N, client6_server N, client6_duid N: the address of client
# N's last lease (its IA_NA's), the server identifier that granted it
# (dhclient's form, as kea6_server_id), and its own DUID (Kea's form).
client6_lease() { awk '/^lease6 /{ b = "" } { b = b $0 "\n" } END { printf "%s", b }' "$ROOT/H/c$1.leases"; }
client6_addr() { client6_lease "$1" | awk '$1 == "iaaddr" { print $2 }' | tail -n 1; }
client6_server() { client6_lease "$1" | awk '$2 == "dhcp6.server-id" { sub(";", "", $3); print $3 }'; }
client6_duid() {
	kea_hex "$(client6_lease "$1" | awk '$2 == "dhcp6.client-id" { sub(";", "", $3); print $3 }')"
}
client6_iaid() {
	local ia
	ia=$(client6_lease "$1" | awk '$1 == "ia-na" { print $2 }')
	[ -n "$ia" ] && echo $((0x${ia//:/}))
}

# clients6_run FIRST LAST [BOUNDS]: client6_run for each, in parallel, as
# clients_run.
clients6_run() {
	local n pids=() bad=0
	for n in $(seq "$1" "$2"); do client6_run "$n" "${3:-}" & pids+=($!); done
	for n in "${!pids[@]}"; do
		wait "${pids[$n]}" || { echo "  client $(($1 + n)) not bound:"; tail -n 3 "$ROOT/H/c$(($1 + n)).last"; bad=1; }
	done
	return $bad
}
