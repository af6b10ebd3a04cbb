/* The configuration model: load, render, diff, candidate edits and
 * conflicts, and the cross-reference checks of the compile step. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgd/compile.h"
#include "cfgd/conf.h"
#include "common/bus.h"
#include "config.pb-c.h"
#include "tests/lib/checkrun.h"

static const char *spec_conf =
    "sysname A\n"
    "peer-backup download-vrrp-table delay-time 10\n"
    "ssl policy pol1\n"
    " certificate load pem-cert /etc/a.pem key-pair rsa key-file /etc/a.key\n"
    " trusted-ca load pem-ca /etc/ca.pem\n"
    "interface eth1\n"
    " vrrp vrid 1 virtual-ip 192.0.2.100\n"
    " vrrp vrid 1 preempt-mode timer delay 600\n"
    " admin-vrrp vrid 1 ignore-if-down\n"
    " vrrp vrid 1 priority 120\n"
    " vrrp vrid 2 virtual-ip 192.0.2.101\n"
    "remote-backup-profile rbp1\n"
    " peer-backup hot\n"
    " vrrp-id 1 interface eth1 odd-mac\n"
    " vrrp-id 2 interface eth1 even-mac\n"
    " backup-id 10 remote-backup-service rbs1\n"
    "remote-backup-service rbs1\n"
    " bind ssl-policy pol1\n"
    " peer 198.51.100.2 source 198.51.100.1 port 6000\n";

static struct conf *load(const char *text)
{
	struct conf *c = conf_new();
	char err[256];

	ck_assert_msg(conf_load(c, text, err, sizeof(err)) == 0, "%s", err);
	return c;
}

START_TEST(render_then_load_gives_same_configuration)
{
	struct conf *a = load(spec_conf), *b;
	char *ta = conf_render(a), *tb;

	b = load(ta);
	tb = conf_render(b);
	ck_assert_str_eq(ta, tb);
	ck_assert(conf_equal(a, b));
	ck_assert_int_eq(conf_count(a), 15);
	free(ta);
	free(tb);
	conf_free(a);
	conf_free(b);
}
END_TEST

START_TEST(setting_again_replaces_and_undo_removes)
{
	struct conf *c = load(spec_conf);
	struct conf_line *l;

	ck_assert_int_eq(conf_set(c, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority",
				  "vrrp vrid 1 priority 90", G_VRRP_PRIORITY),
			 0);
	l = conf_line(c, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority");
	ck_assert_str_eq(l->text, "vrrp vrid 1 priority 90");
	ck_assert_int_eq(conf_count(c), 15);
	conf_del_prefix(c, VIEW_INTERFACE, "eth1", "vrrp vrid 1");
	ck_assert_ptr_null(conf_line(c, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority"));
	ck_assert_ptr_nonnull(
	    conf_line(c, VIEW_INTERFACE, "eth1", "vrrp vrid 2 virtual-ip 192.0.2.101"));
	conf_free(c);
}
END_TEST

START_TEST(diff_names_added_and_removed_lines)
{
	struct conf *a = load(spec_conf), *b = conf_dup(a);
	char *d;

	conf_set(b, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority", "vrrp vrid 1 priority 90",
		 G_VRRP_PRIORITY);
	conf_section_del(b, VIEW_RBS, "rbs1");
	d = conf_diff(a, b);
	ck_assert_ptr_nonnull(strstr(d, "- vrrp vrid 1 priority 120\n+ vrrp vrid 1 priority 90\n"));
	ck_assert_ptr_nonnull(strstr(d, "-remote-backup-service rbs1\n"));
	ck_assert_ptr_nonnull(strstr(d, "- peer 198.51.100.2 source 198.51.100.1 port 6000\n"));
	free(d);
	d = conf_diff(a, a);
	ck_assert_str_eq(d, "");
	free(d);
	conf_free(a);
	conf_free(b);
}
END_TEST

START_TEST(candidate_conflict_names_both_sides)
{
	struct conf *run = load(spec_conf);
	struct candidate mine = {0}, theirs = {0};
	char out[1024];

	/* both sessions began at commit 5 */
	cand_add(&mine, OP_SET, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority",
		 "vrrp vrid 1 priority 110", G_VRRP_PRIORITY, 5);
	cand_add(&theirs, OP_SET, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority",
		 "vrrp vrid 1 priority 130", G_VRRP_PRIORITY, 5);
	ck_assert_int_eq(cand_conflicts(&theirs, run, "bob", out, sizeof(out)), 0);
	cand_apply(&theirs, run);
	cand_touch(&theirs, run, 6, "bob");
	ck_assert_int_eq(cand_conflicts(&mine, run, "alice", out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "vrrp vrid 1 priority"));
	ck_assert_ptr_nonnull(strstr(out, "bob"));
	ck_assert_ptr_nonnull(strstr(out, "alice"));
	ck_assert_ptr_nonnull(strstr(out, "commit 6"));
	cand_clear(&mine);
	cand_clear(&theirs);
	conf_free(run);
}
END_TEST

