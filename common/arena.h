/*
 * A bump allocator for protobuf-c's unpack: protobuf-c allocates a message,
 * each repeated submessage, each key and payload separately, which with
 * malloc is three or more allocations and frees per entry. From an arena
 * they are bumps of a pointer in a chunk, and one arena_reset() gives
 * everything back. Chunks double, so after a few messages one chunk holds
 * a whole message; the newest chunk is the largest and the only one kept
 * by a reset, unless it is over 4 MiB.
 *
 * Used by rbsd's frame decoder (rbs_frame.h) for what comes from the peer,
 * by rbsd for what comes from its feeder, and by rbpd for what comes from
 * rbsd.
 */
#ifndef DB_ARENA_H
#define DB_ARENA_H

#include <protobuf-c/protobuf-c.h>

struct arena_chunk;

/* An arena, in the caller's memory; zeroed (or arena_init()) is empty. */
struct arena {
	struct arena_chunk *chunk; /* newest (and largest) chunk first */
	ProtobufCAllocator alloc;
	int oom; /* an allocation failed since the last arena_allocator() */
};

void arena_init(struct arena *a);

/*
 * The allocator to pass to a protobuf-c unpack (its free does nothing).
 * Points to the arena: take it again after the arena was moved. Clears
 * the out-of-memory flag.
 */
ProtobufCAllocator *arena_allocator(struct arena *a);

/* Gives back everything allocated since the last reset; keeps one chunk. */
void arena_reset(struct arena *a);

/* Frees every chunk; the arena is empty and may be used again. */
void arena_free(struct arena *a);

#endif
