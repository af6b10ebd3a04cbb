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

# kea4_conf DEV: DHCPv4 on DEV's eth1, leases in a memfile of its own, the
# lease_cmds hook (our restores go through it) and ours.
kea4_conf() {
	local d=$ROOT/$1
	cat <<CONF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "eth1" ], "dhcp-socket-type": "raw" },
  "control-socket": { "socket-type": "unix", "socket-name": "$(kea_sock "$1" 4)" },
  "lease-database": { "type": "memfile", "persist": true, "name": "$d/kea-leases4.csv",
                      "lfc-interval": 0 },
  "valid-lifetime": 600, "renew-timer": 300, "rebind-timer": 500,
  "client-classes": [ { "name": "odd-mac", "test": "$KEA_ODD_TEST" },
                      { "name": "even-mac", "test": "not member('odd-mac')" } ],
  "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24", "interface": "eth1",
                 "pools": [ { "pool": "$KEA_POOL4_ODD", "client-class": "odd-mac" },
                            { "pool": "$KEA_POOL4_EVEN", "client-class": "even-mac" } ] } ],
  "hooks-libraries": [
    { "library": "$KEA_HOOKS_DIR/libdhcp_lease_cmds.so" },
    { "library": "$RBP_HOOK",
      "parameters": { "control-socket": "$(kea_sock "$1" 4)", "rundir": "$(run_dir "$1")" } } ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
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