START_TEST(removing_a_group_conflicts_with_an_edit_inside_it)
{
	struct conf *run = load(spec_conf);
	struct candidate undo_group = {0}, set_prio = {0}, del_rbs = {0}, other = {0};
	char out[1024];

	/* bob changes vrid 1's priority in commit 6 */
	cand_add(&other, OP_SET, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority",
		 "vrrp vrid 1 priority 130", G_VRRP_PRIORITY, 5);
	cand_add(&other, OP_SET, VIEW_RBS, "rbs1", "peer",
		 "peer 198.51.100.3 source 198.51.100.1 port 6000", G_PEER, 5);
	cand_apply(&other, run);
	cand_touch(&other, run, 6, "bob");
	/* alice, who began at 5, removes the whole group, or the whole RBS */
	cand_add(&undo_group, OP_DEL_PREFIX, VIEW_INTERFACE, "eth1", "vrrp vrid 1", NULL,
		 G_VRRP_GROUP, 5);
	ck_assert_int_eq(cand_conflicts(&undo_group, run, "alice", out, sizeof(out)), 1);
	cand_add(&del_rbs, OP_DEL_SECTION, VIEW_RBS, "rbs1", "", NULL, G_RBS, 5);
	ck_assert_int_eq(cand_conflicts(&del_rbs, run, "alice", out, sizeof(out)), 1);
	/* carol removed the group in commit 7; dave, who began at 6, sets its priority */
	cand_touch(&undo_group, run, 7, "carol");
	cand_add(&set_prio, OP_SET, VIEW_INTERFACE, "eth1", "vrrp vrid 1 preempt-mode",
		 "vrrp vrid 1 preempt-mode disable", G_VRRP_PREEMPT_DISABLE, 6);
	ck_assert_int_eq(cand_conflicts(&set_prio, run, "dave", out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "carol"));
	cand_clear(&undo_group);
	cand_clear(&set_prio);
	cand_clear(&del_rbs);
	cand_clear(&other);
	conf_free(run);
}
END_TEST

static int compile_errors(const char *text, const char *want)
{
	struct conf *c = load(text);
	struct compiled out;
	struct errlist errs = {0};
	int rc = cfg_compile(c, NULL, &out, &errs), found = 0;

	for (size_t i = 0; i < errs.n; i++)
		if (strstr(errs.v[i], want))
			found = 1;
	ck_assert_msg(want == NULL || found, "no error containing '%s' (rc %d, %zu errors%s%s)",
		      want, rc, errs.n, errs.n ? ": " : "", errs.n ? errs.v[0] : "");
	errlist_free(&errs);
	if (rc == 0)
		cfg_compiled_free(&out);
	conf_free(c);
	return rc;
}

START_TEST(compile_checks_cross_references)
{
	ck_assert_int_eq(compile_errors(spec_conf, NULL), 0);
	/* the spec's order: the profile names its RBS before the RBS exists */
	ck_assert_int_eq(
	    compile_errors("interface eth1\n vrrp vrid 1 virtual-ip 192.0.2.1\n"
			   "remote-backup-profile p\n vrrp-id 1 interface eth1 odd-mac\n"
			   " backup-id 1 remote-backup-service later\n",
			   NULL),
	    0);
	ck_assert_int_lt(
	    compile_errors("remote-backup-profile p\n vrrp-id 3 interface eth1 odd-mac\n",
			   "no such VRRP group"),
	    0);
	ck_assert_int_lt(
	    compile_errors("interface eth1\n vrrp vrid 1 virtual-ip 192.0.2.1\n"
			   " vrrp vrid 2 virtual-ip 192.0.2.2\n"
			   "remote-backup-profile p\n vrrp-id 1 interface eth1 odd-mac\n"
			   " vrrp-id 2 interface eth1 odd-mac\n",
			   "odd-mac"),
	    0);
	ck_assert_int_lt(
	    compile_errors("remote-backup-profile p\n backup-id 7 remote-backup-service s\n"
			   "remote-backup-profile q\n backup-id 7 remote-backup-service s\n",
			   "backup-id 7 is already used"),
	    0);
	ck_assert_int_lt(compile_errors("remote-backup-service s\n bind ssl-policy nope\n",
					"no such ssl policy"),
			 0);
	/* in clear text as with TLS: one address family */
	ck_assert_int_lt(
	    compile_errors(
		"remote-backup-service s\n peer 198.51.100.2 source 2001:db8::1 port 6000\n",
		"are not of the same address family"),
	    0);
	ck_assert_int_lt(
	    compile_errors("interface eth1\n vrrp vrid 1 priority 120\n", "has no virtual-ip"), 0);
	ck_assert_int_lt(compile_errors("interface eth1\n vrrp vrid 1 virtual-ip 192.0.2.1\n"
					"interface eth2\n vrrp vrid 1 virtual-ip 192.0.2.1\n",
					"already used"),
			 0);
}
END_TEST

