/*
 * VRRP on the wire and in the kernel: raw IP protocol 112 sockets joined to
 * the VRRP multicast group on one interface, virtual addresses added and
 * removed through rtnetlink, gratuitous ARP and unsolicited neighbour
 * advertisements, the kernel's link and address notifications, and the
 * macvlan interfaces and sysctls of `virtual-mac`.
 *
 * Thin system-call wrappers: no state, no logging; every function returns
 * 0 (or a count / descriptor) or a negative errno, and the caller decides
 * what to log. Packets are built and checked by vrrp_pkt.
 */
#ifndef DB_VRRP_NET_H
#define DB_VRRP_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 address; which one is known from the context. */
union vrrp_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

/*
 * Opens a raw socket for VRRP of `family` (AF_INET / AF_INET6) on one
 * interface: bound to the device, non-blocking, multicast TTL / hop limit
 * 255 (RFC 5798 5.1.1.3), no multicast loopback, joined to 224.0.0.18 or
 * ff02::12 on ifindex, and asking for the hop limit and destination of
 * every IPv6 packet. Returns the descriptor or a negative errno (the
 * caller closes it, which also leaves the group).
 */
int vrrp_net_open(int family, unsigned ifindex, const char *ifname);

/*
 * Opens a raw VRRP socket of `family` for every interface at once: not bound
 * to a device, non-blocking, multicast TTL / hop limit 255, no multicast
 * loopback, and reporting each packet's interface, destination and hop
 * limit (vrrp_net_recv() fills rx->ifindex). Join it to the VRRP group on
 * each interface with vrrp_net_join(). One such socket instead of one per
 * interface keeps the kernel from offering every packet to a thousand
 * sockets. Its receive buffer is VRRP_NET_RCVBUF (one socket may take a
 * thousand interfaces' advertisements at once), and vrrp_net_recv()
 * reports how many packets the kernel dropped on it because the buffer
 * was full. Returns the descriptor or a negative errno.
 */
#define VRRP_NET_RCVBUF (4 << 20)
int vrrp_net_open_shared(int family);

/*
 * Joins (join = true) or leaves 224.0.0.18 / ff02::12 on ifindex. Returns 0
 * or a negative errno; -ENOBUFS (or -ENOMEM) when the socket holds all the
 * memberships the kernel allows it (IPv4: net.ipv4.igmp_max_memberships,
 * 20 by default): open another socket.
 */
int vrrp_net_join(int fd, int family, unsigned ifindex, bool join);

/*
 * Sends one VRRP message (buf, len: what vrrp_pkt_build() wrote) from src on
 * ifindex to the VRRP multicast group (vrrpd sends IPv6 advertisements
 * with vrrp_net_send6_link() instead). The kernel adds the IP header; the
 * source is forced with IP_PKTINFO / IPV6_PKTINFO so that it is the address
 * the checksum was computed with. ifindex may be another interface than
 * the one fd is bound to: a macvlan on it (IPv4), whose MAC the frame then
 * carries while src stays the parent's address (RFC 5798 7.3). Returns 0
 * or a negative errno.
 */
int vrrp_net_send(int fd, int family, unsigned ifindex, const union vrrp_addr *src,
		  const uint8_t *buf, size_t len);

/*
 * Sends one VRRP message for IPv6 (buf, len: what vrrp_pkt_build() wrote,
 * checksummed with src and ff02::12) from src on ifindex, with the IPv6
 * header built here and the frame handed to the device through the
 * AF_PACKET socket pfd (vrrp_net_announce_open()'s *pkt), to the MAC of
 * ff02::12. A raw IPv6 socket would route every advertisement, and the
 * kernel finds the route to ff02::12 by walking one ff00::/8 route per
 * interface: with a thousand interfaces that walk was most of the cost of
 * sending. The frame carries the device's MAC (a macvlan's: the virtual
 * MAC). It does not pass through ip6tables' OUTPUT chain. Returns 0 or a
 * negative errno.
 */
int vrrp_net_send6_link(int pfd, unsigned ifindex, const struct in6_addr *src, const uint8_t *buf,
		       size_t len);

/* What vrrp_net_recv() learnt about one received packet. */
struct vrrp_net_rx {
	union vrrp_addr src, dst;
	unsigned ifindex;	/* where it came in (0 if the kernel did not say) */
	int ttl;		/* TTL / hop limit, -1 if the kernel did not say */
	const uint8_t *payload; /* the VRRP message, points into the caller's buffer */
	size_t len;
	/* Packets the kernel dropped on this socket so far, its receive
	 * buffer full (a running count, wrapping at 2^32), if it said. */
	uint32_t kernel_drops;
	bool has_kernel_drops;
};

/*
 * Reads one packet. For IPv4 the IP header is parsed and stripped (a
 * header that does not hold together gives -EBADMSG); for IPv6 the hop
 * limit and destination come from ancillary data. Returns the number of
 * bytes read (> 0), -EAGAIN when nothing is waiting, or a negative errno.
 */
int vrrp_net_recv(int fd, int family, uint8_t *buf, size_t cap, struct vrrp_net_rx *rx);

/* An rtnetlink socket for vrrp_net_addr() and the vrrp_net_link_*() and
 * vrrp_net_macvlan_add() requests (blocking, each waits for its ACK).
 * Returns the descriptor or a negative errno. */
int vrrp_net_nl_open(void);

/*
 * Adds (add = true) or removes a virtual address on ifindex, as a /32 or
 * /128 host address (IPv6: no duplicate address detection, RFC 5798 8.2.2
 * wants it usable at once). Adding an address that is there, or removing
 * one that is not, returns 0. Otherwise 0 or a negative errno.
 */
int vrrp_net_addr(int nlfd, bool add, int family, unsigned ifindex, const union vrrp_addr *a);

