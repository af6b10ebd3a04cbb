# One non-recursive Makefile for the whole suite.
#   make            build daemons and dbcli into build/bin
#   make check      install missing packages, build, run every test
#   make demo       two devices in namespaces, the spec's procedure, a failover
#   make install    PREFIX=/usr/local DESTDIR= : binaries and systemd units
# SAN=1 builds with ASan+UBSan into build-san/.
#   make coverage   line coverage per directory of the unit suites (gcovr);
#                   COVERAGE_INTEGRATION=1: and with the integration suites
# COV=1 builds with gcov's instrumentation into build-cov/.
#
# Test hooks: the daemons in $(B)/bin, which the tests, the demo and the
# benchmarks run, are built with -DDB_TEST_HOOKS, which compiles in fault
# injection (DB_FAULT, common/cfgclient.c) and the daemons' test hooks
# (cfgclient_test_hook(): SIGUSR2 runs one). `make install` installs
# $(B)/prod/ instead: the same objects linked with a cfgclient built
# without it (`make prod` builds them alone). `make hooks-check`, part of
# `make unit`, proves the hook is in $(B)/bin and nowhere in $(B)/prod.

SHELL := /bin/bash
PREFIX ?= /usr/local
DESTDIR ?=
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
CATALOGDIR ?= $(PREFIX)/lib/systemd/catalog

ifeq ($(SAN),1)
B ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT = -O1
else ifeq ($(COV),1)
B ?= build-cov
SANFLAGS = --coverage
OPT = -O0
else
B ?= build
SANFLAGS =
OPT = -O2
endif

# One spelling of the build directory: given as an absolute path inside the
# tree (tests/integration/cli.sh's `make install B=...` does), it is made
# relative again, so that the dependency files one build writes name the
# targets the next build asks for (else a header change rebuilds nothing).
override B := $(patsubst $(CURDIR)/%,%,$(abspath $(B)))

CC ?= cc
CFLAGS ?= $(OPT) -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -Wshadow \
	-D_GNU_SOURCE -I. -I$(B)/gen $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
LIBS = -lzmq -lprotobuf-c -luv -lsystemd -lcap -lpthread -ljson-c
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

