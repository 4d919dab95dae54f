/* Exercises the non-map helpers, tail calls, callx, custom helpers and the loop budget. */
#include "testmod.h"

enum { M_JMP, M_HITS, M_COUNT };
enum { H_KTIME, H_PRINTK, H_PRANDOM, H_SMP_ID, H_TAIL_CALL, H_PID_TGID, H_LOOKUP, H_HOST_ADD };

#define OUT(i) (r1 + 8 * (uint64_t)(i))

/* Counts a program's runs in hits[slot] (inlined array access). */
static void hit(bpf2c_invocation_t *inv, uint32_t slot)
{
    bpf2c_atomic_add64(PTR(inv->runtime->map_data[M_HITS].array_data + 8 * (uint64_t)slot), 1);
}

FUNCTION(info)
{
    UNUSED_REGS;
    bpf2c_store64(OUT(0), CALL(H_KTIME, 0, 0, 0, 0, 0));
    bpf2c_store64(OUT(1), CALL(H_PRANDOM, 0, 0, 0, 0, 0));
    bpf2c_store64(OUT(2), CALL(H_PRANDOM, 0, 0, 0, 0, 0));
    bpf2c_store64(OUT(3), CALL(H_SMP_ID, 0, 0, 0, 0, 0));
    bpf2c_store64(OUT(4), CALL(H_PID_TGID, 0, 0, 0, 0, 0));
    bpf2c_store64(OUT(5), CALL(H_KTIME, 0, 0, 0, 0, 0));
    return 0;
}

FUNCTION(printk)
{
    static const char fmt1[] = "a=%d b=%u c=%llx\n";
    static const char fmt_bad[] = "%f\n";
    static const char fmt_unterminated[4] = {'a', 'b', 'c', 'd'};
    char fmt2[] = "name=%s pct=100%%";
    char name[] = "bpf2c";
    UNUSED_REGS;
    bpf2c_store64(OUT(0), CALL(H_PRINTK, PTR(fmt1), sizeof(fmt1), (uint64_t)-5, 7, 0xbeef));
    bpf2c_store64(OUT(1), CALL(H_PRINTK, PTR(fmt2), sizeof(fmt2), PTR(name), 0, 0));
    bpf2c_store64(OUT(2), CALL(H_PRINTK, PTR(fmt_bad), sizeof(fmt_bad), 1, 0, 0));
    bpf2c_store64(OUT(3),
                  CALL(H_PRINTK, PTR(fmt_unterminated), sizeof(fmt_unterminated), 0, 0, 0));
    return 0;
}

/* r0 = host_add(buffer[0], buffer[1]) through the module's helper table. */
FUNCTION(custom)
{
    uint64_t r0;
    UNUSED_REGS;
    r0 = CALL(H_HOST_ADD, bpf2c_load64(OUT(0)), bpf2c_load64(OUT(1)), 0, 0, 0);
    if (inv->unwind)
        return 0;
    return r0;
}

/* callx: buffer[0] is the helper id, buffer[1..3] its first arguments. */
FUNCTION(callx)
{
    uint64_t r0;
    UNUSED_REGS;
    r0 = inv->runtime->helper_by_id(bpf2c_load64(OUT(0)), bpf2c_load64(OUT(1)),
                                    bpf2c_load64(OUT(2)), bpf2c_load64(OUT(3)), 0, 0, inv);
    if (inv->unwind)
        return 0;
    return r0;
}

/* Tail-calls jmp[buffer[0]]; if that fails, buffer[1] = the error and r0 = 7. */
FUNCTION(tail_entry)
{
    uint64_t r0;
    UNUSED_REGS;
    hit(inv, 0);
    r0 = CALL(H_TAIL_CALL, r1, MAP(M_JMP), bpf2c_load64(OUT(0)), 0, 0);
    if (inv->unwind)
        return 0;
    bpf2c_store64(OUT(1), r0);
    return 7;
}

FUNCTION(tail_a)
{
    UNUSED_REGS;
    hit(inv, 1);
    /* The target sees the same context as the entry program. */
    bpf2c_store64(OUT(2), 0xa);
    return 0xa;
}

/* Tail-calls itself through jmp[2] until the runtime refuses. */
FUNCTION(tail_self)
{
    uint64_t r0;
    UNUSED_REGS;
    hit(inv, 2);
    r0 = CALL(H_TAIL_CALL, r1, MAP(M_JMP), 2, 0, 0);
    if (inv->unwind)
        return 0;
    bpf2c_store64(OUT(1), r0);
    return 0x5e1f;
}

