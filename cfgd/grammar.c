#include "cfgd/grammar.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the command table ------------------------------------------------ */

#define F_UNDO 0x1	/* an undo form exists */
#define F_UNDO_ONLY 0x2 /* only as undo */
#define F_NO_USER 0x4	/* global, but not in the user view */
#define F_USER_ONLY 0x8

#define VIEW_ANY VIEW_NONE

struct cmd_def {
	enum gram_view view;
	enum gram_id id;
	enum gram_kind kind;
	const char *pattern;
	int key_words; /* GK_SET: words of the key; 0 = the whole line */
	unsigned flags;
	enum gram_view enters;
};

/*
 * Pattern language: words separated by blanks.
 *   keyword         a fixed word, abbreviable to an unambiguous prefix
 *   {a|b|c}         one of these keywords
 *   <name:lo-hi>    an integer in [lo, hi]; <name:lo-hi/step> in steps
 *   <name:TYPE>     ipv4, ipv6, ip, name, ifname, path, sysname, word
 *   [token]         the token may be left out
 */
static const struct cmd_def cmds[] = {
    /* in every view */
    /* VRP knows system-view in the user view only; the procedure starts
     * each step with it, so it is accepted anywhere and goes to system. */
    {VIEW_ANY, G_SYSTEM_VIEW, GK_SESSION, "system-view", 0, 0, VIEW_SYSTEM},
    {VIEW_ANY, G_QUIT, GK_SESSION, "quit", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_RETURN, GK_SESSION, "return", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_COMMIT, GK_SESSION, "commit", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_COMMIT_TRIAL, GK_SESSION, "commit trial <seconds:1-65535>", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_COMMIT_LABEL, GK_SESSION, "commit label <label:word>", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_ABORT_TRIAL, GK_SESSION, "abort trial", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_CLEAR_CANDIDATE, GK_SESSION, "clear configuration candidate", 0, F_NO_USER,
     VIEW_NONE},
    {VIEW_ANY, G_ROLLBACK, GK_SESSION,
     "rollback configuration to commit-id <commit-id:1-999999999999>", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_DISPLAY_CURRENT, GK_SESSION, "display current-configuration", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_DISPLAY_CANDIDATE, GK_SESSION, "display configuration candidate", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_DISPLAY_COMMIT_LIST, GK_SESSION, "display configuration commit list [json]", 0, 0,
     VIEW_NONE},
    {VIEW_ANY, G_DISPLAY_COMMIT_CHANGES, GK_SESSION,
     "display configuration commit changes at <commit-id:1-999999999999> [json]", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_DISPLAY_SYNC, GK_SESSION, "display configuration sync [json]", 0, 0, VIEW_NONE},
    {VIEW_ANY, G_DISPLAY_VRRP, GK_SESSION, "display vrrp [{brief|statistics|verbose}:detail] [json]", 0, 0,
     VIEW_NONE},
    {VIEW_ANY, G_DISPLAY_RBS, GK_SESSION, "display remote-backup-service [<rbs-name:name>] [{verbose}:detail] [json]", 0, 0,
     VIEW_NONE},
    {VIEW_ANY, G_DISPLAY_RBP, GK_SESSION, "display remote-backup-profile [<rbp-name:name>] [json]", 0, 0,
     VIEW_NONE},
    {VIEW_ANY, G_DISPLAY_RBP_USERS, GK_SESSION,
     "display remote-backup-profile <rbp-name:name> users "
     "{arp|nd|dhcp-server|dhcpv6-relay|bras|l2tp|ipsec}:svc [json]",
     0, 0, VIEW_NONE},
    /* one user by MAC (VRP's H-H-H, or with ':' / '-') */
    {VIEW_ANY, G_DISPLAY_RBP_USERS, GK_SESSION,
     "display remote-backup-profile <rbp-name:name> users "
     "{arp|nd|dhcp-server|dhcpv6-relay|bras|l2tp|ipsec}:svc mac <mac-address:word> [json]",
     0, 0, VIEW_NONE},

    {VIEW_ANY, G_DISPLAY_BFD, GK_SESSION, "display bfd session [<session-name:name>] [json]", 0, 0,
     VIEW_NONE},

    /* system view */
    {VIEW_SYSTEM, G_SYSNAME, GK_SET, "sysname <host-name:sysname>", 1, F_UNDO, VIEW_NONE},
    {VIEW_SYSTEM, G_INTERFACE, GK_ENTER, "interface <interface-name:ifname>", 0, F_UNDO,
     VIEW_INTERFACE},
    /* { interface-name | interface-type interface-number }: "interface eth 1" is eth1 */
    {VIEW_SYSTEM, G_INTERFACE, GK_ENTER,
     "interface <interface-type:iftype> <interface-number:ifnum>", 0, F_UNDO, VIEW_INTERFACE},
    {VIEW_SYSTEM, G_RBP, GK_ENTER, "remote-backup-profile <profile-name:name>", 0, F_UNDO,
     VIEW_RBP},
    {VIEW_SYSTEM, G_RBS, GK_ENTER, "remote-backup-service <service-name:name>", 0, F_UNDO,
     VIEW_RBS},
    {VIEW_SYSTEM, G_SSL_POLICY, GK_ENTER, "ssl policy <policy-name:name>", 0, F_UNDO, VIEW_SSL},
    {VIEW_SYSTEM, G_DOWNLOAD_DELAY, GK_SET,
     "peer-backup download-vrrp-table delay-time <delay-time:1-3600>", 3, F_UNDO, VIEW_NONE},
    /* ours: bounds on what the peer may make this device hold */
    {VIEW_SYSTEM, G_USER_LIMIT, GK_SET, "peer-backup user-limit <user-count:1-100000000>", 2,
     F_UNDO, VIEW_NONE},
    {VIEW_SYSTEM, G_KERNEL_LIMIT, GK_SET, "peer-backup kernel-limit <entry-count:1-100000000>", 2,
     F_UNDO, VIEW_NONE},
    {VIEW_SYSTEM, G_VRRP_VERSION, GK_SET, "vrrp version {v2|v3}:version", 2, F_UNDO, VIEW_NONE},
    {VIEW_SYSTEM, G_VRRP_NOTIFY, GK_SET, "vrrp notify-script <script:path>", 2, F_UNDO, VIEW_NONE},
    {VIEW_SYSTEM, G_VRRP_GARP, GK_SET,
     "vrrp gratuitous-arp count <count:1-20> interval <interval-ms:10-60000>", 2, F_UNDO,
     VIEW_NONE},

    /* BFD (RFC 5880/5881), VRP's static sessions: bfd, then bfd NAME bind
     * peer-ip ... creates a session; bfd NAME enters an existing one */
    {VIEW_SYSTEM, G_BFD, GK_ENTER, "bfd", 0, F_UNDO, VIEW_BFD},
    {VIEW_SYSTEM, G_BFD_SESSION, GK_ENTER, "bfd <session-name:name>", 0, F_UNDO,
     VIEW_BFD_SESSION},
    /* (an optional part is one token: each form of bind is spelled out) */
    {VIEW_SYSTEM, G_BFD_SESSION, GK_ENTER, "bfd <session-name:name> bind peer-ip <peer-ip:ip>", 0,
     0, VIEW_BFD_SESSION},
    {VIEW_SYSTEM, G_BFD_SESSION, GK_ENTER,
     "bfd <session-name:name> bind peer-ip <peer-ip:ip> interface <interface-name:ifname>", 0, 0,
     VIEW_BFD_SESSION},
    {VIEW_SYSTEM, G_BFD_SESSION, GK_ENTER,
     "bfd <session-name:name> bind peer-ip <peer-ip:ip> source-ip <source-ip:ip>", 0, 0,
     VIEW_BFD_SESSION},
    {VIEW_SYSTEM, G_BFD_SESSION, GK_ENTER,
     "bfd <session-name:name> bind peer-ip <peer-ip:ip> interface <interface-name:ifname> "
     "source-ip <source-ip:ip>",
     0, 0, VIEW_BFD_SESSION},

    /* interface view */
    {VIEW_INTERFACE, G_VRRP_VIP, GK_SET,
     "vrrp vrid <virtual-router-id:1-255> virtual-ip <virtual-address:ipv4>", 0, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_PRIORITY, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> priority <priority-value:1-254>", 4,
     F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_PREEMPT_DELAY, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> preempt-mode timer delay "
     "<delay-time:0-3600>",
     4, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_PREEMPT_DISABLE, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> preempt-mode disable", 4, F_UNDO,
     VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_ADVERTISE, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> timer advertise <adver-interval:1-255>", 5,
     F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_ADVERTISE_MS, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> timer advertise "
     "<adver-interval-ms:10-40950/10> msec",
     5, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_VMAC, GK_SET, "vrrp vrid <virtual-router-id:1-255> virtual-mac", 4,
     F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_CHECKSUM, GK_SET,
     "vrrp vrid <virtual-router-id:1-255> checksum {pseudo-header|message-only}:checksum", 4,
     F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_TRACK_ADMIN, GK_SET,
     "vrrp vrid <virtual-router-id:1-255> track admin-vrrp interface <interface-name:ifname> vrid "
     "<admin-vrid:1-255>",
     5, F_UNDO, VIEW_NONE},
    /* VRP: the group follows a BFD session (a line per session) */
    {VIEW_INTERFACE, G_VRRP_TRACK_BFD, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track bfd-session session-name "
     "<session-name:name>",
     7, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_TRACK_BFD, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track bfd-session session-name "
     "<session-name:name> reduced <value-reduced:1-255>",
     7, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_TRACK_BFD, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track bfd-session session-name "
     "<session-name:name> increased <value-increased:1-255>",
     7, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_TRACK_BFD, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track bfd-session session-name "
     "<session-name:name> peer",
     7, F_UNDO, VIEW_NONE},
    /* VRP: the group's priority follows an interface's link */
    {VIEW_INTERFACE, G_VRRP_TRACK_IF, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track interface "
     "<tracked-interface:ifname>",
     6, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_TRACK_IF, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track interface "
     "<tracked-interface:ifname> reduced <value-reduced:1-255>",
     6, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_TRACK_IF, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track interface "
     "<tracked-interface:ifname> increased <value-increased:1-255>",
     6, F_UNDO, VIEW_NONE},
    /* VRP: an interface or BFD session that comes back up counts after this */
    {VIEW_INTERFACE, G_VRRP_RECOVER_DELAY, GK_SET, "vrrp recover-delay <delay-value:0-3600>", 2,
     F_UNDO, VIEW_NONE},
    /* ... or by its local discriminator (VRP's bfd-session-id) */
    {VIEW_INTERFACE, G_VRRP_TRACK_BFD, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track bfd-session "
     "<session-id:1-4294967295>",
     6, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_TRACK_BFD, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track bfd-session "
     "<session-id:1-4294967295> reduced <value-reduced:1-255>",
     6, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_TRACK_BFD, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track bfd-session "
     "<session-id:1-4294967295> increased <value-increased:1-255>",
     6, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_TRACK_BFD, GK_SET,
     "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255> track bfd-session "
     "<session-id:1-4294967295> peer",
     6, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP_GROUP, GK_SET, "{vrrp|vrrp6}:family vrid <virtual-router-id:1-255>", 3,
     F_UNDO_ONLY, VIEW_NONE},
    {VIEW_INTERFACE, G_ADMIN_VRRP, GK_SET,
     "admin-vrrp vrid <virtual-router-id:1-255> [ignore-if-down]", 3, F_UNDO, VIEW_NONE},
    {VIEW_INTERFACE, G_VRRP6_VIP, GK_SET,
     "vrrp6 vrid <virtual-router-id:1-255> virtual-ip <virtual-address:ipv6>", 0, F_UNDO,
     VIEW_NONE},
    {VIEW_INTERFACE, G_IF_RBP, GK_SET, "remote-backup-profile <profile-name:name>", 1, F_UNDO,
     VIEW_NONE},

    /* remote-backup-profile view */
    {VIEW_RBP, G_PEER_BACKUP, GK_SET, "peer-backup {hot|warm}:mode", 1, F_UNDO, VIEW_NONE},
    /* ours: a returning device preempts once it holds what the peer holds */
    {VIEW_RBP, G_PREEMPT_WAIT, GK_SET, "peer-backup preempt-wait max <seconds:0-3600>", 3, F_UNDO,
     VIEW_NONE},
    {VIEW_RBP, G_VRRP_ID, GK_SET,
     "vrrp-id <vrid:1-255> interface <interface-name:ifname> {odd-mac|even-mac}:parity", 4, F_UNDO,
     VIEW_NONE},
    {VIEW_RBP, G_BACKUP_ID, GK_SET,
     "backup-id <backup-id:1-65535> remote-backup-service <service-name:name>", 1, F_UNDO,
     VIEW_NONE},

    /* remote-backup-service view */
    {VIEW_RBS, G_BIND_SSL, GK_SET, "bind ssl-policy <ssl-policy-name:name>", 2, F_UNDO, VIEW_NONE},
    {VIEW_RBS, G_PEER, GK_SET,
     "peer <peer-ip-address:ip> source <source-ip-address:ip> port <port-id:1-65535>", 1, F_UNDO,
     VIEW_NONE},
    {VIEW_RBS, G_BATCH_BACKUP, GK_ACTION,
     "batch-backup service-type {arp|all|ipsec|bras|l2tp|dhcp-server|nd|dhcpv6-relay}:service-type "
     "now",
     0, 0, VIEW_NONE},
    /* ours: pin the peer's certificate beyond "signed by the CA" (a
     * line per accepted certificate, so a renewal can be pinned first) */
    {VIEW_RBS, G_PEER_CERT, GK_SET, "peer-certificate sha256 <fingerprint:sha256>", 0, F_UNDO,
     VIEW_NONE},
    /* NE40E's RBS tracks a BFD session: its Down takes the channel down */
    {VIEW_RBS, G_RBS_TRACK_BFD, GK_SET, "track bfd-session session-name <session-name:name>", 2,
     F_UNDO, VIEW_NONE},

    /* ssl policy view */
    {VIEW_SSL, G_SSL_CERT, GK_SET,
     "certificate load pem-cert <cert-file:path> key-pair {rsa|ecc}:key-type key-file "
     "<key-file:path>",
     2, F_UNDO, VIEW_NONE},
    {VIEW_SSL, G_SSL_CA, GK_SET, "trusted-ca load pem-ca <ca-file:path>", 0, F_UNDO, VIEW_NONE},
    {VIEW_SSL, G_SSL_CRL, GK_SET, "crl load pem-crl <crl-file:path>", 0, F_UNDO, VIEW_NONE},

    /* bfd NAME view */
    {VIEW_BFD_SESSION, G_BFD_BIND, GK_SET, "bind peer-ip <peer-ip:ip>", 1, 0, VIEW_NONE},
    {VIEW_BFD_SESSION, G_BFD_BIND, GK_SET,
     "bind peer-ip <peer-ip:ip> interface <interface-name:ifname>", 1, 0, VIEW_NONE},
    {VIEW_BFD_SESSION, G_BFD_BIND, GK_SET, "bind peer-ip <peer-ip:ip> source-ip <source-ip:ip>",
     1, 0, VIEW_NONE},
    {VIEW_BFD_SESSION, G_BFD_BIND, GK_SET,
     "bind peer-ip <peer-ip:ip> interface <interface-name:ifname> source-ip <source-ip:ip>", 1, 0,
     VIEW_NONE},
    {VIEW_BFD_SESSION, G_BFD_DISCR, GK_SET,
     "discriminator {local|remote}:which <discriminator:1-4294967295>", 2, F_UNDO, VIEW_NONE},
    {VIEW_BFD_SESSION, G_BFD_MIN_TX, GK_SET, "min-tx-interval <interval:10-10000>", 1, F_UNDO,
     VIEW_NONE},
    {VIEW_BFD_SESSION, G_BFD_MIN_RX, GK_SET, "min-rx-interval <interval:10-10000>", 1, F_UNDO,
     VIEW_NONE},
    {VIEW_BFD_SESSION, G_BFD_MULT, GK_SET, "detect-multiplier <multiplier:3-50>", 1, F_UNDO,
     VIEW_NONE},
    {VIEW_BFD_SESSION, G_BFD_SHUTDOWN, GK_SET, "shutdown", 1, F_UNDO, VIEW_NONE},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct {
	const char *word;
	const char *help;
} kw_help[] = {
    {"abort", "Abort a trial commit"},
    {"admin-vrrp", "Configure an mVRRP (administrative VRRP) group"},
    {"advertise", "Interval between VRRP advertisements"},
    {"all", "All service types"},
    {"arp", "ARP users"},
    {"at", "A given commit"},
    {"backup-id", "User backup ID of the profile"},
    {"batch-backup", "Back up user information now"},
    {"bfd", "Bidirectional Forwarding Detection"},
    {"bfd-session", "Track a BFD session"},
    {"bind", "Bind a policy, or a BFD session to its peer"},
    {"brief", "Brief information"},
    {"bras", "BRAS users"},
    {"candidate", "The candidate configuration of this session"},
    {"certificate", "Local certificate"},
    {"crl", "Certificate revocation list: revoked peers are refused"},
    {"changes", "Changes made by a commit"},
    {"clear", "Clear"},
    {"checksum", "How the VRRPv3 checksum over IPv4 is computed"},
    {"commit", "Commit the candidate configuration"},
    {"commit-id", "Commit identifier"},
    {"configuration", "Configuration"},
    {"current-configuration", "The running configuration"},
    {"delay", "Preemption delay"},
    {"delay-time", "Delay time"},
    {"detect-multiplier", "Packets missed before the session goes down"},
    {"dhcp-server", "DHCP server users"},
    {"dhcpv6-relay", "DHCPv6 relay users"},
    {"count", "Number of announcements"},
    {"disable", "Disable preemption"},
    {"discriminator", "BFD discriminator of this session"},
    {"display", "Display information"},
    {"download-vrrp-table", "Delay before forwarding is withdrawn on master to backup"},
    {"ecc", "ECC key pair"},
    {"even-mac", "Users with an even MAC address"},
    {"gratuitous-arp", "Gratuitous ARP and unsolicited NA sent on becoming master"},
    {"hot", "Hot backup: entries installed on the backup at once"},
    {"increased", "Priority higher by this while the tracked session or interface is down"},
    {"ignore-if-down", "Do not react to the interface going down"},
    {"interface", "Interface"},
    {"interval", "Interval in milliseconds"},
    {"ipsec", "IPsec users"},
    {"json", "Output as JSON (docs/json.md)"},
    {"kernel-limit", "Most ARP/ND entries installed from the peer"},
    {"key-file", "Private key file (PEM)"},
    {"key-pair", "Type of the key pair"},
    {"l2tp", "L2TP users"},
    {"label", "A label for the commit"},
    {"list", "List of commits"},
    {"load", "Load from a file"},
    {"local", "This device's value"},
    {"mac", "Only the users with this MAC address"},
    {"max", "The longest wait, in seconds (0: do not wait)"},
    {"min-rx-interval", "Slowest interval, in ms, at which this device accepts BFD packets"},
    {"min-tx-interval", "Interval, in ms, at which this device sends BFD packets once up"},
    {"message-only", "Checksum over the VRRP message only (RFC 9568)"},
    {"msec", "The interval is in milliseconds"},
    {"nd", "ND users"},
    {"notify-script", "Script run on every VRRP state change"},
    {"now", "Now"},
    {"odd-mac", "Users with an odd MAC address"},
    {"peer", "Peer of the TCP connection"},
    {"peer-ip", "The peer's address"},
    {"peer-certificate", "Accept only this peer certificate (beyond the trusted CA)"},
    {"peer-backup", "User information backup"},
    {"pem-ca", "CA certificate file in PEM format"},
    {"pem-cert", "Certificate file in PEM format"},
    {"pem-crl", "CRL file in PEM format"},
    {"policy", "SSL policy"},
    {"port", "TCP port"},
    {"pseudo-header", "Checksum with the IPv4 pseudo-header (keepalived, FRR)"},
    {"preempt-mode", "Preemption"},
    {"preempt-wait", "Preemption waits until this device holds every user the peer holds"},
    {"priority", "Priority of this device in the group"},
    {"quit", "Exit from the current view"},
    {"recover-delay", "Delay before an interface or BFD session that comes up counts as up"},
    {"reduced", "Priority lower by this while the tracked session or interface is down"},
    {"remote", "The peer's value"},
    {"remote-backup-profile", "Remote backup profile"},
    {"remote-backup-service", "Remote backup service"},
    {"return", "Return to the user view"},
    {"rollback", "Roll the configuration back"},
    {"rsa", "RSA key pair"},
    {"service-type", "Service type"},
    {"session-name", "The BFD session's name"},
    {"session", "BFD session"},
    {"shutdown", "Administratively down"},
    {"sha256", "SHA-256 fingerprint of the certificate"},
    {"source", "Local address of the TCP connection"},
    {"source-ip", "This device's address for the session"},
    {"ssl", "SSL"},
    {"ssl-policy", "SSL policy"},
    {"statistics", "Statistics"},
    {"sync", "Whether every daemon runs the running configuration"},
    {"sysname", "Host name of the device"},
    {"system-view", "Enter the system view"},
    {"timer", "Timers"},
    {"to", "Roll back to"},
    {"track", "Track another group"},
    {"trial", "Commit on trial, rolled back unless confirmed"},
    {"trusted-ca", "Trusted CA"},
    {"undo", "Negate a command or set its default"},
    {"user-limit", "Most users in one remote backup service's table"},
    {"v2", "VRRP version 2 (RFC 3768)"},
    {"v3", "VRRP version 3 (RFC 5798)"},
    {"verbose", "Every field"},
    {"version", "VRRP version"},
    {"virtual-ip", "Virtual IP address of the group"},
    {"virtual-mac", "Use the virtual MAC address 00-00-5E-00-01-{VRID}"},
    {"vrid", "VRRP group"},
    {"vrrp", "VRRP"},
    {"vrrp-id", "Bind a VRRP group"},
    {"vrrp6", "VRRP for IPv6"},
    {"warm", "Warm backup: entries installed at switchover"},
};

/* ---- compiled patterns ------------------------------------------------- */

enum tok_type {
	T_KW,
	T_INT,
	T_IPV4,
	T_IPV6,
	T_IP,
	T_NAME,
	T_IFNAME,
	T_IFTYPE,
	T_IFNUM,
	T_PATH,
	T_SYSNAME,
	T_SHA256,
	T_WORD
};

#define MAX_TOKS 12
#define MAX_ALTS 8

struct tok {
	enum tok_type type;
	bool optional;
	int nkw;
	char kw[MAX_ALTS][24]; /* T_KW: the keyword or its alternatives */
	char name[64];	       /* parameters */
	long lo, hi, step;
};

struct pat {
	int n;
	struct tok t[MAX_TOKS];
};

static struct pat pats[NCMDS];
static bool compiled;

static void compile_tok(struct tok *t, const char *w)
{
	size_t len = strlen(w);

	memset(t, 0, sizeof(*t));
	if (w[0] == '[') {
		char inner[64];

		snprintf(inner, sizeof(inner), "%.*s", (int)(len - 2), w + 1);
		compile_tok(t, inner);
		t->optional = true;
		return;
	}
	if (w[0] == '{') {
		char inner[256], *save, *p;
		const char *close = strchr(w, '}');

		/* "{a|b}:name" names the choice; unnamed it is called after "a" */
		snprintf(inner, sizeof(inner), "%.*s", (int)(close - w - 1), w + 1);
		if (close[1] == ':')
			snprintf(t->name, sizeof(t->name), "%s", close + 2);
		t->type = T_KW;
		for (p = strtok_r(inner, "|", &save); p && t->nkw < MAX_ALTS;
		     p = strtok_r(NULL, "|", &save))
			snprintf(t->kw[t->nkw++], sizeof(t->kw[0]), "%s", p);
		if (!t->name[0])
			snprintf(t->name, sizeof(t->name), "%s", t->kw[0]);
		return;
	}
	if (w[0] == '<') {
		char inner[64], *colon;

		snprintf(inner, sizeof(inner), "%.*s", (int)(len - 2), w + 1);
		colon = strchr(inner, ':');
		*colon = '\0';
		snprintf(t->name, sizeof(t->name), "%s", inner);
		colon++;
		if (isdigit((unsigned char)colon[0])) {
			t->type = T_INT;
			t->step = 1;
			if (sscanf(colon, "%ld-%ld/%ld", &t->lo, &t->hi, &t->step) < 2)
				abort();
		} else if (!strcmp(colon, "ipv4")) {
			t->type = T_IPV4;
		} else if (!strcmp(colon, "ipv6")) {
			t->type = T_IPV6;
		} else if (!strcmp(colon, "ip")) {
			t->type = T_IP;
		} else if (!strcmp(colon, "name")) {
			t->type = T_NAME;
		} else if (!strcmp(colon, "iftype")) {
			t->type = T_IFTYPE;
		} else if (!strcmp(colon, "ifnum")) {
			t->type = T_IFNUM;
		} else if (!strcmp(colon, "ifname")) {
			t->type = T_IFNAME;
		} else if (!strcmp(colon, "path")) {
			t->type = T_PATH;
		} else if (!strcmp(colon, "sysname")) {
			t->type = T_SYSNAME;
		} else if (!strcmp(colon, "sha256")) {
			t->type = T_SHA256;
		} else {
			t->type = T_WORD;
		}
		return;
	}
	t->type = T_KW;
	t->nkw = 1;
	snprintf(t->kw[0], sizeof(t->kw[0]), "%s", w);
	snprintf(t->name, sizeof(t->name), "%s", w);
}

static void compile_all(void)
{
	if (compiled)
		return;
	for (size_t i = 0; i < NCMDS; i++) {
		char buf[512], *save, *w;

		snprintf(buf, sizeof(buf), "%s", cmds[i].pattern);
		pats[i].n = 0;
		for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
			compile_tok(&pats[i].t[pats[i].n++], w);
	}
	compiled = true;
}

/* ---- tokenizer --------------------------------------------------------- */

#define MAX_WORDS 32

struct words {
	int n;
	char w[MAX_WORDS][256];
	int off[MAX_WORDS];
	bool trailing_blank; /* the line ends with a blank (or is empty) */
	bool too_long;
};

static void split(const char *line, struct words *ws)
{
	const char *p = line;

	memset(ws, 0, sizeof(*ws));
	ws->trailing_blank = true;
	while (*p) {
		const char *s;
		size_t len;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		s = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		len = (size_t)(p - s);
		if (ws->n == MAX_WORDS || len >= sizeof(ws->w[0])) {
			ws->too_long = true;
			ws->off[ws->n < MAX_WORDS ? ws->n : MAX_WORDS - 1] = (int)(s - line);
			return;
		}
		memcpy(ws->w[ws->n], s, len);
		ws->w[ws->n][len] = '\0';
		ws->off[ws->n] = (int)(s - line);
		ws->n++;
		ws->trailing_blank = *p != '\0';
	}
	if (ws->n == 0)
		ws->trailing_blank = true;
}

/* ---- value checks ------------------------------------------------------ */

static bool name_ok(const char *s, size_t max, const char *extra)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

/* A SHA-256 fingerprint in canonical form (see T_SHA256) into canon. */
static bool sha256_canon(const char *w, char *canon, size_t clen)
{
	size_t len = strlen(w), n = 0;
	bool colons = len == 95;

	if ((len != 64 && !colons) || clen < 96)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (colons && i % 3 == 2) {
			if (w[i] != ':')
				return false;
			continue;
		}
		if (!isxdigit((unsigned char)w[i]))
			return false;
		canon[n++] = (char)toupper((unsigned char)w[i]);
		if (n % 3 == 2 && n < 95)
			canon[n++] = ':';
	}
	canon[n] = '\0';
	return n == 95;
}