/*
 * Is `a` on ifindex, and how? Returns VRRP_NET_ADDR_HOST for a /32 or /128
 * address (what vrrp_net_addr() adds: a virtual address, maybe one a
 * previous vrrpd left behind), VRRP_NET_ADDR_IFACE for an address with a
 * shorter prefix (the interface's own: this router owns the address,
 * RFC 5798 1.1 "IP Address Owner"), 0 when absent, or a negative errno.
 */
#define VRRP_NET_ADDR_HOST 1
#define VRRP_NET_ADDR_IFACE 2
int vrrp_net_addr_kind(int family, unsigned ifindex, const union vrrp_addr *a);

/*
 * The address this router advertises from on ifindex: the first IPv4
 * address that is not a /32 host address (virtual addresses are added as
 * /32), or the first IPv6 link-local address. Returns 0, -ENOENT when
 * there is none, or a negative errno.
 */
int vrrp_net_primary(int family, unsigned ifindex, union vrrp_addr *out);

/*
 * vrrp_net_addr_kind() and vrrp_net_primary() each dump every address of
 * the system (getifaddrs()), which with a thousand interfaces costs
 * milliseconds. Between vrrp_net_snapshot_begin() and _end() they answer
 * from one dump instead, taken at the first query (a bracket that asks
 * nothing costs nothing): bracket a run of queries that may see the same
 * state (a commit check, applying a configuration, a burst of address
 * notifications). begin returns 0; a dump that fails leaves the queries
 * dumping as usual; a second begin drops the snapshot.
 */
int vrrp_net_snapshot_begin(void);
void vrrp_net_snapshot_end(void);

/* The interface's hardware address (6 bytes). Returns 0 or a negative errno. */
int vrrp_net_hwaddr(const char *ifname, uint8_t mac[6]);

/*
 * Opens the sockets used to announce addresses: an AF_PACKET socket that
 * only sends, for gratuitous ARP and IPv6 advertisements (*pkt), and an
 * ICMPv6 raw socket with hop limit 255 for unsolicited neighbour
 * advertisements (*icmp6). Returns 0 or a negative
 * errno (nothing left open).
 */
int vrrp_net_announce_open(int *pkt, int *icmp6);

/* A gratuitous ARP request for a (sender and target = a, from mac) on
 * ifindex, to the broadcast address. Returns 0 or a negative errno. */
int vrrp_net_garp(int fd, unsigned ifindex, const uint8_t mac[6], const struct in_addr *a);

/* An unsolicited neighbour advertisement for a to all nodes (RFC 4861
 * 7.2.6: Override set, Router set, with the target link-layer address).
 * Returns 0 or a negative errno. */
int vrrp_net_unsolicited_na(int fd, unsigned ifindex, const uint8_t mac[6],
			    const struct in6_addr *a);

/* An rtnetlink socket subscribed to link and address changes, non-blocking.
 * Returns the descriptor or a negative errno. */
int vrrp_net_monitor_open(void);

/* One change read by vrrp_net_monitor_read(). */
struct vrrp_net_event {
	enum { VRRP_NET_LINK, VRRP_NET_ADDR } kind;
	unsigned ifindex;
	char ifname[16]; /* LINK only */
	bool up;	 /* LINK: administratively up and carrier; false when deleted */
};

/*
 * Reads the pending notifications and calls cb once per link or address
 * change. Returns 0 when everything was read, or a negative errno
 * (-ENOBUFS: the kernel dropped notifications; re-read the state).
 */
int vrrp_net_monitor_read(int fd, void (*cb)(const struct vrrp_net_event *ev, void *arg),
			  void *arg);

/* Is the interface up with carrier now? 1, 0, or a negative errno. */
int vrrp_net_link_up(const char *ifname);

/*
 * Creates a macvlan interface `name` (at most IF_NAMESIZE - 1 characters)
 * on the interface `parent`, in bridge mode, with hardware address mac,
 * left down (RFC 5798 7.3: the virtual router MAC address). Bridge mode and
 * not private: a private macvlan swallows every multicast frame whose
 * source MAC is its own, and a backup's macvlan has the master's virtual
 * MAC, so the master's advertisements would never reach the parent's VRRP
 * socket. Returns 0, -EEXIST when an interface of that name exists, or a
 * negative errno.
 */
int vrrp_net_macvlan_add(int nlfd, unsigned parent, const char *name, const uint8_t mac[6]);

/* What vrrp_net_link_get() learnt about one interface. */
struct vrrp_net_link {
	unsigned ifindex;
	char kind[16]; /* IFLA_INFO_KIND ("macvlan", "veth", ...), "" if none */
};

/* Looks up the interface called name. Returns 0, -ENODEV when there is
 * none, or a negative errno. */
int vrrp_net_link_get(int nlfd, const char *name, struct vrrp_net_link *out);

/* Sets the interface administratively up. Returns 0, -EADDRINUSE for a
 * macvlan whose MAC another macvlan of the same parent has up, or a
 * negative errno. */
int vrrp_net_link_set_up(int nlfd, unsigned ifindex);

/* Deletes the interface. Returns 0, -ENODEV when it is already gone, or a
 * negative errno. */
int vrrp_net_link_del(int nlfd, unsigned ifindex);

/*
 * Reads or writes an integer sysctl through its file, e.g.
 * "/proc/sys/net/ipv4/conf/eth1/arp_ignore" (of the caller's network
 * namespace). Returns 0 (the value in *val for _get), -ENOENT when there
 * is no such setting, -EBADMSG when the file does not hold an integer, or
 * a negative errno.
 */
int vrrp_net_sysctl_get(const char *path, int *val);
int vrrp_net_sysctl_set(const char *path, int val);

#endif
