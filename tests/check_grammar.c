/* The CLI grammar: the spec's procedure parses line by line in its views,
 * ranges and unknown words are refused with an error at the right word. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgd/grammar.h"
#include "tests/lib/checkrun.h"

static struct gram_result r;

static int parse(enum gram_view v, const char *line)
{
	return gram_parse(v, line, &r);
}

/* Every command of the spec's procedure, in the view where the spec types it. */
START_TEST(spec_procedure_parses)
{
	static const struct {
		enum gram_view view;
		const char *line;
		enum gram_id id;
	} spec[] = {
	    {VIEW_USER, "system-view", G_SYSTEM_VIEW},
	    {VIEW_SYSTEM, "interface eth1", G_INTERFACE},
	    {VIEW_INTERFACE, "vrrp vrid 1 virtual-ip 192.0.2.100", G_VRRP_VIP},
	    {VIEW_INTERFACE, "vrrp vrid 1 preempt-mode timer delay 600", G_VRRP_PREEMPT_DELAY},
	    {VIEW_INTERFACE, "admin-vrrp vrid 1", G_ADMIN_VRRP},
	    {VIEW_INTERFACE, "admin-vrrp vrid 1 ignore-if-down", G_ADMIN_VRRP},
	    {VIEW_INTERFACE, "vrrp vrid 1 priority 120", G_VRRP_PRIORITY},
	    {VIEW_INTERFACE, "commit", G_COMMIT},
	    {VIEW_SYSTEM, "remote-backup-profile rbp1", G_RBP},
	    {VIEW_RBP, "peer-backup hot", G_PEER_BACKUP},
	    {VIEW_RBP, "vrrp-id 1 interface eth1 odd-mac", G_VRRP_ID},
	    {VIEW_RBP, "vrrp-id 2 interface eth1 even-mac", G_VRRP_ID},
	    {VIEW_RBP, "backup-id 10 remote-backup-service rbs1", G_BACKUP_ID},
	    {VIEW_RBP, "commit", G_COMMIT},
	    {VIEW_SYSTEM, "remote-backup-service rbs1", G_RBS},
	    {VIEW_RBS, "bind ssl-policy pol1", G_BIND_SSL},
	    {VIEW_RBS, "peer 198.51.100.2 source 198.51.100.1 port 6000", G_PEER},
	    {VIEW_RBS, "batch-backup service-type arp now", G_BATCH_BACKUP},
	    {VIEW_RBS, "batch-backup service-type all now", G_BATCH_BACKUP},
	    {VIEW_RBS, "batch-backup service-type ipsec now", G_BATCH_BACKUP},
	    {VIEW_RBS, "batch-backup service-type bras now", G_BATCH_BACKUP},
	    {VIEW_RBS, "batch-backup service-type l2tp now", G_BATCH_BACKUP},
	    {VIEW_RBS, "batch-backup service-type dhcp-server now", G_BATCH_BACKUP},
	    {VIEW_RBS, "batch-backup service-type nd now", G_BATCH_BACKUP},
	    {VIEW_RBS, "batch-backup service-type dhcpv6-relay now", G_BATCH_BACKUP},
	    {VIEW_SYSTEM, "peer-backup download-vrrp-table delay-time 10", G_DOWNLOAD_DELAY},
	    {VIEW_SYSTEM, "peer-backup user-limit 20000", G_USER_LIMIT},
	    {VIEW_SYSTEM, "peer-backup kernel-limit 1000", G_KERNEL_LIMIT},
	    {VIEW_RBP, "peer-backup preempt-wait max 300", G_PREEMPT_WAIT},
	    {VIEW_RBP, "peer-backup preempt-wait max 0", G_PREEMPT_WAIT},
	    {VIEW_SYSTEM, "ssl policy pol1", G_SSL_POLICY},
	    {VIEW_SSL, "certificate load pem-cert a.pem key-pair rsa key-file a.key", G_SSL_CERT},
	    {VIEW_SSL, "trusted-ca load pem-ca ca.pem", G_SSL_CA},
	    {VIEW_SYSTEM, "sysname deviceA", G_SYSNAME},
	    {VIEW_INTERFACE, "quit", G_QUIT},
	    {VIEW_SYSTEM, "return", G_RETURN},
	};

	for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
		ck_assert_msg(parse(spec[i].view, spec[i].line) == 0, "'%s': %s %s", spec[i].line,
			      r.err, r.reason);
		ck_assert_int_eq(r.id, spec[i].id);
	}
}
END_TEST

