/*
 * rbpd: its main(). The daemon itself is rbpd.c and its rbpd_*.c parts
 * (rbpd.h), apart from main() so that a test can run a struct rbpd on a
 * loop of its own (tests/check_rbpd.c).
 */
#include "common/service.h"
#include "rbpd/rbpd.h"

int main(int argc, char **argv)
{
	static const struct cfgclient_ops ops = {rbpd_check, rbpd_apply, rbpd_discard};
	static struct rbpd rbpd = RBPD_INITIALIZER;
	static const struct service svc = {
	    "rbpd", DB__ROLE__ROLE_RBPD, &ops, rbpd_display, &rbpd, rbpd_init, rbpd_stop,
	};
	int rc = service_main(argc, argv, &svc);

	rbpd_free(&rbpd);
	return rc;
}
