/*
 * cfgd: owns the running configuration and its history, serves the CLI
 * sessions of dbcli, and runs the two-phase commit across the daemons.
 *
 * This file is its main(); cfgd_life.c starts and stops it, and cfgd.h
 * says where the rest is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "cfgd/cfgd.h"
#include "common/log.h"

/* -E / --empty is cfgd's own option: taken out of argv (as a word of its
 * own) before the options every daemon shares are parsed. */
static bool take_empty_flag(int *argc, char **argv)
{
	bool found = false;
	int j = 1;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "-E") == 0 || strcmp(argv[i], "--empty") == 0)
			found = true;
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return found;
}

static void on_stop(void *arg)
{
	struct cfgd *cd = arg;

	daemon_stopping();
	cfgd_stop(cd);
	uv_stop(cd->loop);
}

int main(int argc, char **argv)
{
	static struct cfgd cfgd;
	struct cfgd *cd = &cfgd;
	void *zctx;
	int rc;

	cd->opts.name = "cfgd";
	cd->empty_ok = take_empty_flag(&argc, argv);
	daemon_start(&cd->opts, argc, argv, true);
	zctx = zmq_ctx_new();
	if (zctx == NULL)
		fatalx("zmq_ctx_new: %s", strerror(errno));
	rc = cfgd_init(cd, uv_default_loop(), zctx);
	if (rc < 0)
		fatalx("cannot start: %s", strerror(-rc));
	daemon_on_signal(cd->loop, on_stop, cd);
	daemon_ready();
	uv_run(cd->loop, UV_RUN_DEFAULT);
	daemon_close_loop(cd->loop);
	cfgd_free(cd);
	cfg_compile_cache_free();
	zmq_ctx_term(zctx);
	log_info("stopped");
	return 0;
}