START_TEST(abbreviations_expand_to_canonical_text)
{
	ck_assert_int_eq(parse(VIEW_USER, "sys"), 0);
	ck_assert_int_eq(r.id, G_SYSTEM_VIEW);
	ck_assert_int_eq(parse(VIEW_INTERFACE, "vrrp vr 7 pri 120"), 0);
	ck_assert_str_eq(r.canon, "vrrp vrid 7 priority 120");
	ck_assert_str_eq(r.key, "vrrp vrid 7 priority");
	ck_assert_int_eq(parse(VIEW_INTERFACE, "vrrp vrid 1 virtual-ip 192.0.2.010"), -22);
	ck_assert_int_eq(parse(VIEW_RBS, "peer 2001:DB8:0:0::1 source 2001:db8::2 port 6000"), 0);
	ck_assert_str_eq(r.canon, "peer 2001:db8::1 source 2001:db8::2 port 6000");
}
END_TEST

/* Ours: a pinned peer certificate and a CRL. The fingerprint is taken as
 * openssl prints it, or as bare hex in either case, and kept in one form. */
START_TEST(peer_certificate_pins_and_crls_parse_in_one_canonical_form)
{
	static const char *hex = "ab01CD23ef45ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01";
	static const char *canon = "AB:01:CD:23:EF:45:AB:01:CD:23:EF:45:AB:01:CD:23:EF:45:AB:01:"
				   "CD:23:EF:45:AB:01:CD:23:EF:45:AB:01";
	char line[256];

	snprintf(line, sizeof(line), "peer-certificate sha256 %s", hex);
	ck_assert_int_eq(parse(VIEW_RBS, line), 0);
	ck_assert_int_eq(r.id, G_PEER_CERT);
	ck_assert_str_eq(r.args[0].str, canon);
	snprintf(line, sizeof(line), "peer-cert sha %s", canon);
	ck_assert_int_eq(parse(VIEW_RBS, line), 0);
	ck_assert_str_eq(r.args[0].str, canon);
	/* one digit short, a stray separator, a non-hex digit */
	ck_assert_int_lt(parse(VIEW_RBS, "peer-certificate sha256 ab01cd"), 0);
	ck_assert_ptr_nonnull(strstr(r.reason, "SHA-256 fingerprint"));
	snprintf(line, sizeof(line), "peer-certificate sha256 %.63s", hex);
	ck_assert_int_lt(parse(VIEW_RBS, line), 0);
	snprintf(line, sizeof(line), "peer-certificate sha256 %.94s-", canon);
	ck_assert_int_lt(parse(VIEW_RBS, line), 0);
	snprintf(line, sizeof(line), "peer-certificate sha256 g%.63s", hex);
	ck_assert_int_lt(parse(VIEW_RBS, line), 0);
	ck_assert_int_eq(parse(VIEW_SSL, "crl load pem-crl /etc/dualbackup/ca.crl"), 0);
	ck_assert_int_eq(r.id, G_SSL_CRL);
	ck_assert_str_eq(r.canon, "crl load pem-crl /etc/dualbackup/ca.crl");
}
END_TEST

START_TEST(ranges_are_refused_at_the_bad_word)
{
	static const struct {
		enum gram_view view;
		const char *line;
		int pos;
		const char *reason;
	} bad[] = {
	    {VIEW_INTERFACE, "vrrp vrid 0 virtual-ip 192.0.2.1", 10, "1-255"},
	    {VIEW_INTERFACE, "vrrp vrid 256 virtual-ip 192.0.2.1", 10, "1-255"},
	    {VIEW_INTERFACE, "vrrp vrid 1 priority 0", 21, "1-254"},
	    {VIEW_INTERFACE, "vrrp vrid 1 priority 255", 21, "1-254"},
	    {VIEW_INTERFACE, "vrrp vrid 1 preempt-mode timer delay 3601", 37, "0-3600"},
	    {VIEW_INTERFACE, "vrrp vrid 1 timer advertise 15 msec", 28, "multiple of 10"},
	    {VIEW_INTERFACE, "vrrp vrid 1 virtual-ip 192.0.2", 23, "not an IPv4"},
	    {VIEW_INTERFACE, "vrrp vrid 1 virtual-ip 224.0.0.18", 23, "unicast"},
	    {VIEW_INTERFACE, "vrrp vrid x virtual-ip 192.0.2.1", 10, "integer"},
	    {VIEW_RBS, "peer 198.51.100.2 source 198.51.100.1 port 0", 43, "1-65535"},
	    {VIEW_RBS, "peer 198.51.100.2 source 198.51.100.1 port 65536", 43, "1-65535"},
	    {VIEW_RBS, "peer nowhere source 198.51.100.1 port 6000", 5, "not an IP"},
	    {VIEW_RBP, "vrrp-id 300 interface eth1 odd-mac", 8, "1-255"},
	    {VIEW_RBP, "backup-id 0 remote-backup-service rbs1", 10, "1-65535"},
	    {VIEW_SYSTEM, "peer-backup download-vrrp-table delay-time 0", 43, "1-3600"},
	    {VIEW_SYSTEM, "peer-backup user-limit 0", 23, "1-100000000"},
	    {VIEW_RBP, "peer-backup preempt-wait max 3601", 29, "0-3600"},
	    {VIEW_SYSTEM, "interface this-name-is-too-long0", 10, "1-15"},
	    {VIEW_SYSTEM, "remote-backup-service bad/name", 22, "1-31"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i].view, bad[i].line) < 0, "accepted: %s", bad[i].line);
		ck_assert_msg(strstr(r.err, "Wrong parameter") != NULL, "%s: %s", bad[i].line,
			      r.err);
		ck_assert_msg(r.err_pos == bad[i].pos, "%s: caret at %d, want %d", bad[i].line,
			      r.err_pos, bad[i].pos);
		ck_assert_msg(strstr(r.reason, bad[i].reason) != NULL, "%s: reason '%s'",
			      bad[i].line, r.reason);
	}
}
END_TEST

