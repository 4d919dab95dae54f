/*
 * bpf2c.h: the module ABI shared by code that bpf2c generates and the bpf2c runtime.
 *
 * This header is the only thing the translator and the runtime have in common. Generated C
 * includes it; the crate bpf2c-abi, which both the translator and the runtime build on,
 * mirrors its structures with #[repr(C)] types and tests the mirrors against it.
 *
 * Versioning. A module records the ABI version and the size of every table element it was
 * compiled against (bpf2c_module_t.abi_version, .map_data_version, .map_data_size). A runtime
 * refuses a module whose ABI version it does not know, and fills map_data elements with the
 * module's own element size, so an older module keeps working on a newer runtime.
 *
 * ABI history. Version 1: the tables up to bpf2c_module_t.functions. Version 2 appends the
 * map assumption table (bpf2c_module_t.map_assumptions): for every map the code reaches
 * without the map helpers, the definition and element stride the code was compiled with,
 * which the runtime compares with the map it created before it runs anything. Version 3
 * appends bpf2c_invocation_t.prandom, the random-number generator that inlined
 * bpf_get_prandom_u32 calls step; the runtime accepts modules of versions 1 to 3, since an
 * older module never reads the fields appended after its version.
 *
 * Everything here is C11 plus, for byte swaps and atomics, either the GCC/Clang builtins
 * (__builtin_bswap*, __atomic_*) where __GNUC__ is defined, or the MSVC intrinsics
 * (_byteswap_*, _Interlocked*) where _MSC_VER is and __GNUC__ is not, as with cl.exe and
 * clang-cl. Any other compiler is told so by an #error rather than left to guess.
 */
#ifndef BPF2C_H
#define BPF2C_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define BPF2C_GNU_BUILTINS 1
#elif defined(_MSC_VER)
/* _byteswap_* are declared in stdlib.h, the _Interlocked* family in intrin.h. */
#include <stdlib.h>
#include <intrin.h>
#define BPF2C_MSVC_INTRINSICS 1
#else
#error "bpf2c.h needs GCC/Clang builtins (__GNUC__) or MSVC intrinsics (_MSC_VER) for byte swaps and atomics"
#endif

/* The host's byte order, which generated code checks against its object's: 1 on big-endian
 * hosts, 0 on little-endian ones, undefined where the compiler does not say. Every target
 * MSVC supports is little-endian. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BPF2C_HOST_BIG_ENDIAN 1
#elif defined(__BYTE_ORDER__) || defined(_MSC_VER)
#define BPF2C_HOST_BIG_ENDIAN 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Versions and limits                                                                      */
/* ---------------------------------------------------------------------------------------- */

#define BPF2C_ABI_MAGIC 0x43324642u /* "BF2C" read as a little-endian u32 */
#define BPF2C_ABI_VERSION 3u
#define BPF2C_MAP_DATA_VERSION 1u
#define BPF2C_RUNTIME_CONTEXT_VERSION 1u

/* Each eBPF function gets its own stack frame of this many bytes. */
#define BPF2C_STACK_SIZE 512
/* The deepest chain of BPF-to-BPF calls, counting the entry function. */
#define BPF2C_MAX_CALL_DEPTH 8
/* The longest chain of tail calls, as in Linux (MAX_TAIL_CALL_CNT). */
#define BPF2C_MAX_TAIL_CALLS 33

/*
 * Element stride of ARRAY and PERCPU_ARRAY maps: the value size rounded up to 8 bytes, as in
 * Linux. Element k of an ARRAY map starts at array_data + k * BPF2C_ARRAY_STRIDE(value_size).
 */
#define BPF2C_ARRAY_STRIDE(value_size) ((((uint64_t)(value_size)) + 7u) & ~(uint64_t)7u)

/* The most data one run may be given. The verifier assumes these bounds when it proves
 * packet and buffer accesses safe, so the runtime refuses larger data. */
#define BPF2C_MAX_XDP_PACKET 65535u
#define BPF2C_MAX_SKB_PACKET 65535u
#define BPF2C_MAX_RAW_DATA (1u << 24)

/* Map types, numbered as in linux/bpf.h (enum bpf_map_type). */
#define BPF2C_MAP_TYPE_HASH 1u
#define BPF2C_MAP_TYPE_ARRAY 2u
#define BPF2C_MAP_TYPE_PROG_ARRAY 3u
#define BPF2C_MAP_TYPE_PERCPU_HASH 5u
#define BPF2C_MAP_TYPE_PERCPU_ARRAY 6u
#define BPF2C_MAP_TYPE_LRU_HASH 9u
#define BPF2C_MAP_TYPE_DEVMAP 14u
#define BPF2C_MAP_TYPE_CPUMAP 16u
#define BPF2C_MAP_TYPE_XSKMAP 17u
#define BPF2C_MAP_TYPE_DEVMAP_HASH 25u
/* Family "maps" (issue 10). */
#define BPF2C_MAP_TYPE_LRU_PERCPU_HASH 10u
#define BPF2C_MAP_TYPE_LPM_TRIE 11u
#define BPF2C_MAP_TYPE_QUEUE 22u
#define BPF2C_MAP_TYPE_STACK 23u
#define BPF2C_MAP_TYPE_PERF_EVENT_ARRAY 4u
#define BPF2C_MAP_TYPE_RINGBUF 27u
/* Maps of maps: values are inner maps (see bpf2c_map_entry_t.inner_map). */
#define BPF2C_MAP_TYPE_ARRAY_OF_MAPS 12u
#define BPF2C_MAP_TYPE_HASH_OF_MAPS 13u

