/*
 * The kernel's neighbour tables (ARP for IPv4, neighbour discovery for
 * IPv6) through rtnetlink: a monitor socket that hears every change and
 * answers dumps, and a control socket that installs and removes entries.
 * Plain AF_NETLINK sockets, no libnl.
 *
 * rbp_neigh_parse() is pure and fuzzed; the rest are thin system-call
 * wrappers: no state, no logging, 0 (or a count / descriptor) or a
 * negative errno, and the caller decides what to log.
 *
 * Decisions:
 *  - The dump is asked for on the monitor socket itself, so its answers
 *    arrive in one queue with the events, in the order the kernel made
 *    them: an event that overtakes a dump entry is newer than it, and
 *    applying both in arrival order leaves the caller's table right.
 *  - The monitor socket keeps the kernel's ENOBUFS (no
 *    NETLINK_NO_ENOBUFS): a lost event must be learnt, and repaired by a
 *    new dump.
 *  - Requests on the control socket do not wait for their ACK; the ACKs
 *    queue up and rbp_neigh_ctl_read() collects them when the caller's
 *    loop sees the socket readable. The kernel drops an ACK that finds the
 *    socket's receive queue full (and reports ENOBUFS), so rbp_neigh_set()
 *    and rbp_neigh_del() refuse to send (-EAGAIN) while it is full: no
 *    error is ever lost silently.
 *
 * What the kernel reports (seen on Linux 6.18; the tests check the first
 * three):
 *  - Every event and dump entry carries NDA_PROTOCOL when the entry has
 *    one, whatever its state.
 *  - Replacing an entry without NDA_PROTOCOL keeps the protocol it had.
 *  - RTM_DELNEIGH from rbp_neigh_del() comes after an RTM_NEWNEIGH that
 *    turns the entry NUD_FAILED, and both lack NDA_LLADDR: the removal
 *    does not say which MAC the entry had.
 *  - Replacing an entry with exactly what it holds sends no event.
 *  - A dump of AF_UNSPEC also returns the NUD_NOARP entries of multicast
 *    addresses (ff02::2, ff02::1:ff00:0/104, ...), protocol 0, and the
 *    AF_BRIDGE entries of the interfaces' own MACs (ignored here).
 *  - An interface going down removes its entries: one RTM_DELNEIGH each,
 *    with the MAC and the state they had.
 */
#ifndef DB_RBP_NEIGH_H
#define DB_RBP_NEIGH_H

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The NDA_PROTOCOL ("originator of the entry", Linux 5.2) rbpd gives the
 * entries it installs on the backup from the peer's tables. It tells them
 * apart from the entries this device learnt itself, in `ip neigh` output
 * ("proto 219") and after a restart of rbpd. 0xdb is above every value
 * iproute2's rt_protos names. NDA_PROTOCOL is an enum member of
 * linux/neighbour.h since Linux 5.2 (Debian 12's headers are 6.1's), not a
 * macro that could be tested and defined here.
 */
#define RBP_NEIGH_PROTO 0xdb

/* Room for any address rbp_neigh_addr_str() writes, and its NUL. */
#define RBP_NEIGH_ADDRSTRLEN 46

/* One neighbour (ARP entry for AF_INET, ND entry for AF_INET6) as
 * rtnetlink reports it. */
struct rbp_neigh {
	int family; /* AF_INET or AF_INET6 */
	int ifindex;
	uint8_t addr[16];  /* 4 or 16 bytes used, the rest zero */
	uint8_t lladdr[6]; /* zero when !has_lladdr */
	bool has_lladdr;   /* an NDA_LLADDR of 6 bytes was present */
	uint16_t state;	   /* NUD_* */
	uint8_t flags;	   /* NTF_* */
	uint8_t protocol;  /* NDA_PROTOCOL, 0 when absent */
};

