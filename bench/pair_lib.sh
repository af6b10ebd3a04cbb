# shellcheck shell=bash
# Helpers shared by bench/switchover.sh and bench/resync.sh, sourced after
# tests/integration/lib.sh (ROOT, the devices' namespaces): the two
# devices' configuration and the DHCP users given to A.

# pair_procedure DEV: A (priority 120) or B (100) with VRRP groups 1 (odd
# MACs) and 2 (even MACs) on eth1, the profile rbp1 (peer-backup hot) and
# the service rbs1 over TLS on the link 198.51.100.0/24, the certificates
# in $ROOT/certs (make_certs).
pair_procedure() {
	local d=$1 prio src peer
	if [ "$d" = A ]; then prio=120 src=198.51.100.1 peer=198.51.100.2
	else prio=100 src=198.51.100.2 peer=198.51.100.1; fi
	cat <<CONF
system-view
ssl policy rbs_ssl
certificate load pem-cert $ROOT/certs/$d.pem key-pair rsa key-file $ROOT/certs/$d.key
trusted-ca load pem-ca $ROOT/certs/ca.pem
commit
interface eth1
vrrp vrid 1 virtual-ip 192.0.2.100
vrrp vrid 1 priority $prio
vrrp vrid 2 virtual-ip 192.0.2.101
vrrp vrid 2 priority $prio
commit
quit
remote-backup-profile rbp1
peer-backup hot
vrrp-id 1 interface eth1 odd-mac
vrrp-id 2 interface eth1 even-mac
backup-id 10 remote-backup-service rbs1
commit
quit
remote-backup-service rbs1
bind ssl-policy rbs_ssl
peer $peer source $src port 6000
commit
return
CONF
}

# pair_users N PAYLOAD: lines for dbuser load, N DHCP users on eth1 with
# keys "lease-K" and PAYLOAD bytes of payload each
pair_users() {
	awk -v n="$1" -v p="$2" 'BEGIN {
		pad = sprintf("%*s", p, ""); gsub(/ /, "x", pad)
		for (i = 0; i < n; i++)
			printf "add dhcp-server 02:dc:%02x:%02x:%02x:%02x eth1 lease-%d %s\n",
				int(i / 16777216) % 256, int(i / 65536) % 256, int(i / 256) % 256,
				i % 256, i, pad }'
}