/* Program types known to the runtime: bpf2c's own numbering, not enum bpf_prog_type. */
#define BPF2C_PROG_TYPE_RAW 0u /* r1 = memory buffer, r2 = its length */
#define BPF2C_PROG_TYPE_XDP 1u /* r1 = bpf2c_xdp_context_t, read through struct xdp_md */
/* r1 = bpf2c_skb_context_t, read through struct __sk_buff; the four differ in which fields
 * a program may write and in where the packet starts. */
#define BPF2C_PROG_TYPE_SOCKET_FILTER 2u
#define BPF2C_PROG_TYPE_SCHED_CLS 3u
#define BPF2C_PROG_TYPE_SCHED_ACT 4u
#define BPF2C_PROG_TYPE_CGROUP_SKB 5u

/* bpf2c_map_entry_t.flags */
#define BPF2C_MAP_F_GLOBAL_DATA 0x1u /* .data, .rodata or .bss: one entry holding the section */
#define BPF2C_MAP_F_READ_ONLY 0x2u   /* .rodata: programs must not write it */
#define BPF2C_MAP_F_INLINED 0x4u     /* generated code reads array_data of this map directly */

/* bpf2c_map_assumption_t.uses: what generated code does with a map besides the helpers. */
#define BPF2C_MAP_USE_ARRAY_DATA 0x1u /* addresses elements at array_data (+ cpu * cpu_stride) */
#define BPF2C_MAP_USE_LOOKUP 0x2u     /* calls map_data.lookup directly */

/* bpf2c_module_t.flags */
#define BPF2C_MODULE_F_VERIFIED 0x1u  /* every program passed verification */
#define BPF2C_MODULE_F_OPTIMIZED 0x2u /* verifier-assisted optimizations were enabled */

/* bpf2c_invocation_t.unwind: why every function is returning at once. */
#define BPF2C_UNWIND_NONE 0u
#define BPF2C_UNWIND_TAIL_CALL 1u   /* a tail call succeeded; the runtime runs its target */
#define BPF2C_UNWIND_LOOP_BUDGET 2u /* the run used up its back-edge budget */
#define BPF2C_UNWIND_BAD_HELPER 3u  /* callx named a helper the runtime does not have */
/* A legacy packet load (LD_ABS/LD_IND) fell outside the packet: as in Linux, the run ends
 * and returns 0. */
#define BPF2C_UNWIND_PACKET_LOAD 4u

/* ---------------------------------------------------------------------------------------- */
/* Runtime structures, filled in by the runtime                                             */
/* ---------------------------------------------------------------------------------------- */

typedef struct bpf2c_invocation bpf2c_invocation_t;

/* A helper receives r1..r5 and the invocation it runs in, and returns r0. */
typedef uint64_t (*bpf2c_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                    uint64_t r5, bpf2c_invocation_t *invocation);

/* A map type's own lookup: a pointer to the value (this CPU slot's, for per-CPU maps) or NULL. */
typedef void *(*bpf2c_map_lookup_fn)(void *map, const void *key, uint32_t cpu);

/* Calls the helper with the given id; used by callx, whose target is only known at run time. */
typedef uint64_t (*bpf2c_helper_by_id_fn)(uint64_t helper_id, uint64_t r1, uint64_t r2,
                                          uint64_t r3, uint64_t r4, uint64_t r5,
                                          bpf2c_invocation_t *invocation);

/* One per map of the module, in module order. */
typedef struct bpf2c_map_data {
    uint32_t version; /* BPF2C_MAP_DATA_VERSION of the runtime that filled it */
    uint32_t size;    /* bytes of this element the runtime filled */
    /* The runtime's map handle: what a 64-bit map load puts in a register. */
    void *address;
    /* ARRAY and global data: element 0. PERCPU_ARRAY: element 0 of CPU slot 0. Else NULL.
     * Never NULL for those types: inlined code relies on it. */
    uint8_t *array_data;
    /* PERCPU_ARRAY: bytes from one CPU slot's element k to the next slot's element k.
     * ARRAY and global data: 0, so array_data + cpu * cpu_stride + k * stride addresses
     * element k of either kind of array. Else 0. */
    uint64_t cpu_stride;
    /* The map type's own lookup function; NULL for maps without one (PROG_ARRAY). */
    bpf2c_map_lookup_fn lookup;
} bpf2c_map_data_t;

/* One per loaded module instance, shared by every thread that runs its programs. */
typedef struct bpf2c_runtime_context {
    uint32_t version; /* BPF2C_RUNTIME_CONTEXT_VERSION */
    uint32_t size;    /* sizeof(bpf2c_runtime_context_t) as the runtime knows it */
    const bpf2c_helper_fn *helpers; /* indexed like bpf2c_module_t.helpers */
    bpf2c_map_data_t *map_data;     /* indexed like bpf2c_module_t.maps */
    bpf2c_helper_by_id_fn helper_by_id;
} bpf2c_runtime_context_t;