/* Check word `w` against parameter token `t`. On success writes the
 * canonical value into canon and the number into *num and returns true;
 * otherwise writes the reason. */
static bool check_param(const struct tok *t, const char *w, char *canon, size_t clen, long *num,
			char *reason, size_t rlen)
{
	unsigned char addr[16];

	*num = 0;
	switch (t->type) {
	case T_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(w, &end, 10);
		if (!isdigit((unsigned char)w[0]) || *end || errno) {
			snprintf(reason, rlen, "%s must be an integer from %ld to %ld", t->name,
				 t->lo, t->hi);
			return false;
		}
		if (v < t->lo || v > t->hi) {
			snprintf(reason, rlen, "%s %s is out of range %ld-%ld", t->name, w, t->lo,
				 t->hi);
			return false;
		}
		if (v % t->step) {
			snprintf(reason, rlen, "%s must be a multiple of %ld", t->name, t->step);
			return false;
		}
		*num = v;
		snprintf(canon, clen, "%ld", v);
		return true;
	}
	case T_IPV4:
		if (inet_pton(AF_INET, w, addr) != 1) {
			snprintf(reason, rlen, "%s '%s' is not an IPv4 address", t->name, w);
			return false;
		}
		if (addr[0] == 0 || addr[0] >= 224 || addr[0] == 127) {
			snprintf(reason, rlen, "%s %s is not a unicast host address", t->name, w);
			return false;
		}
		inet_ntop(AF_INET, addr, canon, clen);
		return true;
	case T_IPV6:
		if (inet_pton(AF_INET6, w, addr) != 1) {
			snprintf(reason, rlen, "%s '%s' is not an IPv6 address", t->name, w);
			return false;
		}
		if (addr[0] == 0xff) {
			snprintf(reason, rlen, "%s %s is a multicast address", t->name, w);
			return false;
		}
		inet_ntop(AF_INET6, addr, canon, clen);
		return true;
	case T_IP:
		if (inet_pton(AF_INET, w, addr) == 1) {
			inet_ntop(AF_INET, addr, canon, clen);
			return true;
		}
		if (inet_pton(AF_INET6, w, addr) == 1) {
			inet_ntop(AF_INET6, addr, canon, clen);
			return true;
		}
		snprintf(reason, rlen, "%s '%s' is not an IP address", t->name, w);
		return false;
	case T_NAME:
		if (!name_ok(w, 31, "-_.")) {
			snprintf(reason, rlen,
				 "%s must be 1-31 characters of letters, digits, '-', '_' or '.'",
				 t->name);
			return false;
		}
		break;
	case T_IFNAME:
		/* Linux: IFNAMSIZ-1 bytes, no '/', no blanks, not "." or "..". */
		if (!name_ok(w, 15, "-_.") || !strcmp(w, ".") || !strcmp(w, "..")) {
			snprintf(reason, rlen,
				 "%s must be 1-15 characters of letters, digits, '-', '_' or '.'",
				 t->name);
			return false;
		}
		break;
	case T_IFTYPE:
		for (const char *q = w; *q; q++)
			if (!isalpha((unsigned char)*q) && *q != '-')
				goto bad_iftype;
		if (strlen(w) == 0 || strlen(w) > 14) {
		bad_iftype:
			snprintf(reason, rlen, "%s must be 1-14 letters", t->name);
			return false;
		}
		break;
	case T_IFNUM:
		if (!isdigit((unsigned char)w[0]) || !name_ok(w, 14, ".")) {
			snprintf(reason, rlen, "%s must be digits, with '.' before a sub-interface",
				 t->name);
			return false;
		}
		break;
	case T_PATH:
		if (strlen(w) > 255 || !name_ok(w, 255, "-_./+@=,:~")) {
			snprintf(reason, rlen, "%s '%s' is not a usable file name", t->name, w);
			return false;
		}
		break;
	case T_SYSNAME:
		if (!name_ok(w, 64, "-_.")) {
			snprintf(reason, rlen,
				 "%s must be 1-64 characters of letters, digits, '-', '_' or '.'",
				 t->name);
			return false;
		}
		break;
	case T_SHA256:
		/* 64 hex digits, in pairs separated by ':' or not (as
		 * `openssl x509 -fingerprint -sha256` prints them):
		 * canonical "AB:CD:...", upper case with colons. */
		if (!sha256_canon(w, canon, clen)) {
			snprintf(reason, rlen,
				 "%s must be a SHA-256 fingerprint: 64 hex digits, in pairs "
				 "separated by ':' or not",
				 t->name);
			return false;
		}
		return true;
	case T_WORD:
		if (!name_ok(w, 64, "-_.:")) {
			snprintf(reason, rlen,
				 "%s must be 1-64 characters of letters, digits, "
				 "'-', '_', '.' or ':'",
				 t->name);
			return false;
		}
		break;
	case T_KW:
		return false;
	}
	snprintf(canon, clen, "%s", w);
	return true;
}