START_TEST(unknown_incomplete_and_extra_words)
{
	ck_assert_int_lt(parse(VIEW_INTERFACE, "vrrp vrid 1 priorty 100"), 0);
	ck_assert_ptr_nonnull(strstr(r.err, "Unrecognized command"));
	ck_assert_int_eq(r.err_pos, 12);

	ck_assert_int_lt(parse(VIEW_INTERFACE, "vrrp vrid 1 priority"), 0);
	ck_assert_ptr_nonnull(strstr(r.err, "Incomplete command"));
	ck_assert_int_eq(r.err_pos, 20);

	ck_assert_int_lt(parse(VIEW_INTERFACE, "vrrp vrid 1 priority 100 200"), 0);
	ck_assert_ptr_nonnull(strstr(r.err, "Too many parameters"));
	ck_assert_int_eq(r.err_pos, 25);

	/* "re" may be remote-backup-profile, remote-backup-service or return */
	ck_assert_int_lt(parse(VIEW_SYSTEM, "re foo"), 0);
	ck_assert_ptr_nonnull(strstr(r.err, "Ambiguous command"));

	/* a system command is not a user-view command */
	ck_assert_int_lt(parse(VIEW_USER, "sysname x"), 0);
	ck_assert_ptr_nonnull(strstr(r.err, "Unrecognized command"));
	/* an RBP command is not an RBS command */
	ck_assert_int_lt(parse(VIEW_RBS, "peer-backup hot"), 0);
}
END_TEST

START_TEST(interface_type_and_number_name_one_interface)
{
	ck_assert_int_eq(parse(VIEW_SYSTEM, "interface eth 1"), 0);
	ck_assert_int_eq(r.id, G_INTERFACE);
	ck_assert_str_eq(r.canon, "interface eth1");
	ck_assert_str_eq(gram_arg(&r, "interface-name")->str, "eth1");
	ck_assert_int_eq(parse(VIEW_SYSTEM, "interface vlan 1.100"), 0);
	ck_assert_str_eq(r.canon, "interface vlan1.100");
	ck_assert_int_eq(parse(VIEW_SYSTEM, "interface eth1"), 0);
	ck_assert_str_eq(r.canon, "interface eth1");
	/* together they must still make a Linux name (found by fuzz_cli) */
	ck_assert_int_lt(parse(VIEW_SYSTEM, "interface ual-ip 192.0.2.100"), 0);
	ck_assert_int_eq(r.err_pos, 10);
	ck_assert_ptr_nonnull(strstr(r.reason, "longer than 15"));
	/* VRP's slot/card/port numbers have no Linux equivalent */
	ck_assert_int_lt(parse(VIEW_SYSTEM, "interface GigabitEthernet 0/1/0"), 0);
	ck_assert_ptr_nonnull(strstr(r.err, "Wrong parameter"));
}
END_TEST

START_TEST(parent_view_commands_switch_view)
{
	ck_assert_int_eq(parse(VIEW_INTERFACE, "interface eth2"), 0);
	ck_assert_int_eq(r.id, G_INTERFACE);
	ck_assert_int_eq(r.enters, VIEW_INTERFACE);
	ck_assert_int_eq(parse(VIEW_RBS, "sysname B"), 0);
	ck_assert_int_eq(r.view, VIEW_SYSTEM);
	/* in an interface, remote-backup-profile binds the interface, not enters */
	ck_assert_int_eq(parse(VIEW_INTERFACE, "remote-backup-profile rbp1"), 0);
	ck_assert_int_eq(r.id, G_IF_RBP);
	ck_assert_int_eq(parse(VIEW_SYSTEM, "remote-backup-profile rbp1"), 0);
	ck_assert_int_eq(r.id, G_RBP);
}
END_TEST

