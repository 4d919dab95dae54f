/*
 * Shared by the hand-written test modules. They are written the way bpf2c's generated code
 * uses the ABI: helpers through the runtime context's table, maps through map_data,
 * INLINED arrays through array_data, back-edges through bpf2c_back_edge, and an unwind
 * check after every call that can unwind.
 */
#ifndef TESTMOD_H
#define TESTMOD_H

#include "bpf2c.h"

#define HELPER(i) (inv->runtime->helpers[(i)])
#define MAP(i) ((uint64_t)(uintptr_t)inv->runtime->map_data[(i)].address)
#define PTR(p) ((uint64_t)(uintptr_t)(p))
#define EXPORT __attribute__((visibility("default")))

#define FUNCTION(name)                                                                         \
    static uint64_t name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,      \
                         bpf2c_invocation_t *inv)
#define UNUSED_REGS                                                                            \
    (void)r1;                                                                                  \
    (void)r2;                                                                                  \
    (void)r3;                                                                                  \
    (void)r4;                                                                                  \
    (void)r5

#define CALL(i, a, b, c, d, e) HELPER(i)((a), (b), (c), (d), (e), inv)

/* The assumption record of map i, addressed through array_data, as bpf2c would emit it
 * (ABI version 2): the map's definition and the stride the code steps elements by. */
#define ASSUME_ARRAY(i, type, key_size, value_size, max_entries)                                 \
    {(i), BPF2C_MAP_USE_ARRAY_DATA, {(type), (key_size), (value_size), (max_entries), 0}, 0,     \
     BPF2C_ARRAY_STRIDE(value_size)}

#endif
