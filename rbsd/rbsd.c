/*
 * rbsd: remote backup services. For each service cfgd commits (checked
 * against the live system first: the source address is on this device,
 * the port can be bound, the SSL policy's files load and match), one
 * channel to the peer device (rbs_chan.c). Locally, the services that own
 * user entries (rbpd, or a test feeder) attach on RUNDIR/rbsd-entries.ipc
 * and exchange RbsLocal messages: entries to send, with credit for
 * back-pressure; entries and batches received from the peer; requests
 * for a batch.
 *
 * This file is its main(); rbsd_life.c starts and stops it, and rbsd.h
 * says where the rest is.
 */
#include "rbsd/rbsd.h"
#include "common/service.h"

int main(int argc, char **argv)
{
	static const struct cfgclient_ops ops = {rbsd_check, rbsd_apply, rbsd_discard};
	static struct rbsd rbsd;
	static const struct service svc = {
	    "rbsd", DB__ROLE__ROLE_RBSD, &ops, rbsd_display, &rbsd, rbsd_init, rbsd_stop,
	};
	struct rbsd *d = &rbsd;
	int rc = service_main(argc, argv, &svc);

	rbsd_free(d);
	return rc;
}