PROTOS := $(wildcard proto/*.proto)
PROTO_C := $(patsubst proto/%.proto,$(B)/gen/%.pb-c.c,$(PROTOS))
PROTO_H := $(PROTO_C:.c=.h)
PROTO_O := $(PROTO_C:.c=.o)

COMMON_SRC := common/log.c common/bus.c common/daemon.c common/cfgclient.c common/ctl.c \
	common/strmap.c common/errlist.c common/service.c common/reqclient.c common/peer.c \
	common/keyfile.c common/jsonout.c common/histo.c common/hex.c common/svc.c common/mac.c \
	common/arena.c common/reconcile.c common/pidwatch.c
# The user-information client library (rbpclient/, installed as
# librbpclient.a with rbp_client.h): linked by services and dbuser, not by
# the daemons. It carries the few common modules it needs (RBPC_DEPS_O).
RBPC_SRC := rbpclient/rbp_client.c
RBPC_O := $(patsubst %.c,$(B)/%.o,$(RBPC_SRC))
COMMON_O := $(patsubst %.c,$(B)/%.o,$(COMMON_SRC)) $(PROTO_O)
COMMON_PROD_O := $(filter-out $(B)/common/cfgclient.o,$(COMMON_O)) $(B)/prod/common/cfgclient.o

# cfgd's CLI grammar: its parts (cfgd/grammar_int.h says which is what).
GRAMMAR_SRC := cfgd/grammar.c cfgd/grammar_table.c cfgd/grammar_check.c cfgd/grammar_help.c
GRAMMAR_O := $(patsubst %.c,$(B)/%.o,$(GRAMMAR_SRC))

CFGD_LIB_SRC := $(GRAMMAR_SRC) cfgd/conf.c cfgd/conf_text.c cfgd/conf_cand.c cfgd/compile.c \
	cfgd/compile_cache.c cfgd/compile_sect.c cfgd/compile_refs.c cfgd/compile_bfd.c cfgd/txn.c \
	cfgd/commitq.c \
	cfgd/store.c \
	cfgd/session.c \
	cfgd/tlsfiles.c
CFGD_LIB_O := $(patsubst %.c,$(B)/%.o,$(CFGD_LIB_SRC))
# cfgd's daemon is its cfgd_*.c parts, which share its state (cfgd.h);
# its main() is cfgd_main.c.
CFGD_DAEMON_SRC := $(filter-out cfgd/cfgd_main.c,$(wildcard cfgd/cfgd_*.c))
CFGD_DAEMON_O := $(patsubst %.c,$(B)/%.o,$(CFGD_DAEMON_SRC))

# Each daemon: its main file plus a library of modules that unit tests link.
# vrrpd's daemon is vrrpd.c and its vrrpd_*.c parts, which share its state (vrrpd.h).
VRRPD_DAEMON_SRC := $(wildcard vrrpd/vrrpd_*.c)
VRRPD_DAEMON_O := $(patsubst %.c,$(B)/%.o,$(VRRPD_DAEMON_SRC))
VRRPD_LIB_SRC := $(filter-out vrrpd/vrrpd.c $(VRRPD_DAEMON_SRC),$(wildcard vrrpd/*.c))
VRRPD_LIB_O := $(patsubst %.c,$(B)/%.o,$(VRRPD_LIB_SRC))
# rbsd's daemon is rbsd.c and its rbsd_*.c parts, which share its state (rbsd.h).
RBSD_DAEMON_SRC := $(wildcard rbsd/rbsd_*.c)
RBSD_DAEMON_O := $(patsubst %.c,$(B)/%.o,$(RBSD_DAEMON_SRC))
RBSD_LIB_SRC := $(filter-out rbsd/rbsd.c $(RBSD_DAEMON_SRC),$(wildcard rbsd/*.c))
RBSD_LIB_O := $(patsubst %.c,$(B)/%.o,$(RBSD_LIB_SRC))
# rbpd's daemon is rbpd.c and its rbpd_*.c parts, which share its state;
# its main() is rbpd_main.c.
RBPD_DAEMON_SRC := rbpd/rbpd.c $(filter-out rbpd/rbpd_main.c,$(wildcard rbpd/rbpd_*.c))
RBPD_DAEMON_O := $(patsubst %.c,$(B)/%.o,$(RBPD_DAEMON_SRC))
RBPD_LIB_SRC := $(filter-out rbpd/rbpd_main.c $(RBPD_DAEMON_SRC),$(wildcard rbpd/*.c))
RBPD_LIB_O := $(patsubst %.c,$(B)/%.o,$(RBPD_LIB_SRC))
# The user table (rbpd/user_table.h) is user_table.c and its parts
# (rbpd/user_table_int.h), for the tools and fuzzers that link it alone.
USER_TABLE_SRC := $(wildcard rbpd/user_table*.c)
USER_TABLE_O := $(patsubst %.c,$(B)/%.o,$(USER_TABLE_SRC))
# bfd: the BFD session core (RFC 5880 / 5881), run by vrrpd (vrrpd/vrrp_bfd.c).
BFD_LIB_SRC := $(wildcard bfd/*.c)
BFD_LIB_O := $(patsubst %.c,$(B)/%.o,$(BFD_LIB_SRC))
# kea: the pure parts of the Kea hook (kea/kea_hook.cc), which unit tests
# link: the lease codec, Kea's lease JSON, the roles, the control socket.
KEA_LIB_SRC := kea/kea_lease.c kea/kea_json.c kea/kea_role.c kea/kea_ctrl.c
KEA_LIB_O := $(patsubst %.c,$(B)/%.o,$(KEA_LIB_SRC))

# dbagentx: the VRRPv3-MIB (RFC 6527) as a net-snmp AgentX subagent.
AGENTX_O := $(B)/agentx/vrrp_mib.o
SNMP_LIBS := $(shell net-snmp-config --agent-libs 2>/dev/null || echo -lnetsnmpagent -lnetsnmp)

BINS := $(B)/bin/cfgd $(B)/bin/vrrpd $(B)/bin/rbsd $(B)/bin/rbpd $(B)/bin/dbcli $(B)/bin/dbuser \
	$(B)/bin/metricsd $(B)/bin/dbagentx

all: $(BINS)

$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/gen
	protoc-c --c_out=$(B)/gen -Iproto $<

$(B)/gen/%.pb-c.o: $(B)/gen/%.pb-c.c
	$(CC) $(CFLAGS) -Wno-error -c -o $@ $<

$(B)/%.o: %.c $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The only object that differs between test and production builds.
$(B)/common/cfgclient.o: CFLAGS += -DDB_TEST_HOOKS

$(B)/prod/common/cfgclient.o: common/cfgclient.c $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

PROD_BINS := $(B)/prod/cfgd $(B)/prod/vrrpd $(B)/prod/rbsd $(B)/prod/rbpd $(B)/prod/dbcli \
	$(B)/prod/metricsd $(B)/prod/dbagentx

$(B)/prod/cfgd: $(B)/cfgd/cfgd_main.o $(CFGD_DAEMON_O) $(CFGD_LIB_O) $(COMMON_PROD_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/prod/vrrpd: $(B)/vrrpd/vrrpd.o $(VRRPD_DAEMON_O) $(VRRPD_LIB_O) $(BFD_LIB_O) $(COMMON_PROD_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/prod/rbsd: $(B)/rbsd/rbsd.o $(RBSD_DAEMON_O) $(RBSD_LIB_O) $(COMMON_PROD_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lssl -lcrypto

$(B)/prod/rbpd: $(B)/rbpd/rbpd_main.o $(RBPD_DAEMON_O) $(RBPD_LIB_O) $(COMMON_PROD_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/prod/dbcli: $(B)/cli/dbcli.o $(COMMON_PROD_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -ledit

$(B)/prod/metricsd: $(B)/metricsd/metricsd.o $(B)/metricsd/metrics.o $(COMMON_PROD_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lmicrohttpd -lpthread

$(B)/prod/dbagentx: $(B)/agentx/dbagentx.o $(AGENTX_O) $(COMMON_PROD_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(SNMP_LIBS)

prod: $(PROD_BINS)

# The fault hook's strings are in the test daemons (else this proves
# nothing) and in none of the production ones.
hooks-check: $(BINS) $(PROD_BINS)
	@grep -qa 'DB_FAULT' $(B)/bin/vrrpd || { echo "FAIL: no fault hook in $(B)/bin/vrrpd"; exit 1; }
	@for b in $(PROD_BINS); do \
		if grep -qa -e 'DB_FAULT' -e 'fault injection' -e 'SIGUSR2 runs it' $$b; then \
			echo "FAIL: $$b holds the fault-injection hook"; exit 1; fi; done
	@grep -qa 'SIGUSR2 runs it' $(B)/bin/rbpd || { echo "FAIL: no test hook in $(B)/bin/rbpd"; exit 1; }
	@echo "hooks-check: fault injection in $(B)/bin only, none in $(PROD_BINS)"

$(B)/bin/cfgd: $(B)/cfgd/cfgd_main.o $(CFGD_DAEMON_O) $(CFGD_LIB_O) $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bin/vrrpd: $(B)/vrrpd/vrrpd.o $(VRRPD_DAEMON_O) $(VRRPD_LIB_O) $(BFD_LIB_O) $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bin/rbsd: $(B)/rbsd/rbsd.o $(RBSD_DAEMON_O) $(RBSD_LIB_O) $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lssl -lcrypto

$(B)/bin/rbpd: $(B)/rbpd/rbpd_main.o $(RBPD_DAEMON_O) $(RBPD_LIB_O) $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bin/dbcli: $(B)/cli/dbcli.o $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -ledit

# metricsd: the Prometheus endpoint (libmicrohttpd), off unless started.
METRICS_O := $(B)/metricsd/metrics.o

$(B)/bin/metricsd: $(B)/metricsd/metricsd.o $(METRICS_O) $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lmicrohttpd -lpthread

$(B)/bin/dbagentx: $(B)/agentx/dbagentx.o $(AGENTX_O) $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(SNMP_LIBS)

# dbuser is a service like any other: the installed library only.
$(B)/bin/dbuser: $(B)/cli/dbuser.o $(B)/lib/librbpclient.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lzmq -lprotobuf-c

# Unit tests: one check suite per module, tests/check_MODULE.c, each with
# the shared main() of tests/lib/checkrun.c, the loop waits of
# tests/lib/loopwait.c, the namespaces of tests/lib/netns.c, the
# in-process commits of tests/lib/cfgcommit.c, the temporary
# directories of tests/lib/tmproot.c, the JSON reads of
# tests/lib/jcheck.c and the stand-in processes of tests/lib/standin.c
# (outside the wildcard).
UNIT_TESTS := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/check_*.c))
CHECKRUN_O := $(B)/tests/lib/checkrun.o $(B)/tests/lib/loopwait.o $(B)/tests/lib/netns.o \
	$(B)/tests/lib/cfgcommit.o $(B)/tests/lib/tmproot.o $(B)/tests/lib/jcheck.o \
	$(B)/tests/lib/standin.o

$(B)/tests/check_%: $(B)/tests/check_%.o $(CHECKRUN_O) $(CFGD_LIB_O) $(VRRPD_LIB_O) $(RBSD_LIB_O) $(RBPD_LIB_O) \
		$(BFD_LIB_O) $(KEA_LIB_O) $(RBPC_O) $(METRICS_O) $(AGENTX_O) $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lssl -lcrypto $(CHECK_LIBS)

# check_vrrpd runs vrrpd's daemon parts in process (vrrpd_init() on a loop
# of its own, in a network namespace): it links them too, the others do not.
$(B)/tests/check_vrrpd: $(VRRPD_DAEMON_O)
# check_rbpd likewise runs rbpd's (rbpd_init()).
$(B)/tests/check_rbpd: $(RBPD_DAEMON_O)
# check_rbsd runs two rbsd in process (rbsd_init() on one loop): the same.
$(B)/tests/check_rbsd: $(RBSD_DAEMON_O)
# check_cfgd likewise runs cfgd's (cfgd_init()).
$(B)/tests/check_cfgd: $(CFGD_DAEMON_O)

# Benchmarks and test tools.
$(B)/bin/bench-commit: $(B)/bench/commit.o $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bin/bench-table: $(B)/bench/table.o $(RBPD_LIB_O) $(B)/common/hex.o $(B)/common/svc.o $(B)/common/mac.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/bin/zmq-garbage: $(B)/tests/tools/zmq_garbage.o $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bin/bus-impostor: $(B)/tests/tools/bus_impostor.o $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bin/vrrp-inject: $(B)/tests/tools/vrrp_inject.o $(B)/vrrpd/vrrp_pkt.o $(B)/vrrpd/vrrp_net.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/bin/bfd-inject: $(B)/tests/tools/bfd_inject.o $(B)/bfd/bfd_pkt.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/bin/rbs-feeder: $(B)/tests/tools/rbs_feeder.o $(B)/tests/tools/feeder_link.o $(USER_TABLE_O) \
		$(B)/common/svc.o $(PROTO_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lzmq -lprotobuf-c

$(B)/bin/rbs-flood: $(B)/tests/tools/rbs_flood.o $(B)/rbsd/rbs_frame.o $(B)/common/arena.o \
		$(B)/common/svc.o $(PROTO_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lprotobuf-c

$(B)/bin/rbs-rogue: $(B)/tests/tools/rbs_rogue.o $(B)/tests/tools/feeder_link.o \
		$(B)/rbpd/rbp_rec.o $(B)/rbpd/rbp_role.o \
		$(B)/common/hex.o $(B)/common/mac.o $(B)/common/svc.o $(PROTO_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lzmq -lprotobuf-c

$(B)/bin/vrrp-events: $(B)/tests/tools/vrrp_events.o $(COMMON_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bin/kea-ctl: $(B)/tests/tools/kea_ctl.o $(B)/kea/kea_ctrl.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -ljson-c

$(B)/bin/neigh-users: $(B)/tests/tools/neigh_users.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# The benchmarks' own programs (bench/*.sh run them; built here so that
# none of them can stop compiling unseen).
$(B)/bin/bench-failover-probe: $(B)/bench/failover_probe.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/bin/bench-rbs-watch: $(B)/bench/rbs_watch.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/bin/bench-tls-raw: $(B)/bench/tls_raw.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lssl -lcrypto

$(B)/bin/bench-sync-load: $(B)/bench/sync_load.o $(B)/gen/user.pb-c.o $(B)/gen/rbs.pb-c.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lzmq -lprotobuf-c

TOOLS := $(B)/bin/zmq-garbage $(B)/bin/vrrp-inject $(B)/bin/rbs-feeder $(B)/bin/vrrp-events \
	$(B)/bin/neigh-users $(B)/bin/bus-impostor $(B)/bin/rbs-flood $(B)/bin/rbs-rogue \
	$(B)/bin/bfd-inject $(B)/bin/kea-ctl $(B)/lib/libdhcp_rbp.so
BENCH_TOOLS := $(B)/bin/bench-commit $(B)/bin/bench-table $(B)/bin/bench-failover-probe \
	$(B)/bin/bench-rbs-watch $(B)/bin/bench-tls-raw $(B)/bin/bench-sync-load

tests: $(UNIT_TESTS) $(TOOLS) $(BENCH_TOOLS)

# A suite exits 77 when part of it cannot run here (not root): the skip is
# counted and printed, and under CI (CI=true) it fails the run.
unit: $(BINS) tests hooks-check
	@pass=0; skip=0; fail=0; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; rc=$$?; \
		case $$rc in 0) pass=$$((pass+1));; 77) skip=$$((skip+1)); echo "SKIP: $$t";; \
		*) fail=$$((fail+1)); echo "FAIL: $$t (exit $$rc)";; esac; done; \
	echo "unit suites: $$pass passed, $$skip skipped, $$fail failed"; \
	test $$fail -eq 0 && { test $$skip -eq 0 || test "$$CI" != true; }

# Integration suites: real daemons in network namespaces. Each suite is a
# script of its own (its own namespaces and clean-up); all of them run.
INTEGRATION_SUITES := $(filter-out %lib.sh,$(wildcard tests/integration/*.sh))

integration: $(BINS) tests
	@rc=0; for s in $(INTEGRATION_SUITES); do echo "== $$s"; t0=$$(date +%s); \
		bash $$s $(B) || rc=1; echo "== $$s: $$(( $$(date +%s) - t0 )) s"; done; exit $$rc

# Fuzz targets (libFuzzer, clang) for every parser of CLI or bus input,
# each run for FUZZ_SECONDS from its seed corpus, one per core at a time
# (tests/fuzz/run.sh); a fuzzer that fails (a crash, a leak, a sanitizer
# report) fails the run with its output shown.
FUZZ_SECONDS ?= 10
FUZZ_CFLAGS = -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -I$(B)/gen \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZERS := build-fuzz/fuzz_cli build-fuzz/fuzz_bus build-fuzz/fuzz_vrrp_pkt build-fuzz/fuzz_rbs_frame \
	build-fuzz/fuzz_rbp_neigh build-fuzz/fuzz_rbp_rec build-fuzz/fuzz_rbp_api_req build-fuzz/fuzz_peer \
	build-fuzz/fuzz_metrics build-fuzz/fuzz_vrrp_mib build-fuzz/fuzz_bfd_pkt build-fuzz/fuzz_kea_lease \
	build-fuzz/fuzz_kea_json

build-fuzz/fuzz_vrrp_mib: tests/fuzz/fuzz_vrrp_mib.c agentx/vrrp_mib.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -ljson-c

build-fuzz/fuzz_kea_lease: tests/fuzz/fuzz_kea_lease.c kea/kea_lease.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -ljson-c

build-fuzz/fuzz_kea_json: tests/fuzz/fuzz_kea_json.c kea/kea_json.c kea/kea_lease.c common/hex.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -ljson-c

build-fuzz/fuzz_metrics: tests/fuzz/fuzz_metrics.c metricsd/metrics.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -ljson-c

build-fuzz/fuzz_peer: tests/fuzz/fuzz_peer.c common/peer.c common/log.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lzmq -lsystemd

build-fuzz/fuzz_rbp_neigh: tests/fuzz/fuzz_rbp_neigh.c rbpd/rbp_neigh.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

build-fuzz/fuzz_rbp_rec: tests/fuzz/fuzz_rbp_rec.c rbpd/rbp_rec.c rbpd/rbp_role.c $(USER_TABLE_SRC) \
		rbpd/rbp_admit.c common/hex.c common/svc.c common/mac.c $(PROTO_H)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

build-fuzz/fuzz_rbp_api_req: tests/fuzz/fuzz_rbp_api_req.c rbpd/rbp_api_req.c $(PROTO_C) $(PROTO_H)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lprotobuf-c

build-fuzz/fuzz_vrrp_pkt: tests/fuzz/fuzz_vrrp_pkt.c vrrpd/vrrp_pkt.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

build-fuzz/fuzz_bfd_pkt: tests/fuzz/fuzz_bfd_pkt.c bfd/bfd_pkt.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

build-fuzz/fuzz_rbs_frame: tests/fuzz/fuzz_rbs_frame.c rbsd/rbs_frame.c common/arena.c common/svc.c \
		$(PROTO_C) $(PROTO_H)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lprotobuf-c

build-fuzz/fuzz_cli: tests/fuzz/fuzz_cli.c $(GRAMMAR_SRC) cfgd/grammar_int.h cfgd/conf.c \
		cfgd/conf_text.c common/strmap.c $(PROTO_H)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

build-fuzz/fuzz_bus: tests/fuzz/fuzz_bus.c common/bus.c common/peer.c common/log.c $(PROTO_C) $(PROTO_H)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lprotobuf-c -luv -lzmq -lsystemd

fuzzers: $(FUZZERS)

fuzz: $(FUZZERS)
	bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

# Manual pages: dbcli(1)'s command reference is generated from cfgd's
# grammar (docs/man/cmdref.c), so it cannot drift from what the CLI takes.
MAN_STATIC := docs/man/dbuser.1 docs/man/dualbackup.7 docs/man/cfgd.8 docs/man/vrrpd.8 \
	docs/man/rbsd.8 docs/man/rbpd.8 docs/man/metricsd.8 docs/man/dbagentx.8
MANPAGES := $(B)/man/dbcli.1 $(patsubst docs/man/%,$(B)/man/%,$(MAN_STATIC))

$(B)/bin/cmdref: $(B)/docs/man/cmdref.o $(GRAMMAR_O)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/man/dbcli.1: docs/man/dbcli.1.in $(B)/bin/cmdref
	@mkdir -p $(dir $@)
	$(B)/bin/cmdref <$< >$@.tmp && mv $@.tmp $@

$(B)/man/%: docs/man/%
	@mkdir -p $(dir $@)
	cp $< $@

man: $(MANPAGES)

# mandoc's linter over every page: warnings fail (style notes do not).
manlint: $(MANPAGES)
	mandoc -T lint -W warning $(MANPAGES)

# Install what is missing, then build and run everything.
deps:
	@bash .ci/install-deps

# The systemd units' exposure (systemd-analyze security), each at most 3.0.
units:
	bash tests/units.sh

# The tree's shape: no file over 1,000 lines, no function over 120, no
# include of another program's headers, no include cycle.
structure:
	bash tests/structure.sh

# Each stage's time is printed: CI's whole run must stay under 45 minutes.
# The builds use every core (JOBS); the suites run one at a time.
JOBS ?= $(shell nproc)
CHECK_STAGES := structure+units+manlint -j$(JOBS)+all+tests+prod unit+integration \
	SAN=1+-j$(JOBS)+all+tests+prod SAN=1+unit+integration -j$(JOBS)+fuzzers fuzz \
	bench-smoke coverage
check: deps
	@set -e; t_all=$$(date +%s); for st in $(CHECK_STAGES); do t0=$$(date +%s); \
		$(MAKE) $$(echo $$st | tr + ' '); \
		echo "== check: $$st in $$(( $$(date +%s) - t0 )) s"; done; \
	echo "== check: all stages in $$(( $$(date +%s) - t_all )) s"

# Line coverage per directory (gcovr over gcov's data): the unit suites
# alone; with COVERAGE_INTEGRATION=1 the integration suites too (as root,
# about as long as `make integration`). Instrumented build in build-cov/.
coverage:
	$(MAKE) -j$(JOBS) COV=1 all tests
	bash tests/coverage.sh build-cov $(if $(COVERAGE_INTEGRATION),integration)

# The demo runs the daemons, dbcli, the host's neigh-users, and ISC Kea
# with the platform's hook on each device for real DHCP clients (dhclient).
demo: deps
	$(MAKE) all $(B)/bin/neigh-users $(B)/bin/kea-ctl $(B)/lib/libdhcp_rbp.so
	bash tests/demo.sh $(B)

# Benchmarks (as root), one summary table at the end (bench/README.md).
# BENCHES picks them: the quick ones by default, all of them with
# BENCHES="$(BENCH_ALL)". bench-smoke runs every one in its smoke mode
# (tiny sizes, seconds): it fails when one of them breaks.
BENCH_ALL := commit table failover scale rbs switchover resync bfd sync kea
BENCHES ?= commit table
bench: $(BINS) tests
	bash bench/run.sh $(B) $(BENCHES)

bench-smoke: $(BINS) tests
	SMOKE=1 bash bench/run.sh $(B) $(BENCH_ALL)

# libdhcp_rbp.so: the Kea hook (kea/, docs/kea.md), loaded by kea-dhcp4 and
# kea-dhcp6 beside Kea's lease_cmds hook. Position-independent objects of
# its own, never sanitized (a sanitized library cannot be loaded into an
# unsanitized Kea), linked against Kea 2.2's libraries (kea-dev).
KEA_HOOK_C := kea/kea_worker.c kea/kea_ctrl.c kea/kea_json.c kea/kea_lease.c kea/kea_role.c \
	rbpclient/rbp_client.c common/hex.c common/svc.c common/strmap.c
KEA_HOOK_O := $(patsubst %.c,$(B)/pic/%.o,$(KEA_HOOK_C)) $(B)/pic/gen/user.pb-c.o \
	$(B)/pic/gen/rbs.pb-c.o $(B)/pic/kea/kea_hook.o
KEA_PIC_CFLAGS = -O2 -g -fPIC -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-format-truncation -Wshadow -D_GNU_SOURCE -I. -I$(B)/gen
KEA_LIBS = -lkea-dhcpsrv -lkea-dhcp++ -lkea-hooks -lkea-stats -lkea-log -lkea-cc -lkea-exceptions \
	-lkea-asiolink -lkea-util -lzmq -lprotobuf-c -ljson-c -lpthread

$(B)/pic/%.o: %.c $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(KEA_PIC_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/pic/gen/%.pb-c.o: $(B)/gen/%.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(KEA_PIC_CFLAGS) -Wno-error -c -o $@ $<

$(B)/pic/kea/kea_hook.o: kea/kea_hook.cc kea/kea_worker.h
	@mkdir -p $(dir $@)
	$(CXX) -O2 -g -fPIC -std=c++17 -Wall -Wextra -Werror -Wno-unused-parameter -I. \
		-I/usr/include/kea -MMD -MP -c -o $@ $<

$(B)/lib/libdhcp_rbp.so: $(KEA_HOOK_O)
	@mkdir -p $(dir $@)
	$(CXX) -shared -o $@ $^ $(KEA_LIBS)

kea-hook: $(B)/lib/libdhcp_rbp.so

# The user API's client library for services: link with -lrbpclient
# -lprotobuf-c -lzmq.
RBPC_DEPS_O := $(B)/common/svc.o $(B)/common/mac.o $(B)/common/hex.o
$(B)/lib/librbpclient.a: $(RBPC_O) $(RBPC_DEPS_O) $(B)/gen/user.pb-c.o $(B)/gen/rbs.pb-c.o
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

install: $(PROD_BINS) $(B)/bin/dbuser $(B)/lib/librbpclient.a $(B)/lib/libdhcp_rbp.so $(MANPAGES)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSTEMDDIR)
	for m in $(MANPAGES); do s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
		install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done
	install -m 755 $(B)/prod/cfgd $(B)/prod/vrrpd $(B)/prod/rbsd $(B)/prod/rbpd $(B)/prod/metricsd \
		$(B)/prod/dbagentx \
		$(DESTDIR)$(PREFIX)/sbin/
	install -m 755 $(B)/prod/dbcli $(B)/bin/dbuser $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/include/dualbackup $(DESTDIR)$(PREFIX)/lib
	install -m 644 rbpclient/rbp_client.h $(DESTDIR)$(PREFIX)/include/dualbackup/
	install -m 644 $(B)/lib/librbpclient.a $(DESTDIR)$(PREFIX)/lib/
	# The Kea hook (docs/kea.md): hooks-libraries names this path.
	install -d $(DESTDIR)$(PREFIX)/lib/dualbackup
	install -m 755 $(B)/lib/libdhcp_rbp.so $(DESTDIR)$(PREFIX)/lib/dualbackup/
	for u in systemd/*.service systemd/*.target; do \
		sed 's|@SBINDIR@|$(PREFIX)/sbin|g' $$u > $(DESTDIR)$(SYSTEMDDIR)/$$(basename $$u); \
		chmod 644 $(DESTDIR)$(SYSTEMDDIR)/$$(basename $$u); \
	done
	# The daemons' user and group (the units run as it; dbcli and dbuser
	# are for root and its members).
	install -d $(DESTDIR)$(SYSUSERSDIR)
	install -m 644 systemd/dualbackup.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/dualbackup.conf
	# The journal catalog: journalctl -x explains the events' MESSAGE_IDs.
	install -d $(DESTDIR)$(CATALOGDIR)
	install -m 644 systemd/dualbackup.catalog $(DESTDIR)$(CATALOGDIR)/
	if [ -z "$(DESTDIR)" ] && command -v journalctl >/dev/null; then \
		journalctl --update-catalog; fi
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(SYSUSERSDIR)/dualbackup.conf; fi

clean:
	rm -rf build build-san build-fuzz build-cov

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

.PHONY: all tests fuzzers unit units integration deps check demo bench bench-smoke install clean format fuzz man manlint structure coverage \
	prod hooks-check kea-hook

-include $(shell find $(B) -name '*.d' 2>/dev/null)
.SECONDARY:
