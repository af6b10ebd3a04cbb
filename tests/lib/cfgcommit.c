/* A configuration commit as cfgclient runs it: see cfgcommit.h. */
#include <check.h>
#include <stdlib.h>

#include "tests/lib/cfgcommit.h"

struct errlist cfgcommit(const struct cfgclient_ops *ops, void *arg, const uint8_t *section,
			 size_t len)
{
	struct errlist errs = {0};
	void *obj = ops->check(arg, section, len, &errs);

	ck_assert_ptr_nonnull(obj);
	if (errs.n)
		ops->discard(arg, obj);
	else
		ops->apply(arg, obj);
	return errs;
}

struct errlist cfgcommit_msg(const struct cfgclient_ops *ops, void *arg,
			     const ProtobufCMessage *section)
{
	size_t len = protobuf_c_message_get_packed_size(section);
	uint8_t *buf = malloc(len ? len : 1);
	struct errlist errs;

	ck_assert_ptr_nonnull(buf);
	protobuf_c_message_pack(section, buf);
	errs = cfgcommit(ops, arg, buf, len);
	free(buf);
	return errs;
}

void cfgcommit_ok(const struct cfgclient_ops *ops, void *arg, const ProtobufCMessage *section)
{
	struct errlist errs = cfgcommit_msg(ops, arg, section);

	ck_assert_msg(errs.n == 0, "commit refused: %s", errs.n ? errs.v[0] : "");
	errlist_free(&errs);
}