/* ---- matching ---------------------------------------------------------- */

static bool view_has(const struct cmd_def *c, enum gram_view v)
{
	if (c->view == VIEW_ANY) {
		if ((c->flags & F_NO_USER) && v == VIEW_USER)
			return false;
		return true;
	}
	return c->view == v;
}

struct cand {
	int cmd;
	int pi; /* next pattern token */
	bool alive;
	char canon[GRAM_LINE_MAX];
	int nwords;  /* canonical words so far */
	int key_len; /* length of canon at the end of the key */
	int nargs;
	struct gram_arg args[GRAM_MAX_ARGS];
};

enum fail { FAIL_NONE, FAIL_UNKNOWN, FAIL_PARAM, FAIL_TOO_MANY, FAIL_AMBIGUOUS, FAIL_INCOMPLETE };

struct matcher {
	struct cand c[NCMDS];
	int n;
	enum fail fail;
	int fail_word;
	char reason[256];
};

/* Is the rest of the pattern (from pi) optional, or for undo beyond the key? */
static bool tail_optional(const struct cand *c, bool undo)
{
	const struct cmd_def *d = &cmds[c->cmd];
	const struct pat *p = &pats[c->cmd];

	if (undo && d->kind == GK_SET && d->key_words > 0 && c->pi >= d->key_words)
		return true;
	for (int i = c->pi; i < p->n; i++)
		if (!p->t[i].optional)
			return false;
	return true;
}