/*
 * Reads one rtnetlink message: h and its header included, len the number
 * of bytes available from h (at least h->nlmsg_len for a whole message).
 * Returns:
 *   1 with *out filled for an RTM_NEWNEIGH or RTM_DELNEIGH of AF_INET or
 *     AF_INET6 with an NDA_DST of 4 or 16 bytes. An NDA_LLADDR of another
 *     length than 6 (none at all for an INCOMPLETE or FAILED entry, 4 or
 *     16 for tunnels, 20 for InfiniBand) leaves has_lladdr false.
 *   0 for a message rbpd ignores: another type (RTM_GETNEIGH too, which the
 *     kernel sends for application probes), another family (AF_BRIDGE:
 *     the bridges' forwarding databases, which a dump of AF_UNSPEC also
 *     returns), or a neighbour without NDA_DST.
 *   -EINVAL for a malformed message: len or nlmsg_len shorter than the
 *     headers, nlmsg_len longer than len, an attribute shorter than its
 *     own header or running past nlmsg_len, a few stray bytes after the
 *     last attribute, an NDA_DST of the wrong size for the family, an
 *     empty NDA_PROTOCOL.
 * *out is written only when 1 is returned. Reads nothing outside
 * [h, h + min(len, nlmsg_len)) and needs no alignment of h beyond what
 * struct nlmsghdr has.
 */
int rbp_neigh_parse(const struct nlmsghdr *h, size_t len, struct rbp_neigh *out);

/* The largest request rbp_neigh_build() writes (it needs 68 bytes). */
#define RBP_NEIGH_REQ_MAX 128

/*
 * Writes into buf (cap bytes, any alignment) the request rbp_neigh_set()
 * (type RTM_NEWNEIGH) or rbp_neigh_del() (type RTM_DELNEIGH) sends for n,
 * with sequence number seq. Pure: lets the requests be checked without a
 * kernel. Returns its length; -EAFNOSUPPORT when n->family is neither
 * AF_INET nor AF_INET6; -EINVAL for another type; -EMSGSIZE when cap is
 * too small (RBP_NEIGH_REQ_MAX never is).
 */
int rbp_neigh_build(void *buf, size_t cap, int type, const struct rbp_neigh *n, uint32_t seq);

/*
 * Opens the monitor socket: NETLINK_ROUTE, non-blocking, close-on-exec,
 * bound to RTNLGRP_NEIGH, its receive buffer 8 MiB if this process may
 * force that (CAP_NET_ADMIN), else as large as net.core.rmem_max allows.
 * Returns the descriptor or a negative errno.
 */
int rbp_neigh_monitor_open(void);

/*
 * Asks the kernel for every neighbour of every family (RTM_GETNEIGH,
 * NLM_F_DUMP, AF_UNSPEC) on the monitor socket fd, with sequence number
 * seq. The answers arrive on fd among the events, and rbp_neigh_read()
 * reports them as RTM_NEWNEIGH then NLMSG_DONE. The kernel runs one dump
 * at a time per socket, and its answers are never lost (it makes them
 * only as the reader makes room, ENOBUFS or not): once asked, wait for
 * NLMSG_DONE before asking again. Asking earlier is refused, and
 * rbp_neigh_read() then returns -EBUSY, while the NLMSG_DONE that still
 * comes is the running dump's, not the refused one's. Returns 0 or a
 * negative errno.
 */
int rbp_neigh_dump(int fd, uint32_t seq);

/* What rbp_neigh_read() reports: type is RTM_NEWNEIGH or RTM_DELNEIGH
 * with the neighbour, or NLMSG_DONE with n NULL when a dump has ended.
 * n points into the reader's memory and is valid during the call only. */
typedef void (*rbp_neigh_fn)(void *arg, int type, const struct rbp_neigh *n);

/*
 * Reads every datagram waiting on the monitor socket fd without blocking,
 * and calls fn for each neighbour (messages rbp_neigh_parse() ignores or
 * finds malformed are skipped) and for the end of each dump. Returns,
 * once the socket is drained:
 *   the number of neighbours reported (>= 0);
 *   -ENOBUFS when notifications were lost: the kernel found the receive
 *     queue full, a datagram did not fit the read buffer, or the kernel
 *     flagged a dump as disturbed (NLM_F_DUMP_INTR). Everything that did
 *     arrive has still been reported, and the socket stays usable: the
 *     caller dumps again, after the NLMSG_DONE of a dump already running
 *     (which an overrun does not cut short);
 *   -EBUSY (or another kernel error) when a dump request was refused, or a
 *     dump ended in error (its NLMSG_DONE is then not reported);
 *   another negative errno when reading failed (what had been read by then
 *     has been reported).
 */
