/* Exercises every map type through the helpers and through inlined array access. */
#include "testmod.h"

enum { M_ARR, M_HASH, M_PCPU_ARR, M_PCPU_HASH, M_LRU, M_DATA, M_RODATA, M_COUNTERS, M_COUNT };
enum { H_LOOKUP, H_UPDATE, H_DELETE, H_SMP_ID };

/* The command a test writes into the run's buffer; the program writes the results back. */
struct cmd {
    uint32_t op;
    uint32_t map;
    uint64_t flags;
    uint8_t key[8];
    uint8_t value[16];
    uint32_t len; /* bytes of value to copy out (lookup) or in (inline write) */
    uint32_t pad;
    uint64_t result;
    uint8_t out[16];
};

enum { OP_LOOKUP, OP_UPDATE, OP_DELETE, OP_INLINE_PTR, OP_INLINE_WRITE, OP_SMP_ID };

/* What generated code does for an inlined lookup of an ARRAY / PERCPU_ARRAY map. */
static uint8_t *inline_elem(bpf2c_invocation_t *inv, uint32_t map, uint32_t key)
{
    static const uint32_t max_entries[M_COUNT] = {4, 0, 2, 0, 0, 1, 1, 2};
    static const uint32_t value_size[M_COUNT] = {12, 0, 8, 0, 0, 16, 8, 8};
    const bpf2c_map_data_t *md = &inv->runtime->map_data[map];
    if (key >= max_entries[map])
        return NULL;
    return md->array_data + (uint64_t)inv->cpu * md->cpu_stride +
           (uint64_t)key * BPF2C_ARRAY_STRIDE(value_size[map]);
}

FUNCTION(cmd)
{
    struct cmd *c = (struct cmd *)(uintptr_t)r1;
    uint32_t key;
    uint8_t *p;
    UNUSED_REGS;
    if (r2 < sizeof(struct cmd))
        return (uint64_t)-1;
    memcpy(&key, c->key, 4);
    switch (c->op) {
    case OP_LOOKUP:
        c->result = CALL(H_LOOKUP, MAP(c->map), PTR(c->key), 0, 0, 0);
        if (c->result && c->len <= sizeof(c->out))
            memcpy(c->out, (void *)(uintptr_t)c->result, c->len);
        break;
    case OP_UPDATE:
        c->result = CALL(H_UPDATE, MAP(c->map), PTR(c->key), PTR(c->value), c->flags, 0);
        break;
    case OP_DELETE:
        c->result = CALL(H_DELETE, MAP(c->map), PTR(c->key), 0, 0, 0);
        break;
    case OP_INLINE_PTR:
        c->result = PTR(inline_elem(inv, c->map, key));
        break;
    case OP_INLINE_WRITE:
        p = inline_elem(inv, c->map, key);
        if (p && c->len <= sizeof(c->value))
            memcpy(p, c->value, c->len);
        c->result = PTR(p);
        break;
    case OP_SMP_ID:
        c->result = CALL(H_SMP_ID, 0, 0, 0, 0, 0);
        break;
    default:
        return (uint64_t)-2;
    }
    return 0;
}

/* One unit of work for the concurrency test: r1 points to this thread's u32 hash key. */
FUNCTION(count)
{
    uint32_t zero = 0;
    uint64_t one = 1;
    uint64_t v;
    uint8_t *p;
    UNUSED_REGS;
    /* counters[0] through the helper, counters[1] inlined: both atomic. */
    v = CALL(H_LOOKUP, MAP(M_COUNTERS), PTR(&zero), 0, 0, 0);
    if (v)
        bpf2c_atomic_add64(v, 1);
    p = inv->runtime->map_data[M_COUNTERS].array_data + 8;
    bpf2c_atomic_add64(PTR(p), 1);
    /* A per-CPU counter, not atomic: exact only because each run owns its CPU slot. */
    v = CALL(H_LOOKUP, MAP(M_PCPU_ARR), PTR(&zero), 0, 0, 0);
    if (v)
        bpf2c_store64(v, bpf2c_load64(v) + 1);
    /* The thread's own hash entry: creation races with other threads' inserts. */
    v = CALL(H_LOOKUP, MAP(M_HASH), r1, 0, 0, 0);
    if (v)
        bpf2c_atomic_add64(v, 1);
    else
        CALL(H_UPDATE, MAP(M_HASH), r1, PTR(&one), 1, 0);
    return 0;
}