static void add_word(struct cand *c, const char *w)
{
	size_t len = strlen(c->canon);

	snprintf(c->canon + len, sizeof(c->canon) - len, "%s%s", len ? " " : "", w);
	c->nwords++;
	if (cmds[c->cmd].key_words > 0 && c->nwords == cmds[c->cmd].key_words)
		c->key_len = (int)strlen(c->canon);
}

/* How token t takes word w: 2 exact keyword, 1 keyword prefix (the full
 * word in *full), 3 parameter, 0 no. */
static int take(const struct tok *t, const char *w, const char **full)
{
	if (t->type != T_KW)
		return 3;
	for (int k = 0; k < t->nkw; k++) {
		if (!strcasecmp(t->kw[k], w)) {
			*full = t->kw[k];
			return 2;
		}
	}
	for (int k = 0; k < t->nkw; k++) {
		if (!strncasecmp(t->kw[k], w, strlen(w))) {
			*full = t->kw[k];
			return 1;
		}
	}
	return 0;
}

static void fail_at(struct matcher *m, enum fail f, int word, const char *reason)
{
	/* Keep the failure that got furthest; at the same word prefer a
	 * precise reason (bad parameter) over a generic one. */
	/* A bad value says more than "too many parameters" from a shorter
	 * command that happened to accept it ("timer advertise 15 msec"). */
	if (m->fail == FAIL_PARAM && f == FAIL_TOO_MANY)
		return;
	if (word < m->fail_word && !(f == FAIL_PARAM && m->fail == FAIL_TOO_MANY))
		return;
	/* At the same word the first bad value in table order says it best
	 * ("interface NAME" before "interface TYPE NUMBER"). */
	if (word == m->fail_word && m->fail == FAIL_PARAM)
		return;
	m->fail = f;
	m->fail_word = word;
	snprintf(m->reason, sizeof(m->reason), "%s", reason ? reason : "");
}

