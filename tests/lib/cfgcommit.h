/*
 * A configuration commit as common/cfgclient runs it, for the suites that
 * run a daemon in process (tests/lib/, linked into every suite with
 * checkrun.c): the daemon's check (PREPARE) on a packed section, then its
 * apply (COMMIT) when nothing is wrong, or its discard (ABORT).
 */
#ifndef DB_CFGCOMMIT_H
#define DB_CFGCOMMIT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/cfgclient.h"
#include "common/errlist.h"

/* Commits the len bytes of section through ops with arg (the daemon's
 * state); a section that does not unpack fails the test. Returns the
 * problems, for the caller to free (none: applied). */
struct errlist cfgcommit(const struct cfgclient_ops *ops, void *arg, const uint8_t *section,
			 size_t len);

/* The same with the section as its message, packed here. */
struct errlist cfgcommit_msg(const struct cfgclient_ops *ops, void *arg,
			     const ProtobufCMessage *section);

/* cfgcommit_msg() that must be applied: a refusal fails the test. */
void cfgcommit_ok(const struct cfgclient_ops *ops, void *arg, const ProtobufCMessage *section);

#endif
