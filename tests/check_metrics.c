/* The Prometheus exposition of the daemons' JSON displays. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/histo.h"
#include "metricsd/metrics.h"
#include "tests/lib/checkrun.h"

static char *render(const char *vrrp, const char *rbs, const char *rbp, const char *sync)
{
	struct metrics_in in = {
	    .vrrp = vrrp ? json_tokener_parse(vrrp) : NULL,
	    .rbs = rbs ? json_tokener_parse(rbs) : NULL,
	    .rbp = rbp ? json_tokener_parse(rbp) : NULL,
	    .sync = sync ? json_tokener_parse(sync) : NULL,
	};
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(metrics_render(f, &in), 0);
	fclose(f);
	json_object_put(in.vrrp);
	json_object_put(in.rbs);
	json_object_put(in.rbp);
	json_object_put(in.sync);
	return text;
}

/* Whether `line` is a whole line of text. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static const char group[] =
    "{\"groups\": [{\"interface\": \"eth1\", \"vrid\": 7, \"family\": \"ipv6\","
    " \"state\": \"Master\", \"priority_running\": 120,"
    " \"statistics\": {\"to_master\": 2, \"to_backup\": 1, \"to_initialize\": 0,"
    " \"adverts_sent\": 18446744073709551615, \"adverts_received\": 5,"
    " \"dropped\": {\"checksum\": 3, \"ttl\": 0}}}],"
    " \"interfaces\": [{\"interface\": \"eth1\", \"family\": \"ipv6\","
    " \"dropped\": {\"vrid_mismatch\": 4}}],"
    " \"kernel_drops\": {\"ipv4\": 0, \"ipv6\": 9},"
    " \"notify_script\": {\"started\": 1, \"dropped\": 0, \"timed_out\": 0}}";

START_TEST(a_group_is_one_hot_state_priority_and_counters)
{
	char *t = render(group, NULL, NULL, NULL);

	ck_assert(has_line(t, "# TYPE dualbackup_vrrp_state gauge"));
	ck_assert(has_line(t, "dualbackup_vrrp_state{interface=\"eth1\",vrid=\"7\",family=\"ipv6\","
			      "state=\"Master\"} 1"));
	ck_assert(has_line(t, "dualbackup_vrrp_state{interface=\"eth1\",vrid=\"7\",family=\"ipv6\","
			      "state=\"Backup\"} 0"));
	ck_assert(has_line(
	    t, "dualbackup_vrrp_priority{interface=\"eth1\",vrid=\"7\",family=\"ipv6\"} 120"));
	ck_assert(has_line(t, "dualbackup_vrrp_transitions_total{interface=\"eth1\",vrid=\"7\","
			      "family=\"ipv6\",to=\"master\"} 2"));
	ck_assert(has_line(t, "dualbackup_vrrp_adverts_dropped_total{interface=\"eth1\",vrid=\"7\","
			      "family=\"ipv6\",reason=\"checksum\"} 3"));
	/* dropped before reaching any group */
	ck_assert(has_line(t, "dualbackup_vrrp_adverts_dropped_total{interface=\"eth1\",vrid=\"\","
			      "family=\"ipv6\",reason=\"vrid_mismatch\"} 4"));
	ck_assert(has_line(t, "dualbackup_vrrp_kernel_drops_total{family=\"ipv6\"} 9"));
	ck_assert(has_line(t, "dualbackup_vrrp_notify_started_total 1"));
	/* a counter past INT64_MAX stays a counter, not -1 */
	ck_assert(has_line(t, "dualbackup_vrrp_adverts_sent_total{interface=\"eth1\",vrid=\"7\","
			      "family=\"ipv6\"} 1.8446744073709552e+19"));
	free(t);
}
END_TEST

START_TEST(every_family_is_declared_once_before_its_samples)
{
	char *t = render(group,
			 "{\"services\": [{\"name\": \"rbs1\", \"up\": true, \"reconnects\": 2,"
			 " \"tls\": {\"enabled\": true}, \"window\": {\"unacknowledged\": 6}}]}",
			 NULL, NULL);
	char *save, *line, seen[64][128];
	size_t n = 0;

	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (strncmp(line, "# TYPE ", 7) == 0) {
			sscanf(line + 7, "%127s", name);
			for (size_t i = 0; i < n; i++)
				ck_assert_msg(strcmp(seen[i], name) != 0, "%s declared twice",
					      name);
			ck_assert_uint_lt(n, 64);
			snprintf(seen[n++], sizeof(seen[0]), "%s", name);
		} else if (line[0] != '#') {
			sscanf(line, "%127[^{ ]", name);
			/* a sample belongs to the family declared last */
			ck_assert_msg(n > 0 && strcmp(seen[n - 1], name) == 0, "%s after %s", name,
				      n ? seen[n - 1] : "nothing");
		}
	}
	free(t);
}
END_TEST

