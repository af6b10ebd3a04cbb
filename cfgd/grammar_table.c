/*
 * The CLI grammar's table: every command of every view as a pattern, the
 * help of each keyword, and the patterns compiled into tokens for the
 * matcher (grammar.c) and the help (grammar_help.c). A new command is a
 * line here (and GRAM_NCMDS in grammar_int.h one more).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgd/grammar_int.h"

/*
 * Pattern language: words separated by blanks.
 *   keyword         a fixed word, abbreviable to an unambiguous prefix
 *   {a|b|c}         one of these keywords
 *   <name:lo-hi>    an integer in [lo, hi]; <name:lo-hi/step> in steps
 *   <name:TYPE>     ipv4, ipv6, ip, name, ifname, path, sysname, word
 *   [token]         the token may be left out
 */
const struct cmd_def gram_cmds[] = {
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

#define NCMDS (sizeof(gram_cmds) / sizeof(gram_cmds[0]))

_Static_assert(NCMDS == GRAM_NCMDS,
	       "GRAM_NCMDS (cfgd/grammar_int.h) must be the number of commands in gram_cmds[]");

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

struct pat gram_pats[GRAM_NCMDS];
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

void gram_compile(void)
{
	if (compiled)
		return;
	for (size_t i = 0; i < NCMDS; i++) {
		char buf[512], *save, *w;

		snprintf(buf, sizeof(buf), "%s", gram_cmds[i].pattern);
		gram_pats[i].n = 0;
		for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
			compile_tok(&gram_pats[i].t[gram_pats[i].n++], w);
	}
	compiled = true;
}

/* ---- the table for the help and references ---------------------------- */

const char *gram_help_of(const char *word)
{
	for (size_t i = 0; i < sizeof(kw_help) / sizeof(kw_help[0]); i++)
		if (!strcmp(kw_help[i].word, word))
			return kw_help[i].help;
	return "";
}

bool gram_command(size_t i, struct gram_cmd_info *out)
{
	const struct pat *p;
	const char *last = NULL;

	if (i >= NCMDS)
		return false;
	gram_compile();
	p = &gram_pats[i];
	out->view = gram_cmds[i].view;
	out->pattern = gram_cmds[i].pattern;
	out->undo = (gram_cmds[i].flags & (F_UNDO | F_UNDO_ONLY)) != 0;
	out->undo_only = (gram_cmds[i].flags & F_UNDO_ONLY) != 0;
	/* the last fixed keyword says best what a command sets
	 * ("vrrp vrid N virtual-ip A": virtual-ip) */
	for (int t = 0; t < p->n; t++)
		if (p->t[t].type == T_KW && p->t[t].nkw == 1 && !p->t[t].optional &&
		    gram_help_of(p->t[t].kw[0])[0])
			last = p->t[t].kw[0];
	out->help = last ? gram_help_of(last) : "";
	return true;
}

const char *gram_keyword_help(const char *word)
{
	const char *h = gram_help_of(word);

	return h[0] ? h : NULL;
}
