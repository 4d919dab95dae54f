/*
 * A module compiled against an older, shorter bpf2c_map_data_t (version, size, address,
 * array_data: 24 bytes). It indexes map_data with its own element size, so the runtime must
 * lay the table out with that size for the module to find its second and third maps.
 */
#include "testmod.h"

typedef struct old_map_data {
    uint32_t version;
    uint32_t size;
    void *address;
    uint8_t *array_data;
} old_map_data_t;

#define OLD_MAP(i) (((const old_map_data_t *)(const void *)inv->runtime->map_data)[(i)])

/* r0 = a[1] + b[2] * 1000 read inline; buffer[0] = hash lookup of key 5 (0 if absent);
 * buffer[1] = the size field the runtime wrote into element 2. */
FUNCTION(sum)
{
    uint32_t five = 5;
    uint64_t v;
    UNUSED_REGS;
    v = CALL(0, PTR(OLD_MAP(2).address), PTR(&five), 0, 0, 0);
    bpf2c_store64(r1, v ? bpf2c_load64(v) : 0);
    bpf2c_store64(r1 + 8, OLD_MAP(2).size);
    return bpf2c_load64(PTR(OLD_MAP(0).array_data + 8)) +
           bpf2c_load64(PTR(OLD_MAP(1).array_data + 16)) * 1000;
}

static const bpf2c_map_entry_t maps[] = {
    {"a", {BPF2C_MAP_TYPE_ARRAY, 4, 8, 4, 0}, BPF2C_MAP_F_INLINED, 0, NULL, 0, 0, NULL},
    {"b", {BPF2C_MAP_TYPE_ARRAY, 4, 8, 4, 0}, BPF2C_MAP_F_INLINED, 0, NULL, 0, 0, NULL},
    {"h", {BPF2C_MAP_TYPE_HASH, 4, 8, 8, 0}, 0, 0, NULL, 0, 0, NULL},
};

static const bpf2c_map_assumption_t assumptions[] = {
    ASSUME_ARRAY(0, BPF2C_MAP_TYPE_ARRAY, 4, 8, 4),
    ASSUME_ARRAY(1, BPF2C_MAP_TYPE_ARRAY, 4, 8, 4),
};

static const bpf2c_helper_entry_t helpers[] = {{1, "bpf_map_lookup_elem"}};

static const bpf2c_program_entry_t programs[] = {
    {"sum", "raw/sum", BPF2C_PROG_TYPE_RAW, 10, sum},
};

static const bpf2c_function_entry_t functions[] = {{"sum"}};

EXPORT const bpf2c_module_t bpf2c_module = {
    BPF2C_ABI_MAGIC,
    BPF2C_ABI_VERSION,
    (uint32_t)sizeof(bpf2c_module_t),
    BPF2C_MAP_DATA_VERSION,
    (uint32_t)sizeof(old_map_data_t),
    (uint32_t)sizeof(bpf2c_runtime_context_t),
    (uint32_t)sizeof(bpf2c_invocation_t),
    0,
    "old_abi",
    maps,
    3,
    1,
    helpers,
    programs,
    1,
    1,
    functions,
    2,
    0,
    assumptions,
};