/*
 * The state of bpf_get_prandom_u32's generator, SplitMix64: each draw adds
 * BPF2C_PRANDOM_GAMMA to the state and returns the high half of the mixed sum (see
 * bpf2c_prandom_u32). The runtime's helper and inlined calls step the same state, so a run
 * sees one sequence whichever way its calls were translated.
 */
typedef struct bpf2c_prandom {
    uint64_t state;
    /* 0: the running thread's own generator, stepped with plain arithmetic. Non-zero: one
     * generator shared by the threads of an instance (a fixed seed), stepped atomically. */
    uint32_t shared;
    uint32_t reserved; /* 0 */
} bpf2c_prandom_t;

/* One per run of a program, private to the thread that runs it. */
struct bpf2c_invocation {
    const bpf2c_runtime_context_t *runtime;
    void *context;           /* what r1 held at entry */
    uint64_t loop_budget;    /* back-edges this run may still take */
    uint32_t unwind;         /* BPF2C_UNWIND_*; non-zero makes every function return at once */
    uint32_t cpu;            /* the CPU slot this run owns: per-CPU maps, get_smp_processor_id;
                              * always below the instance's slot count, so inlined code may
                              * address per-CPU array elements with it directly */
    uint32_t unwind_pc;      /* instruction that asked to unwind (loop budget, bad helper) */
    uint32_t unwind_function;/* index of the function holding unwind_pc */
    uint32_t tail_call_count;
    int32_t tail_call_target; /* program index the pending tail call runs */
    void *host;              /* runtime-private state */
    /* ABI version 3 and later. The generator bpf_get_prandom_u32 draws from in this run;
     * NULL when the host replaced that helper, so inlined calls must call the helper table. */
    bpf2c_prandom_t *prandom;
};

/* Every eBPF function becomes one of these: r1..r5 in, r0 out. */
typedef uint64_t (*bpf2c_function_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                      uint64_t r5, bpf2c_invocation_t *invocation);

/* struct xdp_md of linux/bpf.h, field for field: the context as XDP programs were compiled
 * to read it. Generated code never reads this struct; it is here so that the contract states
 * both sides of the rewrite below, and so that its layout is checked like the rest. */
typedef struct bpf2c_xdp_md {
    uint32_t data;
    uint32_t data_end;
    uint32_t data_meta;
    uint32_t ingress_ifindex;
    uint32_t rx_queue_index;
    uint32_t egress_ifindex;
} bpf2c_xdp_md_t;

/* The native context of an XDP program. Programs read it through struct xdp_md
 * (bpf2c_xdp_md_t); the translator rewrites each proven context access to the field of the
 * same name here, as offsetof(bpf2c_xdp_context_t, field). */
typedef struct bpf2c_xdp_context {
    uint64_t data;      /* address of the first packet byte */
    uint64_t data_end;  /* address one past the last packet byte */
    uint64_t data_meta; /* start of the metadata area before data (equal to data when empty) */
    uint32_t ingress_ifindex;
    uint32_t rx_queue_index;
    uint32_t egress_ifindex;
    uint32_t reserved;
} bpf2c_xdp_context_t;

/* The native context of the programs that read struct __sk_buff (socket filters, tc,
 * cgroup skb). As for XDP, the packet pointers come first and are 64 bits wide; every other
 * field has the name and size of the __sk_buff field it stands for (flow_keys and sk, kernel
 * pointers there, are 64-bit numbers here: 0, as no socket or flow dissector exists in user
 * space). The translator rewrites each proven context access to
 * offsetof(bpf2c_skb_context_t, field). */
typedef struct bpf2c_skb_context {
    uint64_t data;      /* address of the first packet byte */
    uint64_t data_end;  /* address one past the last packet byte */
    uint64_t data_meta; /* address of the metadata area (equal to data when it is empty) */
    uint32_t len;
    uint32_t pkt_type;
    uint32_t mark;
    uint32_t queue_mapping;
    uint32_t protocol;
    uint32_t vlan_present;
    uint32_t vlan_tci;
    uint32_t vlan_proto;
    uint32_t priority;
    uint32_t ingress_ifindex;
    uint32_t ifindex;
    uint32_t tc_index;
    uint32_t cb[5];
    uint32_t hash;
    uint32_t tc_classid;
    uint32_t napi_id;
    uint32_t family;
    uint32_t remote_ip4;
    uint32_t local_ip4;
    uint32_t remote_ip6[4];
    uint32_t local_ip6[4];
    uint32_t remote_port;
    uint32_t local_port;
    uint32_t wire_len;
    uint32_t gso_segs;
    uint32_t gso_size;
    uint64_t tstamp;
    uint64_t hwtstamp;
    uint64_t flow_keys;
    uint64_t sk;
    uint8_t tstamp_type;
    uint8_t reserved[7];
} bpf2c_skb_context_t;

/* ---------------------------------------------------------------------------------------- */
/* Module metadata, emitted by the translator                                               */
/* ---------------------------------------------------------------------------------------- */