START_TEST(compile_builds_typed_sections)
{
	struct conf *c = load(spec_conf);
	struct compiled out;
	struct errlist errs = {0};
	Db__VrrpdConfig *v;
	Db__RbsdConfig *s;
	Db__RbpdConfig *p;

	ck_assert_int_eq(cfg_compile(c, NULL, &out, &errs), 0);
	v = db__vrrpd_config__unpack(NULL, out.len[D_VRRPD], out.sec[D_VRRPD]);
	ck_assert_uint_eq(v->n_groups, 2);
	for (size_t i = 0; i < v->n_groups; i++) {
		if (v->groups[i]->vrid != 1)
			continue;
		ck_assert_uint_eq(v->groups[i]->priority, 120);
		ck_assert_uint_eq(v->groups[i]->preempt_delay_s, 600);
		ck_assert(v->groups[i]->admin);
		ck_assert(v->groups[i]->ignore_if_down);
		ck_assert_str_eq(v->groups[i]->virtual_ips[0], "192.0.2.100");
	}
	s = db__rbsd_config__unpack(NULL, out.len[D_RBSD], out.sec[D_RBSD]);
	ck_assert_uint_eq(s->n_services, 1);
	ck_assert_str_eq(s->services[0]->peer, "198.51.100.2");
	ck_assert_uint_eq(s->services[0]->port, 6000);
	ck_assert_str_eq(s->services[0]->ssl->cert_file, "/etc/a.pem");
	ck_assert_uint_eq(s->services[0]->n_profiles, 1);
	ck_assert_uint_eq(s->services[0]->profiles[0]->backup_id, 10);
	p = db__rbpd_config__unpack(NULL, out.len[D_RBPD], out.sec[D_RBPD]);
	ck_assert_uint_eq(p->download_delay_s, 10);
	ck_assert_str_eq(p->profiles[0]->backup_mode, "hot");
	ck_assert_uint_eq(p->profiles[0]->n_bindings, 2);
	db__vrrpd_config__free_unpacked(v, NULL);
	db__rbsd_config__free_unpacked(s, NULL);
	db__rbpd_config__free_unpacked(p, NULL);
	cfg_compiled_free(&out);
	conf_free(c);
}
END_TEST

/* Group vrid's preempt_wait_max_s in the compiled vrrpd section of text. */
static unsigned wait_of(const char *text, unsigned vrid)
{
	struct conf *c = load(text);
	struct compiled out;
	struct errlist errs = {0};
	Db__VrrpdConfig *v;
	unsigned w = 99999;

	ck_assert_int_eq(cfg_compile(c, NULL, &out, &errs), 0);
	v = db__vrrpd_config__unpack(NULL, out.len[D_VRRPD], out.sec[D_VRRPD]);
	for (size_t i = 0; i < v->n_groups; i++)
		if (v->groups[i]->vrid == vrid)
			w = v->groups[i]->preempt_wait_max_s;
	db__vrrpd_config__free_unpacked(v, NULL);
	cfg_compiled_free(&out);
	conf_free(c);
	return w;
}

/* A group bound to a profile with a service waits for the backup before
 * preempting, 300 s at most unless configured; others never wait. */