START_TEST(channel_profile_and_daemons)
{
	char *t = render(
	    NULL,
	    "{\"services\": [{\"name\": \"rbs1\", \"up\": true, \"reconnects\": 2,"
	    " \"tls\": {\"enabled\": false}, \"window\": {\"unacknowledged\": 6}}]}",
	    "{\"profiles\": [{\"name\": \"rbp1\", \"service\": {\"channel\": \"down\","
	    " \"table\": {\"users\": 10}, \"replication_lag_us\": {\"changes\": 40,"
	    " \"p50\": 400, \"p99\": 1500, \"max\": 20000},"
	    " \"antientropy\": {\"last_agreed\": false,"
	    " \"leaves_differing\": 7, \"entries_resent\": 9}},"
	    " \"bindings\": [{\"vrid\": 2, \"interface\": \"eth1\","
	    " \"role\": \"master\", \"dual_master\": {\"since\": 1796588000, \"count\": 1}},"
	    " {\"vrid\": 3, \"interface\": \"eth1\", \"role\": \"backup\","
	    " \"dual_master\": {\"since\": null, \"count\": 0}}],"
	    " \"users\": {\"arp\": {\"master\": 4, \"backup\": 6,"
	    " \"pending\": 0, \"restored\": 3}}}], \"kernel\": {\"installed\": 8}}",
	    "{\"running_commit_id\": 1000000004, \"daemons\": [{\"daemon\": \"rbsd\", \"up\": true,"
	    " \"in_sync\": false}]}");

	ck_assert(has_line(t, "dualbackup_scrape_ok{daemon=\"vrrpd\"} 0"));
	ck_assert(has_line(t, "dualbackup_scrape_ok{daemon=\"rbsd\"} 1"));
	ck_assert_ptr_null(strstr(t, "dualbackup_vrrp_state"));
	ck_assert(has_line(t, "dualbackup_rbs_up{service=\"rbs1\"} 1"));
	ck_assert(has_line(t, "dualbackup_rbs_tls{service=\"rbs1\"} 0"));
	ck_assert(has_line(t, "dualbackup_rbs_reconnects_total{service=\"rbs1\"} 2"));
	ck_assert(has_line(t, "dualbackup_rbs_window_unacknowledged{service=\"rbs1\"} 6"));
	ck_assert(has_line(
	    t, "dualbackup_rbp_users{profile=\"rbp1\",service_type=\"arp\",role=\"backup\"} 6"));
	ck_assert(has_line(
	    t, "dualbackup_rbp_users_restored_total{profile=\"rbp1\",service_type=\"arp\"} 3"));
	ck_assert(has_line(t, "dualbackup_rbp_channel_up{profile=\"rbp1\"} 0"));
	ck_assert(has_line(t, "dualbackup_rbp_binding_master{profile=\"rbp1\",vrid=\"2\","
			      "interface=\"eth1\"} 1"));
	ck_assert(has_line(t, "dualbackup_rbp_binding_dual_master{profile=\"rbp1\",vrid=\"2\","
			      "interface=\"eth1\"} 1"));
	ck_assert(has_line(t, "dualbackup_rbp_binding_dual_master{profile=\"rbp1\",vrid=\"3\","
			      "interface=\"eth1\"} 0"));
	ck_assert(has_line(t, "dualbackup_rbp_replicated_changes_total{profile=\"rbp1\"} 40"));
	ck_assert(
	    has_line(t, "dualbackup_rbp_replication_lag_p50_seconds{profile=\"rbp1\"} 0.0004"));
	ck_assert(
	    has_line(t, "dualbackup_rbp_replication_lag_p99_seconds{profile=\"rbp1\"} 0.0015"));
	ck_assert(has_line(t, "dualbackup_rbp_replication_lag_max_seconds{profile=\"rbp1\"} 0.02"));
	ck_assert(has_line(t, "dualbackup_rbp_antientropy_last_agreed{profile=\"rbp1\"} 0"));
	ck_assert(has_line(t, "dualbackup_rbp_antientropy_leaves_differing_total{profile=\"rbp1\"} 7"));
	ck_assert(has_line(t, "dualbackup_rbp_antientropy_entries_resent_total{profile=\"rbp1\"} 9"));
	ck_assert(has_line(t, "dualbackup_kernel_neighbours_installed_total 8"));
	ck_assert(has_line(t, "dualbackup_config_running_commit_id 1000000004"));
	ck_assert(has_line(t, "dualbackup_daemon_config_in_sync{daemon=\"rbsd\"} 0"));
	free(t);
}
END_TEST