/* Reads global data: r0 = .rodata's 8 bytes; the buffer gets the sum of .data's first 12
 * bytes; then bumps the u32 at .data offset 12. */
FUNCTION(globals)
{
    const uint8_t *data = inv->runtime->map_data[M_DATA].array_data;
    const uint8_t *ro = inv->runtime->map_data[M_RODATA].array_data;
    uint64_t sum = 0;
    int i;
    UNUSED_REGS;
    for (i = 0; i < 12; i++)
        sum += data[i];
    if (r2 >= 8)
        bpf2c_store64(r1, sum);
    bpf2c_atomic_add32(PTR(data + 12), 1);
    return bpf2c_load64(PTR(ro));
}

static const uint8_t data_init[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const uint8_t rodata_init[8] = {'r', 'o', 'd', 'a', 't', 'a', '!', 0};

static const bpf2c_map_entry_t maps[M_COUNT] = {
    {"arr", {BPF2C_MAP_TYPE_ARRAY, 4, 12, 4, 0}, BPF2C_MAP_F_INLINED, 0, NULL, 0, 0, NULL},
    {"hash", {BPF2C_MAP_TYPE_HASH, 4, 8, 4, 0}, 0, 0, NULL, 0, 0, NULL},
    {"pcpu_arr", {BPF2C_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2, 0}, BPF2C_MAP_F_INLINED, 0, NULL, 0, 0, NULL},
    {"pcpu_hash", {BPF2C_MAP_TYPE_PERCPU_HASH, 4, 8, 4, 0}, 0, 0, NULL, 0, 0, NULL},
    {"lru", {BPF2C_MAP_TYPE_LRU_HASH, 4, 8, 4, 0}, 0, 0, NULL, 0, 0, NULL},
    {".data", {BPF2C_MAP_TYPE_ARRAY, 4, 16, 1, 0}, BPF2C_MAP_F_GLOBAL_DATA | BPF2C_MAP_F_INLINED,
     12, data_init, 0, 0, NULL},
    {".rodata", {BPF2C_MAP_TYPE_ARRAY, 4, 8, 1, 0},
     BPF2C_MAP_F_GLOBAL_DATA | BPF2C_MAP_F_READ_ONLY | BPF2C_MAP_F_INLINED, 8, rodata_init, 0, 0, NULL},
    {"counters", {BPF2C_MAP_TYPE_ARRAY, 4, 8, 2, 0}, BPF2C_MAP_F_INLINED, 0, NULL, 0, 0, NULL},
};

/* Every map flagged INLINED above, as the code addresses it. */
static const bpf2c_map_assumption_t assumptions[] = {
    ASSUME_ARRAY(0, BPF2C_MAP_TYPE_ARRAY, 4, 12, 4),
    ASSUME_ARRAY(2, BPF2C_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2),
    ASSUME_ARRAY(5, BPF2C_MAP_TYPE_ARRAY, 4, 16, 1),
    ASSUME_ARRAY(6, BPF2C_MAP_TYPE_ARRAY, 4, 8, 1),
    ASSUME_ARRAY(7, BPF2C_MAP_TYPE_ARRAY, 4, 8, 2),
};

static const bpf2c_helper_entry_t helpers[] = {
    {1, "bpf_map_lookup_elem"},
    {2, "bpf_map_update_elem"},
    {3, "bpf_map_delete_elem"},
    {8, "bpf_get_smp_processor_id"},
};

static const bpf2c_program_entry_t programs[] = {
    {"cmd", "raw/cmd", BPF2C_PROG_TYPE_RAW, 40, cmd},
    {"count", "raw/count", BPF2C_PROG_TYPE_RAW, 30, count},
    {"globals", "raw/globals", BPF2C_PROG_TYPE_RAW, 20, globals},
};

static const bpf2c_function_entry_t functions[] = {{"cmd"}, {"count"}, {"globals"}};

EXPORT const bpf2c_module_t bpf2c_module = {
    BPF2C_MODULE_HEADER,
    BPF2C_MODULE_F_VERIFIED,
    "maps",
    maps,
    M_COUNT,
    sizeof(helpers) / sizeof(helpers[0]),
    helpers,
    programs,
    sizeof(programs) / sizeof(programs[0]),
    sizeof(functions) / sizeof(functions[0]),
    functions,
    sizeof(assumptions) / sizeof(assumptions[0]),
    0,
    assumptions,
};