START_TEST(bound_groups_preempt_after_the_backup_by_default)
{
	static const char groups[] = "interface eth1\n vrrp vrid 1 virtual-ip 192.0.2.1\n"
				     " vrrp vrid 2 virtual-ip 192.0.2.2\n"
				     " vrrp vrid 3 virtual-ip 192.0.2.3\n";
	char t[1024];

	ck_assert_uint_eq(wait_of(spec_conf, 1), 300);
	ck_assert_uint_eq(wait_of(spec_conf, 2), 300);
	snprintf(t, sizeof(t),
		 "%sremote-backup-profile p\n vrrp-id 1 interface eth1 odd-mac\n"
		 " backup-id 1 remote-backup-service s\n peer-backup preempt-wait max 45\n",
		 groups);
	ck_assert_uint_eq(wait_of(t, 1), 45);
	ck_assert_uint_eq(wait_of(t, 3), 0); /* in no profile */
	snprintf(t, sizeof(t),
		 "%sremote-backup-profile p\n vrrp-id 1 interface eth1 odd-mac\n"
		 " backup-id 1 remote-backup-service s\n peer-backup preempt-wait max 0\n",
		 groups);
	ck_assert_uint_eq(wait_of(t, 1), 0);
	/* no service: nothing to wait for */
	snprintf(t, sizeof(t), "%sremote-backup-profile p\n vrrp-id 2 interface eth1 even-mac\n",
		 groups);
	ck_assert_uint_eq(wait_of(t, 2), 0);
}
END_TEST

/* The spec's note to bind ssl-policy, at every commit of an RBS without
 * one; none for an RBS with a policy. */
START_TEST(an_rbs_without_ssl_policy_is_warned_about_in_the_specs_words)
{
	struct conf *c = load(spec_conf);
	struct compiled out;
	struct errlist errs = {0}, warns = {0};

	ck_assert_int_eq(cfg_compile(c, NULL, &out, &errs), 0);
	ck_assert_int_eq(cfg_compile_warnings(&out, &warns), 0);
	cfg_compiled_free(&out);
	conf_free(c);
	c = load("remote-backup-service clear\n"
		 " peer 198.51.100.2 source 198.51.100.1 port 6000\n");
	ck_assert_int_eq(cfg_compile(c, NULL, &out, &errs), 0);
	ck_assert_int_eq(cfg_compile_warnings(&out, &warns), 1);
	ck_assert_ptr_nonnull(strstr(warns.v[0], "remote-backup-service clear"));
	ck_assert_ptr_nonnull(strstr(warns.v[0], "clear text"));
	ck_assert_ptr_nonnull(strstr(warns.v[0],
				     "If no SSL policy is bound to the RBS, data may be leaked or "
				     "tampered with."));
	errlist_free(&warns);
	cfg_compiled_free(&out);
	conf_free(c);
}
END_TEST

static Db__VrrpdConfig *vrrp_section(const char *text)
{
	struct conf *c = load(text);
	struct compiled out;
	struct errlist errs = {0};
	Db__VrrpdConfig *v;

	ck_assert_msg(cfg_compile(c, NULL, &out, &errs) == 0, "%s", errs.n ? errs.v[0] : "");
	v = db__vrrpd_config__unpack(NULL, out.len[D_VRRPD], out.sec[D_VRRPD]);
	ck_assert_ptr_nonnull(v);
	cfg_compiled_free(&out);
	errlist_free(&errs);
	conf_free(c);
	return v;
}

static const char *bfd_conf = "bfd\n"
			      "bfd atob\n"
			      " bind peer-ip 198.51.100.2 interface eth2 source-ip 198.51.100.1\n"
			      " discriminator local 10\n"
			      " discriminator remote 20\n"
			      " min-tx-interval 10\n"
			      " min-rx-interval 20\n"
			      " detect-multiplier 5\n"
			      "bfd auto1\n"
			      " bind peer-ip 2001:db8::2\n"
			      " shutdown\n";

/* bfd and bfd NAME sections become vrrpd's BfdSessionConfig: what was
 * set, defaults for the rest, an automatic local discriminator. */
START_TEST(bfd_sessions_compile_into_vrrpds_section)
{
	Db__VrrpdConfig *v = vrrp_section(bfd_conf);
	struct conf *c = load(bfd_conf);
	char *text = conf_render(c);
	Db__BfdSessionConfig *a, *b;

	ck_assert(v->bfd);
	ck_assert_uint_eq(v->n_bfd_sessions, 2);
	a = v->bfd_sessions[0];
	b = v->bfd_sessions[1];
	if (strcmp(a->name, "atob") != 0) {
		a = v->bfd_sessions[1];
		b = v->bfd_sessions[0];
	}
	ck_assert_str_eq(a->name, "atob");
	ck_assert_str_eq(a->peer_ip, "198.51.100.2");
	ck_assert_str_eq(a->ifname, "eth2");
	ck_assert_str_eq(a->source_ip, "198.51.100.1");
	ck_assert_uint_eq(a->local_disc, 10);
	ck_assert_uint_eq(a->remote_disc, 20);
	ck_assert_uint_eq(a->min_tx_ms, 10);
	ck_assert_uint_eq(a->min_rx_ms, 20);
	ck_assert_uint_eq(a->detect_mult, 5);
	ck_assert(!a->shutdown);
	ck_assert_str_eq(b->ifname, "");
	ck_assert_uint_eq(b->min_tx_ms, 1000);
	ck_assert_uint_eq(b->detect_mult, 3);
	ck_assert(b->shutdown);
	ck_assert_uint_ne(b->local_disc, 0);
	ck_assert_uint_ne(b->local_disc, 10);
	/* rendered as VRP shows it, and read back the same */
	ck_assert_ptr_nonnull(strstr(text, "#\nbfd\n#\nbfd atob\n bind peer-ip 198.51.100.2"));
	{
		struct conf *again = load(text);

		ck_assert(conf_equal(c, again));
		conf_free(again);
	}
	free(text);
	conf_free(c);
	db__vrrpd_config__free_unpacked(v, NULL);
}
END_TEST