static void start(struct matcher *m, enum gram_view view, bool undo)
{
	/* Only the header and the candidates in use are reset: clearing the
	 * whole matcher (every candidate's canonical buffer) cost more than
	 * parsing the line. */
	m->n = 0;
	m->fail = FAIL_NONE;
	m->fail_word = -1;
	m->reason[0] = '\0';
	for (size_t i = 0; i < NCMDS; i++) {
		const struct cmd_def *d = &cmds[i];
		struct cand *c;

		if (!view_has(d, view))
			continue;
		if (undo && !(d->flags & (F_UNDO | F_UNDO_ONLY)))
			continue;
		if (!undo && (d->flags & F_UNDO_ONLY))
			continue;
		c = &m->c[m->n++];
		c->cmd = (int)i;
		c->pi = 0;
		c->alive = true;
		c->canon[0] = '\0';
		c->nwords = 0;
		c->key_len = 0;
		c->nargs = 0;
	}
}

/* Whether w is exactly a keyword at token ti of p, or at an optional
 * token after it before the first required one. */
static bool keyword_ahead(const struct pat *p, int ti, const char *w)
{
	const char *kw;

	for (; ti < p->n; ti++) {
		if (p->t[ti].type == T_KW && take(&p->t[ti], w, &kw) == 2)
			return true;
		if (!p->t[ti].optional)
			return false;
	}
	return false;
}