START_TEST(label_values_are_escaped_and_odd_documents_leave_samples_out)
{
	char *t = render("{\"groups\": [{\"interface\": \"e\\\"t\\\\h\\n1\", \"vrid\": 1,"
			 " \"family\": \"ipv4\", \"priority_running\": \"high\"},"
			 " {\"vrid\": 2, \"family\": \"ipv4\", \"priority_running\": 9}, 5],"
			 " \"interfaces\": 3, \"kernel_drops\": []}",
			 "[1, 2]", "{\"profiles\": {}}", NULL);

	ck_assert(has_line(t, "dualbackup_vrrp_state{interface=\"e\\\"t\\\\h\\n1\",vrid=\"1\","
			      "family=\"ipv4\",state=\"Initialize\"} 0"));
	/* a string priority is no priority; a group without an interface
	 * has no labels to name it by */
	ck_assert_ptr_null(strstr(t, "dualbackup_vrrp_priority{"));
	ck_assert(has_line(t, "dualbackup_scrape_ok{daemon=\"rbsd\"} 0"));
	free(t);
}
END_TEST

START_TEST(a_vrid_out_of_range_is_an_empty_label_not_a_wrapped_number)
{
	/* a daemon answering nonsense must not turn -1 into 4294967295
	 * (nor reach an undefined conversion, which UBSan reports) */
	char *t = render("{\"groups\": [{\"interface\": \"eth1\", \"vrid\": -1,"
			 " \"family\": \"ipv4\", \"priority_running\": 9},"
			 " {\"interface\": \"eth2\", \"vrid\": 1e300, \"family\": \"ipv4\"},"
			 " {\"interface\": \"eth3\", \"vrid\": 2.5, \"family\": \"ipv4\"}]}",
			 NULL,
			 "{\"profiles\": [{\"name\": \"p\", \"bindings\": [{\"vrid\": -7,"
			 " \"interface\": \"eth1\", \"role\": \"master\"}]}]}",
			 NULL);

	ck_assert(has_line(t, "dualbackup_vrrp_priority{interface=\"eth1\",vrid=\"\","
			      "family=\"ipv4\"} 9"));
	ck_assert_ptr_nonnull(strstr(t, "interface=\"eth2\",vrid=\"\""));
	ck_assert_ptr_nonnull(strstr(t, "interface=\"eth3\",vrid=\"\""));
	ck_assert(has_line(t, "dualbackup_rbp_binding_master{profile=\"p\",vrid=\"\","
			      "interface=\"eth1\"} 1"));
	ck_assert_ptr_null(strstr(t, "4294967"));
	free(t);
}
END_TEST

/* cfgd's commit latency goes from common/histo.c's JSON to a Prometheus
 * histogram: cumulative buckets, +Inf with every observation, sum, count. */
START_TEST(commit_latency_is_a_cumulative_histogram_and_results_are_counted)
{
	static const double le[] = {0.01, 0.1, 1};
	struct histo h;
	struct json_object *doc = json_object_new_object(), *c;
	char *t;

	histo_init(&h, le, 3);
	histo_add(&h, 0.004);
	histo_add(&h, 0.01); /* on a bound: in that bucket */
	histo_add(&h, 0.5);
	histo_add(&h, 7); /* above every bound: only in +Inf */
	c = json_object_new_object();
	json_object_object_add(c, "ok", json_object_new_int64(3));
	json_object_object_add(c, "failed", json_object_new_int64(1));
	json_object_object_add(c, "unchanged", json_object_new_int64(0));
	histo_json(&h, c, "duration_seconds");
	json_object_object_add(doc, "commits", c);
	t = render(NULL, NULL, NULL, json_object_to_json_string(doc));
	json_object_put(doc);

	ck_assert(has_line(t, "# TYPE dualbackup_config_commit_duration_seconds histogram"));
	ck_assert(has_line(t, "dualbackup_config_commit_duration_seconds_bucket{le=\"0.01\"} 2"));
	ck_assert(has_line(t, "dualbackup_config_commit_duration_seconds_bucket{le=\"0.1\"} 2"));
	ck_assert(has_line(t, "dualbackup_config_commit_duration_seconds_bucket{le=\"1\"} 3"));
	ck_assert(has_line(t, "dualbackup_config_commit_duration_seconds_bucket{le=\"+Inf\"} 4"));
	ck_assert(has_line(t, "dualbackup_config_commit_duration_seconds_sum 7.514"));
	ck_assert(has_line(t, "dualbackup_config_commit_duration_seconds_count 4"));
	ck_assert(has_line(t, "dualbackup_config_commits_total{result=\"ok\"} 3"));
	ck_assert(has_line(t, "dualbackup_config_commits_total{result=\"failed\"} 1"));
	free(t);
}
END_TEST