START_TEST(bfd_sessions_are_checked)
{
	ck_assert_int_lt(compile_errors("bfd s\n bind peer-ip 192.0.2.2\n", "BFD is not enabled"),
			 0);
	ck_assert_int_lt(compile_errors("bfd\nbfd s\n discriminator local 5\n", "no bind peer-ip"),
			 0);
	ck_assert_int_lt(
	    compile_errors("bfd\nbfd s\n bind peer-ip 224.0.0.5\n", "not a unicast address"), 0);
	ck_assert_int_lt(compile_errors("bfd\nbfd s\n bind peer-ip fe80::2\n", "link-local"), 0);
	ck_assert_int_lt(
	    compile_errors("bfd\nbfd s\n bind peer-ip 192.0.2.2 source-ip 2001:db8::1\n",
			   "of the peer's family"),
	    0);
	ck_assert_int_lt(
	    compile_errors("bfd\nbfd s\n bind peer-ip 192.0.2.2\n discriminator local 7\n"
			   "bfd t\n bind peer-ip 192.0.2.3\n discriminator local 7\n",
			   "discriminator local 7 is also"),
	    0);
	ck_assert_int_lt(compile_errors("bfd\nbfd s\n bind peer-ip 192.0.2.2 interface eth1\n"
					"bfd t\n bind peer-ip 192.0.2.2 interface eth1\n",
					"already runs to peer-ip 192.0.2.2"),
			 0);
	ck_assert_int_eq(compile_errors("bfd\nbfd s\n bind peer-ip 192.0.2.2 interface eth1\n"
					"bfd t\n bind peer-ip 192.0.2.2 interface eth2\n",
					NULL),
			 0);
}
END_TEST

/* An automatic discriminator depends on the name only, so adding a
 * session does not change the others', and never takes a configured one. */
START_TEST(automatic_discriminators_are_stable_and_unique)
{
	Db__VrrpdConfig *one = vrrp_section("bfd\nbfd s\n bind peer-ip 192.0.2.2\n");
	Db__VrrpdConfig *two = vrrp_section("bfd\nbfd a\n bind peer-ip 192.0.2.3\n"
					    "bfd s\n bind peer-ip 192.0.2.2\n");
	uint32_t ds = one->bfd_sessions[0]->local_disc;
	char text[256];
	Db__VrrpdConfig *clash;

	for (size_t i = 0; i < two->n_bfd_sessions; i++)
		if (strcmp(two->bfd_sessions[i]->name, "s") == 0)
			ck_assert_uint_eq(two->bfd_sessions[i]->local_disc, ds);
	snprintf(text, sizeof(text),
		 "bfd\nbfd a\n bind peer-ip 192.0.2.3\n discriminator local %u\n"
		 "bfd s\n bind peer-ip 192.0.2.2\n",
		 ds);
	clash = vrrp_section(text);
	ck_assert_uint_ne(clash->bfd_sessions[0]->local_disc, clash->bfd_sessions[1]->local_disc);
	db__vrrpd_config__free_unpacked(one, NULL);
	db__vrrpd_config__free_unpacked(two, NULL);
	db__vrrpd_config__free_unpacked(clash, NULL);
}
END_TEST

/* track bfd-session: reduced 10 by default (VRP), peer only as the last
 * word, and only a configured session. */