typedef struct bpf2c_map_definition {
    uint32_t type; /* BPF2C_MAP_TYPE_* */
    uint32_t key_size;
    uint32_t value_size;
    uint32_t max_entries;
    uint32_t map_flags;
} bpf2c_map_definition_t;

/* A PROG_ARRAY slot filled when the module is loaded (the map's `.values` in the object), or
 * a slot of a map of maps filled with one of the module's maps. */
typedef struct bpf2c_map_initial_program {
    uint32_t index;   /* slot of the PROG_ARRAY (or key of the map of maps) */
    uint32_t program; /* index into bpf2c_module_t.programs (maps of maps: .maps) */
} bpf2c_map_initial_program_t;

typedef struct bpf2c_map_entry {
    const char *name;
    bpf2c_map_definition_t definition;
    uint32_t flags;               /* BPF2C_MAP_F_* */
    uint32_t initial_data_size;   /* bytes in initial_data; the rest of the value is zero */
    const uint8_t *initial_data;  /* global data: the section's bytes; else NULL */
    uint32_t initial_program_count;
    /* ARRAY_OF_MAPS and HASH_OF_MAPS: index into bpf2c_module_t.maps of the inner map
     * template, the map whose type, key_size, value_size and map_flags every inner map must
     * have (and max_entries, for array inner maps without BPF_F_INNER_MAP), as in Linux.
     * Read only for those two types, else 0. This field takes what was padding before it
     * existed on hosts with 8-byte pointers, so the layout is unchanged there; no module
     * older than it declares a map of maps. */
    uint32_t inner_map;
    /* PROG_ARRAY: slots filled with programs at load time. ARRAY_OF_MAPS and HASH_OF_MAPS:
     * slots (u32 keys) filled with inner maps at load time, `program` then being an index
     * into bpf2c_module_t.maps. Else NULL. */
    const bpf2c_map_initial_program_t *initial_programs;
} bpf2c_map_entry_t;

typedef struct bpf2c_helper_entry {
    uint32_t id; /* helper id, as in linux/bpf.h for the standard helpers */
    const char *name;
} bpf2c_helper_entry_t;

typedef struct bpf2c_program_entry {
    const char *name;    /* the program's function symbol */
    const char *section; /* its ELF section */
    uint32_t program_type; /* BPF2C_PROG_TYPE_* */
    uint32_t instruction_count;
    bpf2c_function_fn function;
} bpf2c_program_entry_t;

typedef struct bpf2c_function_entry {
    const char *name; /* symbol name of the eBPF function */
} bpf2c_function_entry_t;

/*
 * What generated code assumes about one map it accesses without the map helpers. The
 * constants of inlined code (the bound max_entries, the stride keys are multiplied by, the
 * value size an update copies) come from here, so a runtime that creates the map differently
 * (a changed map table, another stride) must refuse the module instead of running it.
 */
typedef struct bpf2c_map_assumption {
    uint32_t map;  /* index into bpf2c_module_t.maps */
    uint32_t uses; /* BPF2C_MAP_USE_* */
    /* The definition compiled in: type, key_size, value_size and max_entries must equal the
     * created map's; map_flags is recorded but not compared. */
    bpf2c_map_definition_t definition;
    uint32_t reserved; /* 0 */
    /* Bytes from element k to element k + 1: BPF2C_ARRAY_STRIDE(value_size) when compiled. */
    uint64_t stride;
} bpf2c_map_assumption_t;

typedef struct bpf2c_module {
    uint32_t magic;            /* BPF2C_ABI_MAGIC */
    uint32_t abi_version;      /* BPF2C_ABI_VERSION */
    uint32_t module_size;      /* sizeof(bpf2c_module_t) */
    uint32_t map_data_version; /* BPF2C_MAP_DATA_VERSION the code was compiled against */
    uint32_t map_data_size;    /* sizeof(bpf2c_map_data_t) the code was compiled against */
    uint32_t runtime_context_size; /* sizeof(bpf2c_runtime_context_t) likewise */
    uint32_t invocation_size;  /* sizeof(bpf2c_invocation_t) likewise */
    uint32_t flags;            /* BPF2C_MODULE_F_* */
    const char *name;
    const bpf2c_map_entry_t *maps;
    uint32_t map_count;
    uint32_t helper_count;
    const bpf2c_helper_entry_t *helpers;
    const bpf2c_program_entry_t *programs;
    uint32_t program_count;
    uint32_t function_count;
    const bpf2c_function_entry_t *functions;
    /* ABI version 2 and later. */
    uint32_t map_assumption_count;
    uint32_t reserved; /* 0 */
    const bpf2c_map_assumption_t *map_assumptions;
} bpf2c_module_t;

#define BPF2C_MODULE_HEADER                                                                     \
    BPF2C_ABI_MAGIC, BPF2C_ABI_VERSION, (uint32_t)sizeof(bpf2c_module_t), BPF2C_MAP_DATA_VERSION, \
        (uint32_t)sizeof(bpf2c_map_data_t), (uint32_t)sizeof(bpf2c_runtime_context_t),          \
        (uint32_t)sizeof(bpf2c_invocation_t)

