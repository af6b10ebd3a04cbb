/*
 * A bump allocator for protobuf-c's unpack: protobuf-c allocates a message,
 * each repeated submessage, each key and payload separately, which with
 * malloc is three or more allocations and frees per entry. From an arena
 * they are bumps of a pointer in a chunk, and one rbs_arena_reset() gives
 * everything back. Chunks double, so after a few messages one chunk holds
 * a whole message; the newest chunk is the largest and the only one kept
 * by a reset, unless it is over 4 MiB.
 *
 * Used by the frame decoder (rbs_frame.h) for what comes from the peer and
 * by rbsd for what comes from its feeder.
 */
#ifndef DB_RBS_ARENA_H
#define DB_RBS_ARENA_H

#include <protobuf-c/protobuf-c.h>

struct rbs_arena_chunk;

/* An arena, in the caller's memory; zeroed (or rbs_arena_init()) is empty. */
struct rbs_arena {
	struct rbs_arena_chunk *chunk; /* newest (and largest) chunk first */
	ProtobufCAllocator alloc;
	int oom; /* an allocation failed since the last rbs_arena_allocator() */
};

void rbs_arena_init(struct rbs_arena *a);

/*
 * The allocator to pass to a protobuf-c unpack (its free does nothing).
 * Points to the arena: take it again after the arena was moved. Clears
 * the out-of-memory flag.
 */
ProtobufCAllocator *rbs_arena_allocator(struct rbs_arena *a);

/* Gives back everything allocated since the last reset; keeps one chunk. */
void rbs_arena_reset(struct rbs_arena *a);

/* Frees every chunk; the arena is empty and may be used again. */
void rbs_arena_free(struct rbs_arena *a);

#endif