START_TEST(groups_track_configured_bfd_sessions)
{
	Db__VrrpdConfig *v =
	    vrrp_section("bfd\nbfd peer\n bind peer-ip 192.0.2.2\nbfd m\n bind peer-ip 192.0.2.3\n"
			 "interface eth1\n vrrp vrid 1 virtual-ip 192.0.2.100\n"
			 " vrrp vrid 1 track bfd-session session-name peer\n"
			 " vrrp vrid 1 track bfd-session session-name m peer\n"
			 " vrrp vrid 2 virtual-ip 192.0.2.101\n"
			 " vrrp vrid 2 track bfd-session session-name m increased 7\n");
	Db__VrrpGroupConfig *g1 = v->groups[0]->vrid == 1 ? v->groups[0] : v->groups[1];
	Db__VrrpGroupConfig *g2 = v->groups[0]->vrid == 1 ? v->groups[1] : v->groups[0];

	ck_assert_uint_eq(g1->n_track_bfd, 2);
	for (size_t i = 0; i < 2; i++) {
		Db__TrackBfd *t = g1->track_bfd[i];

		if (strcmp(t->session, "peer") == 0) {
			ck_assert(!t->peer);
			ck_assert_uint_eq(t->reduced, 10);
		} else {
			ck_assert_str_eq(t->session, "m");
			ck_assert(t->peer);
			ck_assert_uint_eq(t->reduced, 0);
		}
	}
	ck_assert_uint_eq(g2->n_track_bfd, 1);
	ck_assert_uint_eq(g2->track_bfd[0]->increased, 7);
	ck_assert_uint_eq(g2->track_bfd[0]->reduced, 0);
	db__vrrpd_config__free_unpacked(v, NULL);
	ck_assert_int_lt(compile_errors("interface eth1\n vrrp vrid 1 virtual-ip 192.0.2.100\n"
					" vrrp vrid 1 track bfd-session session-name nope\n",
					"tracks bfd-session nope, which is not configured"),
			 0);
	/* by discriminator (VRP's bfd-session-id): named for vrrpd */
	v = vrrp_section("bfd\nbfd m\n bind peer-ip 192.0.2.3\n discriminator local 10\n"
			 "interface eth1\n vrrp vrid 1 virtual-ip 192.0.2.100\n"
			 " vrrp vrid 1 track bfd-session 10 peer\n");
	ck_assert_uint_eq(v->groups[0]->n_track_bfd, 1);
	ck_assert_str_eq(v->groups[0]->track_bfd[0]->session, "m");
	ck_assert(v->groups[0]->track_bfd[0]->peer);
	db__vrrpd_config__free_unpacked(v, NULL);
	/* the RBS channel tracks a session too */
	ck_assert_int_eq(
	    compile_errors("bfd\nbfd m\n bind peer-ip 192.0.2.3\n"
			   "remote-backup-service s\n track bfd-session session-name m\n",
			   NULL),
	    0);
	ck_assert_int_lt(
	    compile_errors("remote-backup-service s\n track bfd-session session-name m\n",
			   "remote-backup-service s tracks bfd-session m, which is not "
			   "configured"),
	    0);
	ck_assert_int_lt(
	    compile_errors("bfd\nbfd m\n bind peer-ip 192.0.2.3\n discriminator local 10\n"
			   "interface eth1\n vrrp vrid 1 virtual-ip 192.0.2.100\n"
			   " vrrp vrid 1 track bfd-session 11\n",
			   "tracks bfd-session 11, which is not configured"),
	    0);
	ck_assert_int_lt(
	    compile_errors("bfd\nbfd m\n bind peer-ip 192.0.2.3\n discriminator local 10\n"
			   "interface eth1\n vrrp vrid 1 virtual-ip 192.0.2.100\n"
			   " vrrp vrid 1 track bfd-session 10\n"
			   " vrrp vrid 1 track bfd-session session-name m reduced 5\n",
			   "tracks bfd-session m twice"),
	    0);
}
END_TEST

/* A copy shares sections and touch records until one side changes them
 * (conf_dup()): no change on either side shows on the other, whatever
 * the edit, and freeing them in either order frees everything once
 * (ASan in the sanitizer build). */