int rbp_neigh_read(int fd, rbp_neigh_fn fn, void *arg);

/*
 * Opens the control socket: NETLINK_ROUTE, non-blocking, close-on-exec,
 * in no group, with a large receive buffer for the ACKs (as for the
 * monitor) which carry only the request's header, not the whole request
 * (NETLINK_CAP_ACK). Returns the descriptor or a negative errno.
 */
int rbp_neigh_ctl_open(void);

/*
 * Installs or replaces (RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE) the
 * neighbour n->addr of n->family on n->ifindex, with link-layer address
 * n->lladdr (has_lladdr is not looked at), state n->state, flags n->flags
 * and, when non-zero, NDA_PROTOCOL n->protocol. Replacing an entry
 * without a protocol keeps the protocol it had. Does not wait: the ACK,
 * with sequence number seq, comes through rbp_neigh_ctl_read(). Returns 0
 * once the kernel has taken the request; -EAFNOSUPPORT for a family
 * other than AF_INET / AF_INET6; -EAGAIN when the ACKs not read yet fill
 * the socket (the kernel would drop this one's): drain them with
 * rbp_neigh_ctl_read() and call again; or another negative errno.
 */
int rbp_neigh_set(int fd, const struct rbp_neigh *n, uint32_t seq);

/* As rbp_neigh_set(), but only when the kernel has no entry for
 * n->addr on n->ifindex yet (NLM_F_CREATE | NLM_F_EXCL): an entry that
 * appeared since it was looked for is left alone, and the ACK reports
 * EEXIST. */
int rbp_neigh_create(int fd, const struct rbp_neigh *n, uint32_t seq);

/* Removes the neighbour n->addr of n->family on n->ifindex (RTM_DELNEIGH;
 * only those three fields are used). Does not wait for the ACK; returns
 * as rbp_neigh_set(). Removing an absent entry is answered -ENOENT. */
int rbp_neigh_del(int fd, const struct rbp_neigh *n, uint32_t seq);

/*
 * Reads every ACK waiting on the control socket fd without blocking, and
 * calls fn(arg, seq, err) for each one that reports a failure, err the
 * positive errno (ENODEV for an ifindex that does not exist, ENOENT when
 * removing an absent entry, EINVAL, ...), seq the request's. fn may be
 * NULL. Returns the number of ACKs read, failures included (>= 0);
 * -ENOBUFS when ACKs were lost (only possible if something else filled
 * the socket); or another negative errno.
 */
int rbp_neigh_ctl_read(int fd, void (*fn)(void *arg, uint32_t seq, int err), void *arg);

/* Opens a socket for rbp_neigh_get(): NETLINK_ROUTE, close-on-exec,
 * blocking with a 1 s receive timeout. Returns it or a negative errno. */
int rbp_neigh_get_open(void);

/*
 * Asks the kernel (Linux 5.0 and later) for its entry of key->addr of
 * key->family on key->ifindex (only those fields are used), on a socket
 * from rbp_neigh_get_open(), and waits for the answer. Returns 1 with
 * *out filled (its protocol says whose the entry is), 0 when there is
 * none, or a negative errno (-ETIMEDOUT when the kernel did not answer
 * within a second).
 */
int rbp_neigh_get(int fd, const struct rbp_neigh *key, uint32_t seq, struct rbp_neigh *out);

/* Writes n's address as inet_ntop() does into buf (len bytes,
 * RBP_NEIGH_ADDRSTRLEN is enough), or "?" for a family that is neither
 * AF_INET nor AF_INET6; returns buf. */
const char *rbp_neigh_addr_str(const struct rbp_neigh *n, char *buf, size_t len);

#endif