/* Feed word number wi. Returns false when no candidate is left. */
static bool feed(struct matcher *m, const struct words *ws, int wi, bool undo)
{
	const char *w = ws->w[wi];
	const char *prefix_kw = NULL;
	bool exact = false, ambiguous = false;
	int how[NCMDS];
	const char *full[NCMDS];

	/* First pass: how each candidate would take the word. */
	for (int i = 0; i < m->n; i++) {
		struct cand *c = &m->c[i];
		const struct pat *p = &pats[c->cmd];

		how[i] = 0;
		full[i] = NULL;
		if (!c->alive)
			continue;
		/* Skip optional keyword tokens that do not take this word, and
		 * an optional parameter when an optional keyword after it (or
		 * the first required token) is this very word: "display
		 * remote-backup-service json" is the JSON of every service, as
		 * FRR reads `show … json`. */
		while (c->pi < p->n) {
			how[i] = take(&p->t[c->pi], w, &full[i]);
			if (how[i] == 3 && p->t[c->pi].optional && keyword_ahead(p, c->pi + 1, w)) {
				c->pi++;
				continue;
			}
			if (how[i] || !p->t[c->pi].optional)
				break;
			c->pi++;
		}
		if (c->pi >= p->n) {
			c->alive = false;
			fail_at(m, FAIL_TOO_MANY, wi, NULL);
			continue;
		}
		if (how[i] == 0) {
			c->alive = false;
			fail_at(m, FAIL_UNKNOWN, wi, NULL);
			continue;
		}
		if (how[i] == 2)
			exact = true;
		if (how[i] == 1) {
			if (prefix_kw && strcmp(prefix_kw, full[i]))
				ambiguous = true;
			prefix_kw = full[i];
		}
	}
	if (!exact && ambiguous) {
		fail_at(m, FAIL_AMBIGUOUS, wi, NULL);
		for (int i = 0; i < m->n; i++)
			m->c[i].alive = false;
		return false;
	}
	/* Second pass: consume. An exact keyword beats prefixes of others. */
	for (int i = 0; i < m->n; i++) {
		struct cand *c = &m->c[i];
		const struct tok *t;

		if (!c->alive)
			continue;
		t = &pats[c->cmd].t[c->pi];
		if (how[i] == 1 && exact) {
			c->alive = false;
			continue;
		}
		if (how[i] == 3) {
			char canon[256], reason[256];
			long num;

			if (!check_param(t, w, canon, sizeof(canon), &num, reason,
					 sizeof(reason))) {
				c->alive = false;
				fail_at(m, FAIL_PARAM, wi, reason);
				continue;
			}
			add_word(c, canon);
			if (c->nargs < GRAM_MAX_ARGS) {
				struct gram_arg *a = &c->args[c->nargs++];

				a->name = t->name;
				a->num = num;
				snprintf(a->str, sizeof(a->str), "%s", canon);
			}
		} else {
			add_word(c, full[i]);
			if ((t->nkw > 1 || t->optional) && c->nargs < GRAM_MAX_ARGS) {
				/* an alternative, or an optional keyword, is a
				 * choice the caller needs (gram_arg(r, "json")) */
				struct gram_arg *a = &c->args[c->nargs++];

				a->name = t->name;
				snprintf(a->str, sizeof(a->str), "%s", full[i]);
			}
		}
		c->pi++;
	}
	(void)undo;
	for (int i = 0; i < m->n; i++)
		if (m->c[i].alive)
			return true;
	return false;
}