/* Function 6 of the table: loops r1 times, one back-edge per iteration (at "pc 5"). */
static uint64_t spin_inner(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                           bpf2c_invocation_t *inv)
{
    uint64_t i = 0;
    UNUSED_REGS;
    for (;;) {
        if (i >= r1)
            break;
        i++;
        if (bpf2c_back_edge(inv, 6, 5))
            return 0;
    }
    return i;
}

FUNCTION(spin)
{
    uint64_t r0;
    UNUSED_REGS;
    r0 = spin_inner(bpf2c_load64(OUT(0)), 0, 0, 0, 0, inv);
    if (inv->unwind)
        return 0;
    return r0;
}

/* XDP: packets shorter than an Ethernet header are dropped; others get their MAC
 * addresses swapped and are sent back (XDP_TX). */
FUNCTION(xdp_swap)
{
    const bpf2c_xdp_context_t *ctx = (const bpf2c_xdp_context_t *)(uintptr_t)r1;
    uint8_t tmp[6];
    UNUSED_REGS;
    (void)inv;
    if (ctx->data_meta != ctx->data)
        return 0; /* XDP_ABORTED */
    if (ctx->data + 14 > ctx->data_end)
        return 1; /* XDP_DROP */
    memcpy(tmp, (void *)(uintptr_t)ctx->data, 6);
    memmove((void *)(uintptr_t)ctx->data, (void *)(uintptr_t)(ctx->data + 6), 6);
    memcpy((void *)(uintptr_t)(ctx->data + 6), tmp, 6);
    return 3; /* XDP_TX */
}

static const bpf2c_map_entry_t maps[M_COUNT] = {
    {"jmp", {BPF2C_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0}, 0, 0, NULL, 0, 0, NULL},
    {"hits", {BPF2C_MAP_TYPE_ARRAY, 4, 8, 4, 0}, BPF2C_MAP_F_INLINED, 0, NULL, 0, 0, NULL},
};

static const bpf2c_map_assumption_t assumptions[] = {
    ASSUME_ARRAY(M_HITS, BPF2C_MAP_TYPE_ARRAY, 4, 8, 4),
};

static const bpf2c_helper_entry_t helpers[] = {
    {5, "bpf_ktime_get_ns"}, {6, "bpf_trace_printk"},      {7, "bpf_get_prandom_u32"},
    {8, "bpf_get_smp_processor_id"}, {12, "bpf_tail_call"}, {14, "bpf_get_current_pid_tgid"},
    {1, "bpf_map_lookup_elem"}, {1000, "host_add"},
};

static const bpf2c_program_entry_t programs[] = {
    {"info", "raw/info", BPF2C_PROG_TYPE_RAW, 10, info},
    {"printk", "raw/printk", BPF2C_PROG_TYPE_RAW, 10, printk},
    {"custom", "raw/custom", BPF2C_PROG_TYPE_RAW, 10, custom},
    {"callx", "raw/callx", BPF2C_PROG_TYPE_RAW, 10, callx},
    {"tail_entry", "raw/tail_entry", BPF2C_PROG_TYPE_RAW, 10, tail_entry},
    {"tail_a", "raw/tail_a", BPF2C_PROG_TYPE_RAW, 10, tail_a},
    {"tail_self", "raw/tail_self", BPF2C_PROG_TYPE_RAW, 10, tail_self},
    {"spin", "raw/spin", BPF2C_PROG_TYPE_RAW, 10, spin},
    {"xdp_swap", "xdp", BPF2C_PROG_TYPE_XDP, 20, xdp_swap},
};

static const bpf2c_function_entry_t functions[] = {
    {"info"}, {"printk"}, {"custom"}, {"callx"}, {"tail_entry"}, {"tail_a"}, {"spin_inner"},
    {"tail_self"}, {"spin"}, {"xdp_swap"},
};

EXPORT const bpf2c_module_t bpf2c_module = {
    BPF2C_MODULE_HEADER,
    BPF2C_MODULE_F_VERIFIED,
    "helpers",
    maps,
    M_COUNT,
    sizeof(helpers) / sizeof(helpers[0]),
    helpers,
    programs,
    sizeof(programs) / sizeof(programs[0]),
    sizeof(functions) / sizeof(functions[0]),
    functions,
    1,
    0,
    assumptions,
};

/* Its own repeat loop, as generated modules carry one: run_repeat uses it when the module
 * comes from this library (tests/runtime/helpers.rs runs both loops). */
BPF2C_DEFINE_RUN_LOOP(bpf2c_module_run_loop)
