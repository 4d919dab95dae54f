/*
 * The floor for benches/lookup.rs: the array_read workload written by hand in C against the
 * module ABI, as a person would write it without eBPF. It pays exactly the costs no
 * translation can avoid: the runtime's call into the program, one draw from the run's
 * random-number generator (the header's, so the numbers cost what they cost everywhere), and
 * reaching the map's elements through map_data. Everything else the translated programs do
 * is overhead. hash_read is the same for the HASH map (benches/workloads.rs measures it).
 */
#include "bpf2c.h"

static uint64_t array_read(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                           bpf2c_invocation_t *inv)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
    uint32_t key = (uint32_t)bpf2c_prandom_u32(inv->prandom) % 1024u;
    const uint64_t *values =
        (const uint64_t *)(const void *)inv->runtime->map_data[0].array_data;
    return values[key];
}

/* The HASH workload: the same draw, then the map's own lookup function, which is what a
 * program's helper call ends in; hash_read of bench_lookup.c. */
static uint64_t hash_read(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                          bpf2c_invocation_t *inv)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
    uint32_t key = (uint32_t)bpf2c_prandom_u32(inv->prandom) % 1024u;
    const bpf2c_map_data_t *map = &inv->runtime->map_data[1];
    const uint64_t *value = (const uint64_t *)map->lookup(map->address, &key, inv->cpu);
    return value ? *value : 0;
}

/* The same, with the key from the input's first two bytes. */
static uint64_t array_read_input(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                 uint64_t r5, bpf2c_invocation_t *inv)
{
    const uint8_t *mem = (const uint8_t *)(uintptr_t)r1;
    (void)r3, (void)r4, (void)r5;
    if (r2 < 2)
        return 0;
    uint32_t key = (uint32_t)(mem[0] | mem[1] << 8) % 1024u;
    const uint64_t *values = (const uint64_t *)(const void *)inv->runtime->map_data[0].array_data;
    return values[key];
}

static const bpf2c_map_entry_t maps[] = {
    {"bench_array", {BPF2C_MAP_TYPE_ARRAY, 4, 8, 1024, 0}, BPF2C_MAP_F_INLINED, 0, NULL, 0, 0, NULL},
    {"bench_hash", {BPF2C_MAP_TYPE_HASH, 4, 8, 1024, 0}, 0, 0, NULL, 0, 0, NULL},
};

static const bpf2c_map_assumption_t assumptions[] = {
    {0, BPF2C_MAP_USE_ARRAY_DATA, {BPF2C_MAP_TYPE_ARRAY, 4, 8, 1024, 0}, 0, 8},
    {1, BPF2C_MAP_USE_LOOKUP, {BPF2C_MAP_TYPE_HASH, 4, 8, 1024, 0}, 0, 8},
};

static const bpf2c_helper_entry_t helpers[] = {{7, "bpf_get_prandom_u32"}};

static const bpf2c_program_entry_t programs[] = {
    {"array_read", "raw", BPF2C_PROG_TYPE_RAW, 0, array_read},
    {"array_read_input", "raw", BPF2C_PROG_TYPE_RAW, 0, array_read_input},
    {"hash_read", "raw", BPF2C_PROG_TYPE_RAW, 0, hash_read},
};

static const bpf2c_function_entry_t functions[] = {{"array_read"}, {"array_read_input"}, {"hash_read"}};

extern const bpf2c_module_t bpf2c_module_floor;
const bpf2c_module_t bpf2c_module_floor = {
    BPF2C_MODULE_HEADER,
    0,
    "floor",
    maps,
    2,
    1,
    helpers,
    programs,
    3,
    3,
    functions,
    2,
    0,
    assumptions,
};

/* The repeat loop every generated module carries, so that both sides run their programs from
 * next to them (see BPF2C_DEFINE_RUN_LOOP in bpf2c.h). */
BPF2C_DEFINE_RUN_LOOP(bpf2c_module_floor_run_loop)