START_TEST(a_copy_and_its_original_never_see_each_others_changes)
{
	struct conf *a = load(spec_conf), *b;
	char *ra = conf_render(a), *rb, *r;

	for (int order = 0; order < 2; order++) {
		ck_assert_int_eq(
		    conf_touch(a, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority", 7, "u1"), 0);
		b = conf_dup(a);
		ck_assert_ptr_nonnull(b);
		rb = conf_render(b);
		ck_assert_str_eq(ra, rb);
		free(rb);
		/* every kind of edit on the copy */
		ck_assert_int_eq(conf_set(b, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority",
					  "vrrp vrid 1 priority 99", G_VRRP_PRIORITY),
				 0);
		ck_assert_int_eq(conf_del(b, VIEW_INTERFACE, "eth1", "vrrp vrid 2 virtual-ip"), 0);
		ck_assert_int_eq(conf_del_prefix(b, VIEW_RBP, "rbp1", "vrrp-id"), 0);
		ck_assert_int_eq(conf_section_del(b, VIEW_RBS, "rbs1"), 0);
		ck_assert_int_eq(conf_set(b, VIEW_INTERFACE, "eth2", "vrrp vrid 5 virtual-ip",
					  "vrrp vrid 5 virtual-ip 192.0.2.105", G_VRRP_VIP),
				 0);
		ck_assert_int_eq(
		    conf_touch(b, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority", 8, "u2"), 0);
		/* the original is as it was */
		r = conf_render(a);
		ck_assert_str_eq(r, ra);
		free(r);
		ck_assert_uint_eq(
		    conf_touched(a, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority")->commit, 7);
		ck_assert_uint_eq(
		    conf_touched(b, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority")->commit, 8);
		ck_assert_str_eq(conf_line(b, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority")->text,
				 "vrrp vrid 1 priority 99");
		ck_assert_ptr_null(conf_section(b, VIEW_RBS, "rbs1"));
		ck_assert_ptr_nonnull(conf_section(a, VIEW_RBS, "rbs1"));
		/* and the other way: a change of the original leaves the copy */
		rb = conf_render(b);
		ck_assert_int_eq(conf_set(a, VIEW_SYSTEM, "", "sysname", "sysname Z", G_SYSNAME),
				 0);
		r = conf_render(b);
		ck_assert_str_eq(r, rb);
		free(r);
		free(rb);
		ck_assert_int_eq(conf_set(a, VIEW_SYSTEM, "", "sysname", "sysname A", G_SYSNAME),
				 0);
		r = conf_render(a);
		ck_assert_str_eq(r, ra);
		free(r);
		/* freed in one order, then the other */
		if (order == 0) {
			conf_free(b);
		} else {
			struct conf *keep = b;

			conf_free(a);
			a = keep;
			free(ra);
			ra = conf_render(a);
		}
	}
	conf_free(a);
	free(ra);
}
END_TEST

/* Each section keeps its display order and rendered text while its lines
 * do not change (conf.c): every kind of edit drops them, so a rendering
 * after edits is the one a fresh configuration of the same lines gives. */
START_TEST(a_rendering_follows_every_change)
{
	struct conf *a = load(spec_conf), *fresh;
	char *r, *want;
	struct conf_line **lines;
	int n;

	free(conf_render(a)); /* every section's memo is filled */
	ck_assert_int_eq(conf_set(a, VIEW_INTERFACE, "eth1", "vrrp vrid 1 priority",
				  "vrrp vrid 1 priority 99", G_VRRP_PRIORITY),
			 0);
	ck_assert_int_eq(conf_del(a, VIEW_INTERFACE, "eth1", "vrrp vrid 2 virtual-ip"), 0);
	ck_assert_int_eq(conf_del_prefix(a, VIEW_RBP, "rbp1", "vrrp-id"), 0);
	ck_assert_int_eq(conf_set(a, VIEW_INTERFACE, "eth1", "vrrp vrid 3 virtual-ip",
				  "vrrp vrid 3 virtual-ip 192.0.2.103", G_VRRP_VIP),
			 0);
	r = conf_render(a);
	ck_assert_ptr_nonnull(strstr(r, " vrrp vrid 1 priority 99\n"));
	ck_assert_ptr_null(strstr(r, "vrrp-id"));
	fresh = load(r);
	want = conf_render(fresh);
	ck_assert_str_eq(r, want);
	/* the display order too: vrid 3's line after vrid 1's */
	n = conf_lines(conf_section(a, VIEW_INTERFACE, "eth1"), &lines);
	ck_assert_int_gt(n, 1);
	ck_assert_str_eq(lines[n - 1]->text, "vrrp vrid 3 virtual-ip 192.0.2.103");
	free(lines);
	free(r);
	free(want);
	conf_free(fresh);
	conf_free(a);
}
END_TEST

/* The compiled sections of text, packed, one string per daemon. */
static void compile_text(const char *text, struct compiled *out)
{
	struct conf *c = load(text);
	struct errlist errs = {0};

	ck_assert_msg(cfg_compile(c, NULL, out, &errs) == 0, "%s", errs.n ? errs.v[0] : "");
	conf_free(c);
}

static unsigned priority_of(const struct compiled *out, unsigned vrid)
{
	Db__VrrpdConfig *v = db__vrrpd_config__unpack(NULL, out->len[D_VRRPD], out->sec[D_VRRPD]);
	unsigned p = 0;

	for (size_t i = 0; i < v->n_groups; i++)
		if (v->groups[i]->vrid == vrid)
			p = v->groups[i]->priority;
	db__vrrpd_config__free_unpacked(v, NULL);
	return p;
}

/* Stored lines' parses are cached between compiles (compile_cache.c): a
 * compile from the cache gives the very bytes of one from the grammar, a
 * changed line is compiled anew, and the cache keeps no more than about
 * twice the lines of the last compile. */
START_TEST(compiling_again_from_the_parse_cache_gives_the_same_sections)
{
	struct compiled a, b, c;
	char *big, *changed;
	size_t len = 0, cap = 1 << 20;

	cfg_compile_cache_free();
	compile_text(spec_conf, &a);
	ck_assert_uint_gt(cfg_compile_cache_size(), 10);
	compile_text(spec_conf, &b);
	for (int d = 0; d < D__COUNT; d++) {
		ck_assert_uint_eq(a.len[d], b.len[d]);
		ck_assert_int_eq(memcmp(a.sec[d], b.sec[d], a.len[d]), 0);
		/* the digest cfgd compares daemons' reports with, kept */
		ck_assert_uint_eq(cfg_compiled_digest(&b, d), bus_digest(b.sec[d], b.len[d]));
		ck_assert_uint_eq(b.digest[d], bus_digest(b.sec[d], b.len[d]));
	}
	ck_assert_uint_eq(priority_of(&b, 1), 120);
	cfg_compiled_free(&b);
	/* the same setting, another value: another line, parsed anew */
	changed = strdup(spec_conf);
	memcpy(strstr(changed, "priority 120"), "priority 130", 12);
	compile_text(changed, &b);
	ck_assert_uint_eq(priority_of(&b, 1), 130);
	ck_assert_uint_ne(cfg_compiled_digest(&b, D_VRRPD), cfg_compiled_digest(&a, D_VRRPD));
	cfg_compiled_free(&b);
	free(changed);
	/* 3,000 lines (1,750 distinct: the priority lines repeat on each
	 * interface), then the small configuration twice: what the big one
	 * alone used goes */
	big = malloc(cap);
	ck_assert_ptr_nonnull(big);
	len += (size_t)snprintf(big + len, cap - len, "interface eth1\n");
	for (unsigned v = 1; v <= 250; v++)
		len += (size_t)snprintf(
		    big + len, cap - len,
		    " vrrp6 vrid %u virtual-ip 2001:db8::%x\n vrrp6 vrid %u priority %u\n", v, v, v,
		    100 + v % 100);
	for (unsigned i = 2; i <= 6; i++) {
		len += (size_t)snprintf(big + len, cap - len, "interface eth%u\n", i);
		for (unsigned v = 1; v <= 250; v++)
			len += (size_t)snprintf(big + len, cap - len,
						" vrrp6 vrid %u virtual-ip 2001:db8:%x::%x\n"
						" vrrp6 vrid %u priority %u\n",
						v, i, v, v, 100 + v % 100);
	}
	compile_text(big, &c);
	ck_assert_uint_ge(cfg_compile_cache_size(), 1750);
	cfg_compiled_free(&c);
	compile_text(spec_conf, &c);
	cfg_compiled_free(&c);
	compile_text(spec_conf, &c);
	ck_assert_uint_le(cfg_compile_cache_size(), 1024);
	for (int d = 0; d < D__COUNT; d++) {
		ck_assert_uint_eq(a.len[d], c.len[d]);
		ck_assert_int_eq(memcmp(a.sec[d], c.sec[d], a.len[d]), 0);
	}
	cfg_compiled_free(&c);
	cfg_compiled_free(&a);
	free(big);
	cfg_compile_cache_free();
	ck_assert_uint_eq(cfg_compile_cache_size(), 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    render_then_load_gives_same_configuration,
	    setting_again_replaces_and_undo_removes,
	    diff_names_added_and_removed_lines,
	    candidate_conflict_names_both_sides,
	    removing_a_group_conflicts_with_an_edit_inside_it,
	    compile_checks_cross_references,
	    compile_builds_typed_sections,
	    bound_groups_preempt_after_the_backup_by_default,
	    an_rbs_without_ssl_policy_is_warned_about_in_the_specs_words,
	    bfd_sessions_compile_into_vrrpds_section,
	    bfd_sessions_are_checked,
	    automatic_discriminators_are_stable_and_unique,
	    groups_track_configured_bfd_sessions,
	    compiling_again_from_the_parse_cache_gives_the_same_sections,
	    a_copy_and_its_original_never_see_each_others_changes,
	    a_rendering_follows_every_change,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("conf", &core, 1);
}