/*
 * The repeat loop of the runtime's Instance::run_repeat: calls `function` up to `runs` times
 * with r1, r2 and `inv`, resetting per run what a run consumes (the loop budget, and the
 * tail-call count, which a failed tail call raises as in Linux), and stops after a run that
 * leaves inv->unwind set (a tail call, a spent budget or a failed helper), which the caller
 * finishes. Returns the runs made; *last_r0 is the last one's r0. Unwinding sets the other
 * unwind fields and the tail-call target only on the way out of the loop, so they are reset
 * once, before it.
 *
 * The runtime has its own copy (bpf2c_rt_run_loop). A module may define one more with
 * BPF2C_DEFINE_RUN_LOOP, named after its module symbol with the suffix
 * BPF2C_RUN_LOOP_SUFFIX; when the module's shared library exports it, the runtime runs that
 * one instead: the same loop, but placed next to the programs it calls. An indirect call from
 * the host's executable into a library mapped gigabytes away costs some CPUs (AMD EPYC, for
 * one) about two cycles more per call than a call within the library, as much as a whole run
 * of a trivial program. Optional: a module without it runs on the runtime's copy.
 */
#define BPF2C_RUN_LOOP_SUFFIX "_run_loop"
typedef uint64_t (*bpf2c_run_loop_fn)(bpf2c_function_fn function, uint64_t r1, uint64_t r2,
                                      bpf2c_invocation_t *inv, uint64_t loop_budget,
                                      uint64_t runs, uint64_t *last_r0);
#define BPF2C_DEFINE_RUN_LOOP(name)                                                               \
    uint64_t name(bpf2c_function_fn function, uint64_t r1, uint64_t r2, bpf2c_invocation_t *inv, \
                  uint64_t loop_budget, uint64_t runs, uint64_t *last_r0);                      \
    uint64_t name(bpf2c_function_fn function, uint64_t r1, uint64_t r2, bpf2c_invocation_t *inv, \
                  uint64_t loop_budget, uint64_t runs, uint64_t *last_r0)                       \
    {                                                                                            \
        uint64_t r0 = 0, done = 0;                                                               \
        inv->unwind = BPF2C_UNWIND_NONE;                                                         \
        inv->unwind_pc = 0;                                                                      \
        inv->unwind_function = 0;                                                                \
        inv->tail_call_target = -1;                                                              \
        while (done < runs) {                                                                    \
            inv->loop_budget = loop_budget;                                                      \
            inv->tail_call_count = 0;                                                            \
            r0 = function(r1, r2, 0, 0, 0, inv);                                                \
            done++;                                                                              \
            if (inv->unwind != BPF2C_UNWIND_NONE)                                                \
                break;                                                                           \
        }                                                                                        \
        *last_r0 = r0;                                                                           \
        return done;                                                                             \
    }

/* ---------------------------------------------------------------------------------------- */
/* Instruction semantics used by generated code                                             */
/* ---------------------------------------------------------------------------------------- */

#if defined(__GNUC__) || defined(__clang__)
#define BPF2C_LIKELY(x) __builtin_expect(!!(x), 1)
#define BPF2C_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* Tells the compiler a condition the translator proved, so that it can fold the program's own
 * tests of it (an inlined lookup whose key is proven in range never returns NULL). Reaching
 * it with the condition false would be undefined, so only proven facts go here. */
#define BPF2C_ASSUME(x) do { if (!(x)) __builtin_unreachable(); } while (0)
#elif defined(_MSC_VER)
#define BPF2C_LIKELY(x) (x)
#define BPF2C_UNLIKELY(x) (x)
#define BPF2C_ASSUME(x) __assume(x)
#else
#define BPF2C_LIKELY(x) (x)
#define BPF2C_UNLIKELY(x) (x)
#define BPF2C_ASSUME(x) ((void)0)
#endif

/* Memory goes through memcpy, which compilers turn into one move: eBPF allows any alignment,
 * and a pointer cast would break C's alignment and aliasing rules.
 *
 * Generated code computes addresses on pointers: bpf2c_load32_ptr(bpf2c_mem(r1) + 4), or
 * bpf2c_mem(r1) + (int64_t)r4 where the verifier proved r1 the pointer and r4 the offset it
 * was moved by. The address is the same as the integer r1 + 4, but written so, the compiler
 * sees one base and its offsets: it merges adjacent byte loads into one wider load and turns
 * a copy loop into memmove, which it cannot do when every address is an unrelated integer.
 * The uint64_t forms below are the same loads for code written by hand against this header. */
