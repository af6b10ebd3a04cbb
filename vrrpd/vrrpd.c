/*
 * vrrpd: VRRP groups on the wire (RFC 5798 VRRPv3 for IPv4 and IPv6,
 * RFC 3768 VRRPv2).
 *
 * One raw socket per interface and address family carries every group of
 * that interface. Each group runs the pure state machine of vrrp_fsm on a
 * libuv timer; vrrpd turns its actions into packets, addresses and
 * announcements, publishes every state change on RUNDIR/vrrpd-events.ipc,
 * runs the operator's notify script, and answers `display vrrp`.
 *
 * Groups that track an admin-vrrp group (mVRRP) send and process no
 * advertisements: their state follows the admin group's.
 *
 * A group with virtual-mac (IPv4) owns a macvlan on its interface with
 * the virtual router MAC address 00-00-5E-00-01-{VRID} (RFC 5798 7.3),
 * as keepalived's use_vmac: a master holds its virtual addresses there and
 * sends its advertisements and gratuitous ARPs from it; everything is
 * still received on the interface's socket.
 *
 * This file is its main(); vrrpd_life.c starts and stops it, and vrrpd.h
 * says where the rest is.
 */
#include "vrrpd/vrrpd.h"
#include "common/service.h"

int main(int argc, char **argv)
{
	static const struct cfgclient_ops ops = {vrrpd_check, vrrpd_apply, vrrpd_discard};
	static struct vrrpd vrrpd = VRRPD_INITIALIZER;
	static const struct service svc = {
	    "vrrpd", DB__ROLE__ROLE_VRRPD, &ops, vrrpd_display, &vrrpd, vrrpd_init, vrrpd_stop,
	};
	struct vrrpd *d = &vrrpd;
	int rc = service_main(argc, argv, &svc);

	vrrpd_free(d);
	return rc;
}