static const char *fail_text(enum fail f)
{
	switch (f) {
	case FAIL_PARAM:
		return "Error: Wrong parameter found at '^' position.";
	case FAIL_TOO_MANY:
		return "Error: Too many parameters found at '^' position.";
	case FAIL_AMBIGUOUS:
		return "Error: Ambiguous command found at '^' position.";
	case FAIL_INCOMPLETE:
		return "Error: Incomplete command found at '^' position.";
	default:
		return "Error: Unrecognized command found at '^' position.";
	}
}

static void set_error(struct gram_result *r, const struct matcher *m, const struct words *ws,
		      const char *line)
{
	int wi = m->fail_word;

	r->err_pos = wi < 0 ? 0 : wi < ws->n ? ws->off[wi] : (int)strlen(line);
	snprintf(r->err, sizeof(r->err), "%s", fail_text(m->fail));
	snprintf(r->reason, sizeof(r->reason), "%s", m->reason);
}

/* Run the matcher over all words of the line in one view. Returns the index
 * of the completed candidate, or -1 with the failure in m. */
static int match_view(struct matcher *m, enum gram_view view, const struct words *ws, int first,
		      bool undo)
{
	int best = -1;

	start(m, view, undo);
	if (m->n == 0) {
		fail_at(m, FAIL_UNKNOWN, first, NULL);
		return -1;
	}
	for (int wi = first; wi < ws->n; wi++)
		if (!feed(m, ws, wi, undo))
			return -1;
	for (int i = 0; i < m->n; i++) {
		if (!m->c[i].alive)
			continue;
		if (tail_optional(&m->c[i], undo)) {
			/* The view's own command wins over a global one. */
			if (best < 0 || (cmds[m->c[best].cmd].view == VIEW_ANY &&
					 cmds[m->c[i].cmd].view != VIEW_ANY))
				best = i;
		}
	}
	if (best < 0)
		fail_at(m, FAIL_INCOMPLETE, ws->n, NULL);
	return best;
}

enum gram_view gram_parent(enum gram_view v)
{
	switch (v) {
	case VIEW_SYSTEM:
		return VIEW_USER;
	case VIEW_USER:
		return VIEW_NONE;
	default:
		return VIEW_SYSTEM;
	}
}

const char *gram_view_word(enum gram_view v)
{
	switch (v) {
	case VIEW_INTERFACE:
		return "interface";
	case VIEW_RBP:
		return "remote-backup-profile";
	case VIEW_RBS:
		return "remote-backup-service";
	case VIEW_SSL:
		return "ssl policy";
	case VIEW_BFD:
	case VIEW_BFD_SESSION:
		return "bfd";
	default:
		return "";
	}
}

static void fill(struct gram_result *r, const struct cand *c, bool undo)
{
	const struct cmd_def *d = &cmds[c->cmd];

	r->id = d->id;
	r->kind = d->kind;
	r->undo = undo;
	r->view = d->view;
	r->enters = undo ? VIEW_NONE : d->enters;
	snprintf(r->canon, sizeof(r->canon), "%s", c->canon);
	if (d->kind == GK_SET && d->key_words > 0)
		snprintf(r->key, sizeof(r->key), "%.*s",
			 c->key_len ? c->key_len : (int)strlen(c->canon), c->canon);
	else
		snprintf(r->key, sizeof(r->key), "%s", c->canon);
	r->nargs = c->nargs;
	memcpy(r->args, c->args, sizeof(r->args));
	if (d->id == G_INTERFACE && c->nargs == 2) {
		/* "interface eth 1" names eth1: one canonical form for both */
		snprintf(r->args[0].str, sizeof(r->args[0].str), "%s%s", c->args[0].str,
			 c->args[1].str);
		r->args[0].name = "interface-name";
		r->nargs = 1;
		snprintf(r->canon, sizeof(r->canon), "interface %s", r->args[0].str);
		snprintf(r->key, sizeof(r->key), "%s", r->canon);
	}
}

/* "interface TYPE NUMBER" joins two words that are each fine alone into
 * a name that must still be a Linux interface name. */
static int check_joined_name(struct gram_result *r, const struct words *ws, int first)
{
	if (r->id != G_INTERFACE || ws->n - first != 3 || strlen(r->args[0].str) <= 15)
		return 0;
	r->err_pos = ws->off[first + 1];
	snprintf(r->err, sizeof(r->err), "%s", fail_text(FAIL_PARAM));
	snprintf(r->reason, sizeof(r->reason),
		 "interface-type and interface-number make %s, longer than 15 characters",
		 r->args[0].str);
	return -EINVAL;
}

int gram_parse(enum gram_view view, const char *line, struct gram_result *r)
{
	struct words ws;
	struct matcher m, m2;
	int first = 0, best;
	bool undo = false;

	compile_all();
	memset(r, 0, sizeof(*r));
	r->enters = VIEW_NONE;
	split(line, &ws);
	if (ws.too_long) {
		r->err_pos = ws.off[ws.n < MAX_WORDS ? ws.n : MAX_WORDS - 1];
		snprintf(r->err, sizeof(r->err), "%s", fail_text(FAIL_TOO_MANY));
		snprintf(r->reason, sizeof(r->reason), "the line has too many or too long words");
		return -EINVAL;
	}
	if (ws.n == 0 || ws.w[0][0] == '#' || ws.w[0][0] == '!')
		return 1;
	if (strlen(ws.w[0]) >= 2 && !strncasecmp("undo", ws.w[0], strlen(ws.w[0]))) {
		undo = true;
		first = 1;
		if (ws.n == 1) {
			r->err_pos = (int)strlen(line);
			snprintf(r->err, sizeof(r->err), "%s", fail_text(FAIL_INCOMPLETE));
			return -EINVAL;
		}
	}
	best = match_view(&m, view, &ws, first, undo);
	if (best >= 0) {
		fill(r, &m.c[best], undo);
		return check_joined_name(r, &ws, first);
	}
	/* Not a command of this view: try the parent views, as VRP does. */
	for (enum gram_view p = gram_parent(view); p != VIEW_NONE && p != VIEW_USER;
	     p = gram_parent(p)) {
		int b2 = match_view(&m2, p, &ws, first, undo);

		if (b2 >= 0) {
			fill(r, &m2.c[b2], undo);
			return check_joined_name(r, &ws, first);
		}
		if (m2.fail_word > m.fail_word)
			m = m2;
	}
	set_error(r, &m, &ws, line);
	return -EINVAL;
}

const char *gram_enter_line(const struct gram_result *r)
{
	const char *b;

	if (r->id != G_BFD_SESSION || gram_arg(r, "peer-ip") == NULL)
		return NULL;
	/* "bfd NAME bind ...": what follows the name */
	b = r->canon + strlen("bfd ") + strlen(r->args[0].str);
	return *b == ' ' ? b + 1 : NULL;
}

