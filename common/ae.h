/*
 * Protocol vocabulary both devices share, whatever the daemon: the
 * anti-entropy geometry (docs/antientropy.md) and the longest user key.
 * A key's slot (rbpd's ut_ae_slot()) is one of AE_SLOTS, in bucket
 * slot / AE_LEAVES, leaf slot % AE_LEAVES; a summary names leaves as
 * bucket * AE_LEAVES + leaf. rbsd checks frames against these, rbpd
 * builds them: one definition, as common/svc.h is for service types.
 */
#ifndef DB_AE_H
#define DB_AE_H

#define AE_BUCKETS 256
#define AE_LEAVES 256 /* per bucket */
#define AE_SLOTS (AE_BUCKETS * AE_LEAVES)

/* A user's key: 1 to USER_KEY_MAX bytes. */
#define USER_KEY_MAX 255

#endif