static inline uint8_t *bpf2c_mem(uint64_t a) { return (uint8_t *)(uintptr_t)a; }
static inline uint64_t bpf2c_load8_ptr(const uint8_t *p) { uint8_t v; memcpy(&v, p, 1); return v; }
static inline uint64_t bpf2c_load16_ptr(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint64_t bpf2c_load32_ptr(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t bpf2c_load64_ptr(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint64_t bpf2c_load8s_ptr(const uint8_t *p) { int8_t v; memcpy(&v, p, 1); return (uint64_t)(int64_t)v; }
static inline uint64_t bpf2c_load16s_ptr(const uint8_t *p) { int16_t v; memcpy(&v, p, 2); return (uint64_t)(int64_t)v; }
static inline uint64_t bpf2c_load32s_ptr(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return (uint64_t)(int64_t)v; }
static inline void bpf2c_store8_ptr(uint8_t *p, uint64_t v) { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); }
static inline void bpf2c_store16_ptr(uint8_t *p, uint64_t v) { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); }
static inline void bpf2c_store32_ptr(uint8_t *p, uint64_t v) { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); }
static inline void bpf2c_store64_ptr(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint64_t bpf2c_load8(uint64_t a) { return bpf2c_load8_ptr(bpf2c_mem(a)); }
static inline uint64_t bpf2c_load16(uint64_t a) { return bpf2c_load16_ptr(bpf2c_mem(a)); }
static inline uint64_t bpf2c_load32(uint64_t a) { return bpf2c_load32_ptr(bpf2c_mem(a)); }
static inline uint64_t bpf2c_load64(uint64_t a) { return bpf2c_load64_ptr(bpf2c_mem(a)); }

/* A legacy packet load (LD_ABS, LD_IND) of `size` bytes (1, 2 or 4) at `offset` into the
 * packet of the native context `ctx` (a bpf2c_skb_context_t; its data and data_end are where
 * every native context has them). The bytes are read in network byte order, as Linux reads
 * them. Returns 0 when they lie outside the packet (Linux then ends the run returning 0),
 * else 1 with the value in *value. Negative offsets (Linux's SKF_NET_OFF and SKF_LL_OFF
 * areas) are outside: the packet is all there is. */
static inline int bpf2c_packet_load(uint64_t ctx, int64_t offset, unsigned size, uint64_t *value) {
    uint64_t data, data_end;
    memcpy(&data, (const void *)(uintptr_t)ctx, 8);
    memcpy(&data_end, (const void *)(uintptr_t)(ctx + 8), 8);
    if (offset < 0 || (uint64_t)offset > data_end - data || data_end - data - (uint64_t)offset < size)
        return 0;
    const uint8_t *p = (const uint8_t *)(uintptr_t)(data + (uint64_t)offset);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v = (v << 8) | p[i];
    *value = v;
    return 1;
}
static inline uint64_t bpf2c_load8s(uint64_t a) { return bpf2c_load8s_ptr(bpf2c_mem(a)); }
static inline uint64_t bpf2c_load16s(uint64_t a) { return bpf2c_load16s_ptr(bpf2c_mem(a)); }
static inline uint64_t bpf2c_load32s(uint64_t a) { return bpf2c_load32s_ptr(bpf2c_mem(a)); }
static inline void bpf2c_store8(uint64_t a, uint64_t v) { bpf2c_store8_ptr(bpf2c_mem(a), v); }
static inline void bpf2c_store16(uint64_t a, uint64_t v) { bpf2c_store16_ptr(bpf2c_mem(a), v); }
static inline void bpf2c_store32(uint64_t a, uint64_t v) { bpf2c_store32_ptr(bpf2c_mem(a), v); }
static inline void bpf2c_store64(uint64_t a, uint64_t v) { bpf2c_store64_ptr(bpf2c_mem(a), v); }

/* Division and modulo as RFC 9669 defines them: x / 0 = 0, x % 0 = x, and the signed forms
 * wrap INT_MIN / -1 to INT_MIN and give INT_MIN % -1 = 0 instead of trapping. */
static inline uint64_t bpf2c_udiv64(uint64_t a, uint64_t b) { return b ? a / b : 0; }
static inline uint64_t bpf2c_umod64(uint64_t a, uint64_t b) { return b ? a % b : a; }
static inline uint64_t bpf2c_udiv32(uint64_t a, uint64_t b) { uint32_t x = (uint32_t)a, y = (uint32_t)b; return y ? x / y : 0; }
static inline uint64_t bpf2c_umod32(uint64_t a, uint64_t b) { uint32_t x = (uint32_t)a, y = (uint32_t)b; return y ? x % y : x; }
static inline uint64_t bpf2c_sdiv64(uint64_t a, uint64_t b)
{
    int64_t x = (int64_t)a, y = (int64_t)b;
    if (y == 0) return 0;
    if (y == -1) return 0 - a; /* wraps for INT64_MIN without signed overflow */
    return (uint64_t)(x / y);
}
static inline uint64_t bpf2c_smod64(uint64_t a, uint64_t b)
{
    int64_t x = (int64_t)a, y = (int64_t)b;
    if (y == 0) return a;
    if (y == -1) return 0;
    return (uint64_t)(x % y);
}
static inline uint64_t bpf2c_sdiv32(uint64_t a, uint64_t b)
{
    int32_t x = (int32_t)(uint32_t)a, y = (int32_t)(uint32_t)b;
    if (y == 0) return 0;
    if (y == -1) return (uint32_t)(0u - (uint32_t)a);
    return (uint32_t)(x / y);
}
static inline uint64_t bpf2c_smod32(uint64_t a, uint64_t b)
{
    int32_t x = (int32_t)(uint32_t)a, y = (int32_t)(uint32_t)b;
    if (y == 0) return (uint32_t)a;
    if (y == -1) return 0;
    return (uint32_t)(x % y);
}

/* Arithmetic right shifts; the shift amount is already masked by the caller. */
static inline uint64_t bpf2c_arsh64(uint64_t a, uint64_t n) { return a >> n | (a >> 63 ? ~(~(uint64_t)0 >> n) : 0); }
static inline uint64_t bpf2c_arsh32(uint64_t a, uint64_t n)
{
    uint32_t x = (uint32_t)a;
    return (uint32_t)(x >> n | (x >> 31 ? ~(~(uint32_t)0 >> n) : 0));
}

/* Byte order. bswap always swaps; to_be/to_le convert from host order. */
#if defined(BPF2C_GNU_BUILTINS)
static inline uint64_t bpf2c_bswap16(uint64_t a) { return __builtin_bswap16((uint16_t)a); }
static inline uint64_t bpf2c_bswap32(uint64_t a) { return __builtin_bswap32((uint32_t)a); }
static inline uint64_t bpf2c_bswap64(uint64_t a) { return __builtin_bswap64(a); }
#else
static inline uint64_t bpf2c_bswap16(uint64_t a) { return _byteswap_ushort((unsigned short)a); }
static inline uint64_t bpf2c_bswap32(uint64_t a) { return (uint32_t)_byteswap_ulong((unsigned long)(uint32_t)a); }
static inline uint64_t bpf2c_bswap64(uint64_t a) { return _byteswap_uint64(a); }
#endif
#if defined(BPF2C_HOST_BIG_ENDIAN) && BPF2C_HOST_BIG_ENDIAN
static inline uint64_t bpf2c_to_be16(uint64_t a) { return (uint16_t)a; }
static inline uint64_t bpf2c_to_be32(uint64_t a) { return (uint32_t)a; }
static inline uint64_t bpf2c_to_be64(uint64_t a) { return a; }
static inline uint64_t bpf2c_to_le16(uint64_t a) { return bpf2c_bswap16(a); }
static inline uint64_t bpf2c_to_le32(uint64_t a) { return bpf2c_bswap32(a); }
static inline uint64_t bpf2c_to_le64(uint64_t a) { return bpf2c_bswap64(a); }
#else
static inline uint64_t bpf2c_to_be16(uint64_t a) { return bpf2c_bswap16(a); }
static inline uint64_t bpf2c_to_be32(uint64_t a) { return bpf2c_bswap32(a); }
static inline uint64_t bpf2c_to_be64(uint64_t a) { return bpf2c_bswap64(a); }
static inline uint64_t bpf2c_to_le16(uint64_t a) { return (uint16_t)a; }
static inline uint64_t bpf2c_to_le32(uint64_t a) { return (uint32_t)a; }
static inline uint64_t bpf2c_to_le64(uint64_t a) { return a; }
#endif

/* Atomics: real read-modify-write operations, sequentially consistent, because programs run
 * on many threads at once. The fetch forms return the old value.
 *
 * GCC (seen with 12.2 at -O1 and above, x86-64) miscompiles __atomic_fetch_or/and/xor whose
 * operand is the result of the same operation on an earlier loop iteration, as in the eBPF
 * loop `r8 = atomic_fetch_xor(*(u64 *)(r10 - 16), r8)`: the compare-exchange loop it expands
 * the builtin into stores a wrong value. Under GCC those three are therefore written as an
 * explicit compare-exchange loop, which is what GCC emits for them on x86-64 anyway. */
#if defined(BPF2C_GNU_BUILTINS) && !defined(__clang__)
#define BPF2C_ATOMIC_BITWISE(bits, name, op)                                                    \
    static inline uint64_t bpf2c_atomic_##name##bits(uint64_t a, uint64_t v)                    \
    {                                                                                           \
        uint##bits##_t *p = (uint##bits##_t *)(uintptr_t)a;                                     \
        uint##bits##_t old = __atomic_load_n(p, __ATOMIC_RELAXED);                              \
        while (!__atomic_compare_exchange_n(p, &old, (uint##bits##_t)(old op (uint##bits##_t)v), 1, \
                                            __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))                \
            ;                                                                                   \
        return old;                                                                             \
    }
#elif defined(BPF2C_GNU_BUILTINS)
#define BPF2C_ATOMIC_BITWISE(bits, name, op)                                                    \
    static inline uint64_t bpf2c_atomic_##name##bits(uint64_t a, uint64_t v)                    \
    { return __atomic_fetch_##name((uint##bits##_t *)(uintptr_t)a, (uint##bits##_t)v, __ATOMIC_SEQ_CST); }
#endif
#if defined(BPF2C_GNU_BUILTINS)
#define BPF2C_ATOMIC_OPS(bits)                                                                  \
    static inline uint64_t bpf2c_atomic_add##bits(uint64_t a, uint64_t v)                       \
    { return __atomic_fetch_add((uint##bits##_t *)(uintptr_t)a, (uint##bits##_t)v, __ATOMIC_SEQ_CST); } \
    BPF2C_ATOMIC_BITWISE(bits, or, |)                                                           \
    BPF2C_ATOMIC_BITWISE(bits, and, &)                                                          \
    BPF2C_ATOMIC_BITWISE(bits, xor, ^)                                                          \
    static inline uint64_t bpf2c_atomic_xchg##bits(uint64_t a, uint64_t v)                      \
    { return __atomic_exchange_n((uint##bits##_t *)(uintptr_t)a, (uint##bits##_t)v, __ATOMIC_SEQ_CST); } \
    static inline uint64_t bpf2c_atomic_cmpxchg##bits(uint64_t a, uint64_t expected, uint64_t v) \
    {                                                                                           \
        uint##bits##_t old = (uint##bits##_t)expected;                                          \
        __atomic_compare_exchange_n((uint##bits##_t *)(uintptr_t)a, &old, (uint##bits##_t)v, 0, \
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                        \
        return old;                                                                             \
    }
BPF2C_ATOMIC_OPS(32)
BPF2C_ATOMIC_OPS(64)
#undef BPF2C_ATOMIC_OPS
#undef BPF2C_ATOMIC_BITWISE
#else
/* The _Interlocked* intrinsics are full barriers, so as strong as __ATOMIC_SEQ_CST. The 32-bit
 * forms take long, which is 32 bits wide wherever _MSC_VER is defined (LLP64). */
#define BPF2C_ATOMIC_OPS(bits, type, sfx)                                                       \
    static inline uint64_t bpf2c_atomic_add##bits(uint64_t a, uint64_t v)                       \
    { return (uint##bits##_t)_InterlockedExchangeAdd##sfx((type volatile *)(uintptr_t)a, (type)v); } \
    static inline uint64_t bpf2c_atomic_or##bits(uint64_t a, uint64_t v)                        \
    { return (uint##bits##_t)_InterlockedOr##sfx((type volatile *)(uintptr_t)a, (type)v); }       \
    static inline uint64_t bpf2c_atomic_and##bits(uint64_t a, uint64_t v)                       \
    { return (uint##bits##_t)_InterlockedAnd##sfx((type volatile *)(uintptr_t)a, (type)v); }      \
    static inline uint64_t bpf2c_atomic_xor##bits(uint64_t a, uint64_t v)                       \
    { return (uint##bits##_t)_InterlockedXor##sfx((type volatile *)(uintptr_t)a, (type)v); }      \
    static inline uint64_t bpf2c_atomic_xchg##bits(uint64_t a, uint64_t v)                      \
    { return (uint##bits##_t)_InterlockedExchange##sfx((type volatile *)(uintptr_t)a, (type)v); } \
    static inline uint64_t bpf2c_atomic_cmpxchg##bits(uint64_t a, uint64_t expected, uint64_t v) \
    {                                                                                           \
        return (uint##bits##_t)_InterlockedCompareExchange##sfx(                                \
            (type volatile *)(uintptr_t)a, (type)v, (type)expected);                            \
    }
BPF2C_ATOMIC_OPS(32, long, )
BPF2C_ATOMIC_OPS(64, __int64, 64)
#undef BPF2C_ATOMIC_OPS
#endif

/* The run's loop budget cannot pay for the back edge (or the loop) at `pc`: records where and
 * what is left, so that every function unwinds and the runtime reports an error. Returns 0,
 * what the unwinding function returns. Generated code keeps the budget in a local while it
 * runs and stores it in inv->loop_budget wherever anything else could read it: before a
 * call (of a function, a tail call, callx) and on return. docs/performance.md describes the
 * exact semantics. */
static inline uint64_t bpf2c_loop_budget_spent(bpf2c_invocation_t *inv, uint64_t left,
                                               uint32_t function, uint32_t pc)
{
    inv->loop_budget = left;
    inv->unwind = BPF2C_UNWIND_LOOP_BUDGET;
    inv->unwind_function = function;
    inv->unwind_pc = pc;
    return 0;
}

/* A back-edge spends one unit of the run's budget. Returns non-zero when the budget is gone,
 * after recording where, so that every function unwinds and the runtime reports an error.
 * Code generated before the budget moved into a local calls this; it is kept for it. */
static inline int bpf2c_back_edge(bpf2c_invocation_t *inv, uint32_t function, uint32_t pc)
{
    if (BPF2C_UNLIKELY(inv->loop_budget == 0)) {
        inv->unwind = BPF2C_UNWIND_LOOP_BUDGET;
        inv->unwind_function = function;
        inv->unwind_pc = pc;
        return 1;
    }
    inv->loop_budget--;
    return 0;
}

/* One SplitMix64 draw: bpf_get_prandom_u32's result, as the runtime's helper computes it. */
#define BPF2C_PRANDOM_GAMMA 0x9E3779B97F4A7C15ull
static inline uint64_t bpf2c_prandom_u32(bpf2c_prandom_t *g)
{
    uint64_t z;
    if (BPF2C_UNLIKELY(g->shared))
#if defined(BPF2C_GNU_BUILTINS)
        z = __atomic_add_fetch(&g->state, BPF2C_PRANDOM_GAMMA, __ATOMIC_RELAXED);
#else
        z = (uint64_t)_InterlockedExchangeAdd64((__int64 volatile *)&g->state,
                                                (__int64)BPF2C_PRANDOM_GAMMA) + BPF2C_PRANDOM_GAMMA;
#endif
    else
        z = g->state += BPF2C_PRANDOM_GAMMA;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) >> 32;
}

#ifdef __cplusplus
}
#endif

#endif /* BPF2C_H */