START_TEST(undo_forms)
{
	ck_assert_int_eq(parse(VIEW_INTERFACE, "undo vrrp vrid 1 priority"), 0);
	ck_assert(r.undo);
	ck_assert_str_eq(r.key, "vrrp vrid 1 priority");
	ck_assert_int_eq(parse(VIEW_INTERFACE, "undo vrrp vrid 1 priority 120"), 0);
	ck_assert_str_eq(r.key, "vrrp vrid 1 priority");
	ck_assert_int_eq(parse(VIEW_INTERFACE, "undo vrrp vrid 1"), 0);
	ck_assert_int_eq(r.id, G_VRRP_GROUP);
	ck_assert_int_eq(parse(VIEW_INTERFACE, "undo vrrp vrid 1 virtual-ip 192.0.2.1"), 0);
	ck_assert_str_eq(r.key, "vrrp vrid 1 virtual-ip 192.0.2.1");
	ck_assert_int_eq(parse(VIEW_SYSTEM, "undo remote-backup-service rbs1"), 0);
	ck_assert_int_eq(r.kind, GK_ENTER);
	ck_assert_int_eq(r.enters, VIEW_NONE);
	/* "vrrp vrid 1" alone is only an undo */
	ck_assert_int_lt(parse(VIEW_INTERFACE, "vrrp vrid 1"), 0);
	ck_assert_int_lt(parse(VIEW_RBS, "undo batch-backup service-type arp now"), 0);
	/* the users display, all of a type or one MAC's */
	ck_assert_int_eq(parse(VIEW_USER, "display remote-backup-profile rbp1 users arp json"), 0);
	ck_assert_int_eq(r.id, G_DISPLAY_RBP_USERS);
	ck_assert_ptr_null(gram_arg(&r, "mac-address"));
	ck_assert_int_eq(
	    parse(VIEW_SYSTEM,
		  "display remote-backup-profile rbp1 users dhcp-server mac 00e0-fc12-3456"),
	    0);
	ck_assert_int_eq(r.id, G_DISPLAY_RBP_USERS);
	ck_assert_str_eq(gram_arg(&r, "mac-address")->str, "00e0-fc12-3456");
	ck_assert_int_eq(
	    parse(VIEW_USER, "dis remote-backup-profile rbp1 users nd mac 00:e0:fc:12:34:56 json"),
	    0);
	ck_assert_str_eq(gram_arg(&r, "mac-address")->str, "00:e0:fc:12:34:56");
	/* the wait's bound and the backup mode are separate settings */
	ck_assert_int_eq(parse(VIEW_RBP, "undo peer-backup preempt-wait max"), 0);
	ck_assert_str_eq(r.key, "peer-backup preempt-wait max");
	ck_assert_int_eq(parse(VIEW_RBP, "peer-backup hot"), 0);
	ck_assert_str_eq(r.key, "peer-backup");
}
END_TEST

START_TEST(help_and_completion)
{
	char out[4096];
	const char *words[16];
	int n;

	n = gram_help(VIEW_INTERFACE, "vrrp vrid 1 ", out, sizeof(out));
	ck_assert_int_gt(n, 3);
	ck_assert_ptr_nonnull(strstr(out, "priority"));
	ck_assert_ptr_nonnull(strstr(out, "virtual-ip"));
	n = gram_help(VIEW_INTERFACE, "vrrp vrid ", out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "INTEGER<1-255>"));
	n = gram_help(VIEW_INTERFACE, "admin-vrrp vrid 1 ", out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "ignore-if-down"));
	ck_assert_ptr_nonnull(strstr(out, "<cr>"));

	n = gram_complete(VIEW_SYSTEM, "remote-backup-s", words, 16);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(words[0], "remote-backup-service");
	n = gram_complete(VIEW_RBS, "batch-backup service-type d", words, 16);
	ck_assert_int_eq(n, 2);
}
END_TEST

START_TEST(error_format_points_at_word)
{
	char out[512];

	ck_assert_int_lt(parse(VIEW_INTERFACE, "vrrp vrid 999 priority 1"), 0);
	gram_format_error("vrrp vrid 999 priority 1", &r, out, sizeof(out));
	ck_assert_str_eq(out, "vrrp vrid 999 priority 1\n          ^\nError: Wrong parameter "
			      "found at '^' position. virtual-router-id 999 is out of range 1-255");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    spec_procedure_parses,
	    abbreviations_expand_to_canonical_text,
	    ranges_are_refused_at_the_bad_word,
	    peer_certificate_pins_and_crls_parse_in_one_canonical_form,
	    unknown_incomplete_and_extra_words,
	    interface_type_and_number_name_one_interface,
	    parent_view_commands_switch_view,
	    undo_forms,
	    help_and_completion,
	    error_format_points_at_word,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("grammar", &core, 1);
}
