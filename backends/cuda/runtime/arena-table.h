// The offset tables of the program's device arenas, checked once at startup: the memory plan
// (backends/schedule/memory.ts) places every persistent and activation buffer at a 256-byte aligned offset inside
// one of two arenas, and the emitted program lists those placements as ArenaSlot tables. check_slots() verifies each
// slot lies inside its arena and is aligned, so a broken plan fails at startup with the slot's name instead of
// corrupting memory later. Plain C++ (tested with g++); cuda-arena.h allocates the arenas.
// Invariant: kArenaAlignment equals memory.ts's ALIGN.

#pragma once

#include <cstdint>
#include <string>

#include "error.h"

namespace trainc {

/** Alignment of every arena offset (memory.ts's ALIGN). */
constexpr uint64_t kArenaAlignment = 256;

/** One buffer's place in an arena. */
struct ArenaSlot {
  const char* name;
  uint64_t offset;
  uint64_t bytes;
};

/** Checks that every slot of `slots` lies inside an arena of `size` bytes named `arena`, aligned; else a logic error. */
inline void check_slots(const char* arena, uint64_t size, const ArenaSlot* slots, size_t count) {
  for (size_t i = 0; i < count; i++) {
    const ArenaSlot& s = slots[i];
    if (s.offset % kArenaAlignment != 0 || s.offset > size || s.bytes > size - s.offset) {
      internal_error(std::string("arena '") + arena + "' (" + std::to_string(size) + " bytes): slot '" + s.name + "' at offset " +
                     std::to_string(s.offset) + " with " + std::to_string(s.bytes) + " bytes is outside the arena or not " +
                     std::to_string(kArenaAlignment) + "-byte aligned");
    }
  }
}

}  // namespace trainc