/* Lag and RTT come in ms and us, and go out in seconds. */
START_TEST(replication_lag_and_rtt_are_in_seconds)
{
	char *t = render(NULL,
			 "{\"services\": [{\"name\": \"rbs1\", \"replication_lag_ms\": 250,"
			 " \"tcp\": {\"rtt_us\": 1500, \"retransmits\": 4,"
			 " \"kernel_queued_bytes\": 9000}}]}",
			 "{\"profiles\": [], \"kernel\": {\"repaired\": 2}}", NULL);

	ck_assert(has_line(t, "dualbackup_rbs_replication_lag_seconds{service=\"rbs1\"} 0.25"));
	ck_assert(has_line(t, "dualbackup_rbs_tcp_rtt_seconds{service=\"rbs1\"} 0.0015"));
	ck_assert(has_line(t, "dualbackup_rbs_tcp_retransmits_total{service=\"rbs1\"} 4"));
	ck_assert(has_line(t, "dualbackup_rbs_kernel_send_queue_bytes{service=\"rbs1\"} 9000"));
	ck_assert(has_line(t, "dualbackup_kernel_neighbours_repaired_total 2"));
	free(t);
}
END_TEST

/* vrrpd's BFD sessions: up, counts, intervals in seconds, drops by reason. */
START_TEST(bfd_sessions_are_exported)
{
	struct metrics_in in = {
	    .bfd = json_tokener_parse(
		"{\"sessions\": [{\"name\": \"atob\", \"up\": true, \"ups\": 2,"
		" \"downs\": 1, \"detection_time_us\": 300000, \"tx_interval_us\": 100000,"
		" \"packets\": {\"sent\": 50, \"received\": 48, \"dropped\": 3}},"
		" {\"name\": \"b\", \"up\": false}],"
		" \"dropped\": {\"ttl\": 20, \"no_session\": 1}}"),
	};
	char *t = NULL;
	size_t len;
	FILE *f = open_memstream(&t, &len);

	ck_assert_int_eq(metrics_render(f, &in), 0);
	fclose(f);
	json_object_put(in.bfd);
	ck_assert(has_line(t, "dualbackup_bfd_session_up{session=\"atob\"} 1"));
	ck_assert(has_line(t, "dualbackup_bfd_session_up{session=\"b\"} 0"));
	ck_assert(has_line(t, "dualbackup_bfd_session_downs_total{session=\"atob\"} 1"));
	ck_assert(has_line(t, "dualbackup_bfd_detection_time_seconds{session=\"atob\"} 0.3"));
	ck_assert(has_line(t, "dualbackup_bfd_tx_interval_seconds{session=\"atob\"} 0.1"));
	ck_assert(has_line(t, "dualbackup_bfd_packets_dropped_total{session=\"atob\"} 3"));
	ck_assert(has_line(t, "dualbackup_bfd_dropped_total{reason=\"ttl\"} 20"));
	free(t);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_group_is_one_hot_state_priority_and_counters,
	    every_family_is_declared_once_before_its_samples,
	    channel_profile_and_daemons,
	    label_values_are_escaped_and_odd_documents_leave_samples_out,
	    a_vrid_out_of_range_is_an_empty_label_not_a_wrapped_number,
	    commit_latency_is_a_cumulative_histogram_and_results_are_counted,
	    replication_lag_and_rtt_are_in_seconds,
	    bfd_sessions_are_exported,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("metrics", &core, 1);
}