const struct gram_arg *gram_arg(const struct gram_result *r, const char *name)
{
	for (int i = 0; i < r->nargs; i++)
		if (r->args[i].name && !strcmp(r->args[i].name, name))
			return &r->args[i];
	return NULL;
}

void gram_format_error(const char *line, const struct gram_result *r, char *out, size_t len)
{
	int pos = r->err_pos;

	if (pos > 200)
		pos = 200;
	snprintf(out, len, "%s\n%*s^\n%s%s%s", line, pos, "", r->err, r->reason[0] ? " " : "",
		 r->reason);
}

/* ---- help and completion ----------------------------------------------- */

static const char *help_of(const char *word)
{
	for (size_t i = 0; i < sizeof(kw_help) / sizeof(kw_help[0]); i++)
		if (!strcmp(kw_help[i].word, word))
			return kw_help[i].help;
	return "";
}

struct choice {
	char word[48];
	char help[128];
};

static void add_choice(struct choice *ch, int *n, int max, const char *word, const char *help)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(ch[i].word, word))
			return;
	if (*n == max)
		return;
	snprintf(ch[*n].word, sizeof(ch[0].word), "%s", word);
	snprintf(ch[*n].help, sizeof(ch[0].help), "%s", help);
	(*n)++;
}

static void param_choice(const struct tok *t, char *word, size_t wl, char *help, size_t hl)
{
	switch (t->type) {
	case T_INT:
		snprintf(word, wl, "INTEGER<%ld-%ld>", t->lo, t->hi);
		break;
	case T_IPV4:
		snprintf(word, wl, "X.X.X.X");
		break;
	case T_IPV6:
		snprintf(word, wl, "X:X::X:X");
		break;
	case T_IP:
		snprintf(word, wl, "IP-ADDRESS");
		break;
	case T_IFNAME:
	case T_IFTYPE:
		snprintf(word, wl, "STRING<1-15>");
		break;
	case T_IFNUM:
		snprintf(word, wl, "STRING<1-14>");
		break;
	case T_NAME:
		snprintf(word, wl, "STRING<1-31>");
		break;
	default:
		snprintf(word, wl, "STRING<1-255>");
		break;
	}
	snprintf(help, hl, "%s", t->name);
}

static int cmp_choice(const void *a, const void *b)
{
	return strcmp(((const struct choice *)a)->word, ((const struct choice *)b)->word);
}

/* Collect what may come at the next word (prefix: the partial word). */
static int collect(enum gram_view view, const char *line, struct choice *ch, int max, bool params,
		   char *err, size_t errlen)
{
	struct words ws;
	struct matcher m;
	const char *partial = "";
	int first = 0, nfull, n = 0;
	bool undo = false;

	compile_all();
	split(line, &ws);
	nfull = ws.n;
	if (!ws.trailing_blank && ws.n > 0) {
		partial = ws.w[ws.n - 1];
		nfull = ws.n - 1;
	}
	if (nfull > 0 && strlen(ws.w[0]) >= 2 && !strncasecmp("undo", ws.w[0], strlen(ws.w[0]))) {
		undo = true;
		first = 1;
	}
	if (nfull == 0 && !strncasecmp("undo", partial, strlen(partial)))
		add_choice(ch, &n, max, "undo", help_of("undo"));
	start(&m, view, undo);
	for (int wi = first; wi < nfull; wi++) {
		if (!feed(&m, &ws, wi, undo)) {
			struct gram_result r = {0};

			set_error(&r, &m, &ws, line);
			snprintf(err, errlen, "%s%s%s", r.err, r.reason[0] ? " " : "", r.reason);
			return -EINVAL;
		}
	}
	for (int i = 0; i < m.n; i++) {
		struct cand *c = &m.c[i];
		const struct pat *p = &pats[c->cmd];

		if (!c->alive)
			continue;
		for (int pi = c->pi; pi < p->n; pi++) {
			const struct tok *t = &p->t[pi];

			if (t->type == T_KW) {
				for (int k = 0; k < t->nkw; k++)
					if (!strncasecmp(t->kw[k], partial, strlen(partial)))
						add_choice(ch, &n, max, t->kw[k],
							   help_of(t->kw[k]));
			} else if (params && !partial[0]) {
				char w[48], h[128];

				param_choice(t, w, sizeof(w), h, sizeof(h));
				add_choice(ch, &n, max, w, h);
			}
			if (!t->optional)
				break;
		}
		if (params && !partial[0]) {
			int save = c->pi;
			bool done;

			/* <cr> when the command may end here */
			done = tail_optional(c, undo);
			c->pi = save;
			if (done)
				add_choice(ch, &n, max, "<cr>", "");
		}
	}
	qsort(ch, (size_t)n, sizeof(ch[0]), cmp_choice);
	return n;
}

int gram_help(enum gram_view view, const char *line, char *out, size_t outlen)
{
	struct choice ch[64];
	char err[300];
	size_t used = 0;
	int n;

	n = collect(view, line, ch, 64, true, err, sizeof(err));
	if (n < 0) {
		snprintf(out, outlen, "%s", err);
		return n;
	}
	out[0] = '\0';
	if (n == 0) {
		snprintf(out, outlen, "Error: Unrecognized command found at '^' position.");
		return 0;
	}
	for (int i = 0; i < n && used < outlen; i++) {
		int w = snprintf(out + used, outlen - used, "  %-26s%s\n", ch[i].word, ch[i].help);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return n;
}

int gram_complete(enum gram_view view, const char *line, const char **out, int max)
{
	static struct choice ch[64];
	char err[300];
	int n, k = 0;

	n = collect(view, line, ch, 64, false, err, sizeof(err));
	for (int i = 0; i < n && k < max; i++)
		out[k++] = ch[i].word;
	return k;
}

bool gram_command(size_t i, struct gram_cmd_info *out)
{
	const char *last = NULL;

	if (i >= NCMDS)
		return false;
	compile_all();
	out->view = cmds[i].view;
	out->pattern = cmds[i].pattern;
	out->undo = (cmds[i].flags & (F_UNDO | F_UNDO_ONLY)) != 0;
	out->undo_only = (cmds[i].flags & F_UNDO_ONLY) != 0;
	/* the last fixed keyword says best what a command sets
	 * ("vrrp vrid N virtual-ip A": virtual-ip) */
	for (int t = 0; t < pats[i].n; t++)
		if (pats[i].t[t].type == T_KW && pats[i].t[t].nkw == 1 && !pats[i].t[t].optional &&
		    help_of(pats[i].t[t].kw[0])[0])
			last = pats[i].t[t].kw[0];
	out->help = last ? help_of(last) : "";
	return true;
}

const char *gram_keyword_help(const char *word)
{
	const char *h = help_of(word);

	return h[0] ? h : NULL;
}
