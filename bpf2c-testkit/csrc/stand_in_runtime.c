/*
 * A small stand-in for bpf2c-runtime, in C, so that generated modules can run inside an
 * executable built with -fsanitize=undefined,address: the sanitizers then watch the
 * generated code itself. Every packet or buffer is a heap block of exactly its size, so an
 * access past its end is caught.
 *
 * It is the workspace's one C stand-in runtime (bpf2c-testkit ships it): the sanitizer runs
 * of tests/toolchains.rs and the difftest compare it with bpf2c-runtime and an interpreter,
 * bpf2c's codegen tests run their cases in it (with the conformance suite's helper set and
 * their own loop budgets), and bpf2c's opt_sanitize test runs optimized and unoptimized
 * translations side by side in it and compares their maps.
 *
 * It implements the module ABI of bpf2c.h with two CPUs (per-CPU maps have two slots; a step
 * names the CPU it runs on): ARRAY, PERCPU_ARRAY and global data (contiguous elements, slots
 * cpu_stride apart), HASH, PERCPU_HASH and LRU_HASH (a linear table; LRU evicts
 * the entry with the oldest use), and checks a module's map assumptions as the runtime does, PROG_ARRAY with tail calls, and the helpers map
 * lookup/update/delete, ktime_get_ns, trace_printk (d/i/u/x with l/ll), get_prandom_u32,
 * get_smp_processor_id, tail_call and get_current_pid_tgid; csum_diff and fib_lookup with
 * the runtime's default world (an empty forwarding table); and for XDP packets, which have
 * no room around them here (as bpf2c-runtime's run_xdp gives them), xdp_adjust_head,
 * xdp_adjust_tail, xdp_adjust_meta, redirect and redirect_map over DEVMAP, DEVMAP_HASH,
 * CPUMAP and XSKMAP (kept like hash maps). It also has LRU_PERCPU_HASH (as LRU_HASH), LPM_TRIE (a linear scan),
 * QUEUE and STACK (a circular buffer), RINGBUF (positions and headers as in Linux, never
 * consumed), PERF_EVENT_ARRAY (room accounting per index), and their helpers plus
 * bpf_spin_lock/unlock (one thread: the lock word is set and cleared). ARRAY_OF_MAPS and
 * HASH_OF_MAPS keep, like hash maps, a u32 value per key: the index of the inner map among
 * the module's maps (what bpf2c-runtime's MapRef::update takes as the inner map's id); a
 * program's lookup returns that map, and only the host (an update step, or the module's
 * initial slots) sets them.
 *
 * Usage: stand_in_runtime [loop_budget] (default 100000000 back-edges per run).
 *
 * Output, one line per step: "step <i> r0 <r0> unwind <reason> at <function> <pc> out <hex>-"
 * for a run (where it unwound, and the input buffer afterwards), "step <i> update <result>"
 * for a map update, and "trace <i> <text>" per trace_printk. A dump prints "step <i> dump"
 * and then "map <i> <map index> <key hex> <value hex>" for every element present (every
 * array element; hash entries in slot order; per-CPU maps: CPU 0's slot). A comparison
 * prints "step <i> same" or "step <i> differ map <map index>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "stand_in_runtime.h"

/* Per-CPU maps keep a slot per CPU. */
#define CPUS 2u

typedef struct drv_map {
    uint32_t type, key_size, value_size, max_entries;
    uint64_t stride;
    uint32_t slots;        /* CPUS for per-CPU maps, else 1 */
    uint64_t cpu_stride;   /* arrays: bytes from one CPU's slot to the next */
    uint8_t *values;       /* arrays: slot-major; hash maps: entry-major, a slot each */
    uint8_t *keys;     /* hash maps: max_entries keys */
    uint8_t *used;     /* hash maps: slot in use */
    uint64_t *stamp;   /* hash maps: last use, for LRU */
    int32_t *programs; /* PROG_ARRAY: program index or -1 */
    uint64_t clock;
    /* Family "maps" (issue 10). */
    uint32_t head, count;  /* QUEUE, STACK: oldest element and element count */
    uint8_t *ring;         /* RINGBUF: twice max_entries bytes */
    uint64_t ring_prod;    /* RINGBUF: producer position (nothing consumes) */
    uint64_t *perf_used;   /* PERF_EVENT_ARRAY: bytes queued per index */
    uint64_t *perf_lost;   /* PERF_EVENT_ARRAY: samples lost since the last queued one */
    /* ARRAY_OF_MAPS, HASH_OF_MAPS: the instance's maps, which slots name by index. */
    struct drv_map *siblings;
    uint32_t sibling_count;
} drv_map_t;

typedef struct drv_instance {
    const bpf2c_module_t *module;
    drv_map_t *maps;
    bpf2c_map_data_t *map_data;
    bpf2c_helper_fn *helpers;
    bpf2c_runtime_context_t rt;
    /* The instance's generator, which inlined bpf_get_prandom_u32 calls and h_prandom both
     * step: two instances given the same runs draw the same numbers. */
    bpf2c_prandom_t prandom;
} drv_instance_t;

static drv_instance_t **instances;
static size_t instance_count, instance_capacity;
static size_t current_step;

static uint64_t neg(int e) { return (uint64_t)-(int64_t)e; }
/* Whether the running program is XDP, for bpf_perf_event_output's packet bytes. */
static int current_is_xdp;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static int is_redirect_map(uint32_t t)
{
    return t == BPF2C_MAP_TYPE_DEVMAP || t == BPF2C_MAP_TYPE_DEVMAP_HASH ||
           t == BPF2C_MAP_TYPE_CPUMAP || t == BPF2C_MAP_TYPE_XSKMAP;
}

static int is_map_of_maps(uint32_t t)
{
    return t == BPF2C_MAP_TYPE_ARRAY_OF_MAPS || t == BPF2C_MAP_TYPE_HASH_OF_MAPS;
}

static int is_hash(uint32_t t)
{
    return t == BPF2C_MAP_TYPE_HASH || t == BPF2C_MAP_TYPE_PERCPU_HASH ||
           t == BPF2C_MAP_TYPE_LRU_HASH || t == BPF2C_MAP_TYPE_LRU_PERCPU_HASH ||
           is_redirect_map(t);
}

/* ---- Family "maps" (issue 10): LPM_TRIE as a linear scan ---- */

static uint32_t lpm_len(const uint8_t *key)
{
    uint32_t len;
    memcpy(&len, key, 4);
    return len;
}

/* Whether the first `len` bits of a and b agree. */
static int lpm_bits_equal(const uint8_t *a, const uint8_t *b, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (((a[i / 8] >> (7 - i % 8)) ^ (b[i / 8] >> (7 - i % 8))) & 1)
            return 0;
    return 1;
}

static long lpm_exact(drv_map_t *m, const uint8_t *key)
{
    uint32_t len = lpm_len(key);
    for (uint32_t s = 0; s < m->max_entries; s++) {
        const uint8_t *k = m->keys + (size_t)s * m->key_size;
        if (m->used[s] && lpm_len(k) == len && lpm_bits_equal(k + 4, key + 4, len))
            return s;
    }
    return -1;
}

static void *lpm_lookup(drv_map_t *m, const uint8_t *key)
{
    uint32_t limit = lpm_len(key), max = 8 * (m->key_size - 4);
    long best = -1;
    if (limit > max)
        limit = max;
    for (uint32_t s = 0; s < m->max_entries; s++) {
        const uint8_t *k = m->keys + (size_t)s * m->key_size;
        if (m->used[s] && lpm_len(k) <= limit && lpm_bits_equal(k + 4, key + 4, lpm_len(k)) &&
            (best < 0 || lpm_len(k) > lpm_len(m->keys + (size_t)best * m->key_size)))
            best = s;
    }
    return best < 0 ? NULL : m->values + (size_t)best * m->stride;
}

static uint64_t lpm_update(drv_map_t *m, const uint8_t *key, const void *value, uint64_t flags)
{
    if (lpm_len(key) > 8 * (m->key_size - 4))
        return neg(EINVAL);
    long s = lpm_exact(m, key);
    if (s >= 0 && flags == 1)
        return neg(EEXIST);
    if (s < 0 && flags == 2)
        return neg(ENOENT);
    for (uint32_t i = 0; i < m->max_entries && s < 0; i++)
        if (!m->used[i])
            s = i;
    if (s < 0)
        return neg(ENOSPC);
    m->used[s] = 1;
    memcpy(m->keys + (size_t)s * m->key_size, key, m->key_size);
    memcpy(m->values + (size_t)s * m->stride, value, m->value_size);
    return 0;
}

/* The running packet's frame (exactly the packet: no headroom or tailroom), and whether the
 * running program is an XDP one. */
static uint8_t *frame;
static size_t frame_size;
static int running_xdp;

static uint32_t key_index(const void *key)
{
    uint32_t k;
    memcpy(&k, key, 4);
    return k;
}

/* Where CPU `cpu`'s value of element (array) or slot (hash map) `k` is. */
static uint8_t *value_at(const drv_map_t *m, uint64_t k, uint32_t cpu)
{
    uint32_t slot = m->slots > 1 ? cpu : 0;
    if (m->type == BPF2C_MAP_TYPE_ARRAY || m->type == BPF2C_MAP_TYPE_PERCPU_ARRAY)
        return m->values + slot * m->cpu_stride + k * m->stride;
    return m->values + (k * m->slots + slot) * m->stride;
}

static long find_slot(drv_map_t *m, const void *key)
{
    for (uint32_t s = 0; s < m->max_entries; s++)
        if (m->used[s] && memcmp(m->keys + (size_t)s * m->key_size, key, m->key_size) == 0)
            return s;
    return -1;
}

static void *map_lookup(void *map, const void *key, uint32_t cpu)
{
    drv_map_t *m = map;
    if (m->type == BPF2C_MAP_TYPE_ARRAY || m->type == BPF2C_MAP_TYPE_PERCPU_ARRAY) {
        uint32_t k = key_index(key);
        return k < m->max_entries ? value_at(m, k, cpu) : NULL;
    }
    if (m->type == BPF2C_MAP_TYPE_LPM_TRIE)
        return lpm_lookup(m, key);
    if (is_map_of_maps(m->type)) {
        long s = find_slot(m, key);
        uint32_t inner;
        if (s < 0)
            return NULL;
        memcpy(&inner, m->values + (size_t)s * m->stride, 4);
        return &m->siblings[inner];
    }
    if (is_hash(m->type)) {
        long s = find_slot(m, key);
        if (s < 0)
            return NULL;
        m->stamp[s] = ++m->clock;
        return value_at(m, (uint64_t)s, cpu);
    }
    return NULL;
}

/* The value may lie inside the map itself (a program may pass one of its values), hence
 * memmove. A new per-CPU hash entry starts zeroed on the other CPUs, as in Linux. */
static uint64_t map_update(drv_map_t *m, const void *key, const void *value, uint64_t flags,
                           uint32_t cpu)
{
    if (flags > 2)
        return neg(EINVAL);
    if (m->type == BPF2C_MAP_TYPE_LPM_TRIE)
        return lpm_update(m, key, value, flags);
    if (is_map_of_maps(m->type)) {
        uint32_t inner;
        memcpy(&inner, value, 4);
        if (inner >= m->sibling_count)
            return neg(EINVAL);
        if (m->type == BPF2C_MAP_TYPE_ARRAY_OF_MAPS) {
            if (key_index(key) >= m->max_entries)
                return neg(E2BIG);
            if (flags != 0)
                return neg(EINVAL);
        }
        /* Then kept like a hash map's entry. */
    } else if (!is_hash(m->type) && m->type != BPF2C_MAP_TYPE_PROG_ARRAY &&
        m->type != BPF2C_MAP_TYPE_ARRAY && m->type != BPF2C_MAP_TYPE_PERCPU_ARRAY)
        return neg(EINVAL);
    if (m->type == BPF2C_MAP_TYPE_ARRAY || m->type == BPF2C_MAP_TYPE_PERCPU_ARRAY) {
        uint32_t k = key_index(key);
        if (k >= m->max_entries)
            return neg(E2BIG);
        if (flags == 1)
            return neg(EEXIST);
        memmove(value_at(m, k, cpu), value, m->value_size);
        return 0;
    }
    if (m->type == BPF2C_MAP_TYPE_PROG_ARRAY) {
        uint32_t k = key_index(key), v;
        if (k >= m->max_entries)
            return neg(E2BIG);
        memcpy(&v, value, 4);
        m->programs[k] = (int32_t)v;
        return 0;
    }
    long s = find_slot(m, key);
    if (s >= 0 && flags == 1)
        return neg(EEXIST);
    if (s < 0 && flags == 2)
        return neg(ENOENT);
    int fresh = s < 0;
    if (s < 0) {
        for (uint32_t i = 0; i < m->max_entries && s < 0; i++)
            if (!m->used[i])
                s = i;
        if (s < 0 && (m->type == BPF2C_MAP_TYPE_LRU_HASH ||
                      m->type == BPF2C_MAP_TYPE_LRU_PERCPU_HASH)) {
            s = 0;
            for (uint32_t i = 1; i < m->max_entries; i++)
                if (m->stamp[i] < m->stamp[s])
                    s = i;
        }
        if (s < 0)
            return neg(E2BIG);
        m->used[s] = 1;
        memcpy(m->keys + (size_t)s * m->key_size, key, m->key_size);
    }
    for (uint32_t c = 0; c < m->slots; c++) {
        if (c == (m->slots > 1 ? cpu : 0))
            memmove(value_at(m, (uint64_t)s, c), value, m->value_size);
        else if (fresh)
            memset(value_at(m, (uint64_t)s, c), 0, m->value_size);
    }
    m->stamp[s] = ++m->clock;
    return 0;
}

static uint64_t h_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         bpf2c_invocation_t *inv)
{
    (void)r3, (void)r4, (void)r5;
    return (uint64_t)(uintptr_t)map_lookup((void *)(uintptr_t)r1, (const void *)(uintptr_t)r2,
                                           inv->cpu);
}

static uint64_t h_update(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         bpf2c_invocation_t *inv)
{
    (void)r5;
    /* Programs only look maps of maps up; the host sets them. */
    if (is_map_of_maps(((drv_map_t *)(uintptr_t)r1)->type))
        return neg(EINVAL);
    return map_update((drv_map_t *)(uintptr_t)r1, (const void *)(uintptr_t)r2,
                      (const void *)(uintptr_t)r3, r4, inv->cpu);
}

static uint64_t h_delete(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         bpf2c_invocation_t *inv)
{
    drv_map_t *m = (drv_map_t *)(uintptr_t)r1;
    (void)r3, (void)r4, (void)r5, (void)inv;
    if (m->type == BPF2C_MAP_TYPE_LPM_TRIE) {
        const uint8_t *key = (const uint8_t *)(uintptr_t)r2;
        if (lpm_len(key) > 8 * (m->key_size - 4))
            return neg(EINVAL);
        long e = lpm_exact(m, key);
        if (e < 0)
            return neg(ENOENT);
        m->used[e] = 0;
        return 0;
    }
    if (!is_hash(m->type))
        return neg(EINVAL);
    long s = find_slot(m, (const void *)(uintptr_t)r2);
    if (s < 0)
        return neg(ENOENT);
    m->used[s] = 0;
    return 0;
}

static uint64_t h_ktime(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                        bpf2c_invocation_t *inv)
{
    struct timespec ts;
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)inv;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* trace_printk with the conversions the corpus uses: %d %i %u %x, with l or ll, and %%. */
static uint64_t h_trace(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                        bpf2c_invocation_t *inv)
{
    const char *fmt = (const char *)(uintptr_t)r1;
    uint64_t args[3] = {r3, r4, r5};
    char out[1024];
    size_t n = 0, used = 0;
    (void)inv;
    if (r2 == 0 || fmt[r2 - 1] != '\0')
        return neg(EINVAL);
    for (const char *p = fmt; *p && n < sizeof out - 32; p++) {
        if (*p != '%') {
            out[n++] = *p;
            continue;
        }
        p++;
        if (*p == '%') {
            out[n++] = '%';
            continue;
        }
        int longs = 0;
        while (*p == 'l') {
            longs++;
            p++;
        }
        if (used == 3 || longs > 2)
            return neg(EINVAL);
        uint64_t v = args[used++];
        switch (*p) {
        case 'd':
        case 'i':
            n += (size_t)snprintf(out + n, sizeof out - n, "%" PRId64,
                                  longs ? (int64_t)v : (int64_t)(int32_t)v);
            break;
        case 'u':
            n += (size_t)snprintf(out + n, sizeof out - n, "%" PRIu64,
                                  longs ? v : (uint64_t)(uint32_t)v);
            break;
        case 'x':
            n += (size_t)snprintf(out + n, sizeof out - n, "%" PRIx64,
                                  longs ? v : (uint64_t)(uint32_t)v);
            break;
        default:
            return neg(EINVAL);
        }
    }
    out[n] = '\0';
    size_t len = n;
    if (n > 0 && out[n - 1] == '\n')
        out[n - 1] = '\0';
    printf("trace %zu %s\n", current_step, out);
    return len;
}

static uint64_t h_prandom(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                          bpf2c_invocation_t *inv)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
    return bpf2c_prandom_u32(inv->prandom);
}

static uint64_t h_cpu(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                      bpf2c_invocation_t *inv)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
    return inv->cpu;
}

static uint64_t h_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                            bpf2c_invocation_t *inv)
{
    drv_map_t *m = (drv_map_t *)(uintptr_t)r2;
    uint32_t index = (uint32_t)r3;
    (void)r1, (void)r4, (void)r5;
    if (m->type != BPF2C_MAP_TYPE_PROG_ARRAY || index >= m->max_entries)
        return neg(ENOENT);
    if (inv->tail_call_count >= BPF2C_MAX_TAIL_CALLS)
        return neg(E2BIG);
    inv->tail_call_count++;
    if (m->programs[index] < 0)
        return neg(ENOENT);
    inv->tail_call_target = m->programs[index];
    inv->unwind = BPF2C_UNWIND_TAIL_CALL;
    return 0;
}

static uint64_t h_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                           bpf2c_invocation_t *inv)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)inv;
    return (uint64_t)getpid() << 32 | (uint32_t)syscall(SYS_gettid);
}

static uint64_t h_xdp_adjust_head(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                  uint64_t r5, bpf2c_invocation_t *inv)
{
    bpf2c_xdp_context_t *x = (bpf2c_xdp_context_t *)(uintptr_t)r1;
    uint64_t start = (uint64_t)(uintptr_t)frame;
    uint64_t metalen = x->data - x->data_meta;
    int64_t data = (int64_t)(x->data - start) + (int32_t)r2;
    (void)r3, (void)r4, (void)r5, (void)inv;
    /* No room before the frame, so no xdp_frame either: the metadata may reach its start. */
    if (data < (int64_t)metalen || data > (int64_t)(x->data_end - start) - 14)
        return neg(EINVAL);
    if (metalen)
        memmove(frame + data - metalen, (void *)(uintptr_t)x->data_meta, metalen);
    x->data = start + (uint64_t)data;
    x->data_meta = x->data - metalen;
    return 0;
}

static uint64_t h_xdp_adjust_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                  uint64_t r5, bpf2c_invocation_t *inv)
{
    bpf2c_xdp_context_t *x = (bpf2c_xdp_context_t *)(uintptr_t)r1;
    uint64_t start = (uint64_t)(uintptr_t)frame;
    int64_t end = (int64_t)(x->data_end - start) + (int32_t)r2;
    (void)r3, (void)r4, (void)r5, (void)inv;
    if (end > (int64_t)frame_size || end < (int64_t)(x->data - start) + 14)
        return neg(EINVAL);
    x->data_end = start + (uint64_t)end;
    return 0;
}

static uint64_t h_xdp_adjust_meta(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                  uint64_t r5, bpf2c_invocation_t *inv)
{
    bpf2c_xdp_context_t *x = (bpf2c_xdp_context_t *)(uintptr_t)r1;
    uint64_t start = (uint64_t)(uintptr_t)frame;
    int64_t meta = (int64_t)(x->data_meta - start) + (int32_t)r2;
    (void)r3, (void)r4, (void)r5, (void)inv;
    if (meta < 0 || meta > (int64_t)(x->data - start))
        return neg(EINVAL);
    uint64_t metalen = (x->data - start) - (uint64_t)meta;
    if (metalen % 4 || metalen > 252)
        return neg(EACCES);
    x->data_meta = start + (uint64_t)meta;
    return 0;
}

static uint64_t h_redirect(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                           bpf2c_invocation_t *inv)
{
    (void)r1, (void)r3, (void)r4, (void)r5, (void)inv;
    if (running_xdp)
        return r2 ? 0 /* XDP_ABORTED */ : 4 /* XDP_REDIRECT */;
    return r2 & ~1ull ? 2 /* TC_ACT_SHOT */ : 7 /* TC_ACT_REDIRECT */;
}

static uint64_t h_redirect_map(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                               uint64_t r5, bpf2c_invocation_t *inv)
{
    drv_map_t *m = (drv_map_t *)(uintptr_t)r1;
    uint32_t key = (uint32_t)r2;
    int device = m->type == BPF2C_MAP_TYPE_DEVMAP || m->type == BPF2C_MAP_TYPE_DEVMAP_HASH;
    uint64_t allowed = 3 | (device ? (1u << 3) | (1u << 4) : 0);
    (void)r4, (void)r5, (void)inv;
    if (!is_redirect_map(m->type) || (r3 & ~allowed))
        return 0;
    int found = (m->type == BPF2C_MAP_TYPE_DEVMAP_HASH || key < m->max_entries) &&
                find_slot(m, &key) >= 0;
    if (!found && !(r3 & (1u << 3)))
        return r3 & 3;
    return 4;
}

/* bpf_csum_diff as net/core/filter.c computes it (Linux 6.12 and later): sums of 16-bit
 * words in memory order, folded to 16 bits. */
static uint32_t csum_partial(const uint8_t *p, uint64_t len, uint32_t seed)
{
    uint64_t acc = seed;
    for (uint64_t i = 0; i + 1 < len; i += 2) {
        uint16_t w;
        memcpy(&w, p + i, 2);
        acc += w;
    }
    while (acc >> 32)
        acc = (acc & 0xffffffffu) + (acc >> 32);
    return (uint32_t)acc;
}

static uint32_t csum_add32(uint32_t a, uint32_t b)
{
    uint32_t r = a + b;
    return r + (r < b);
}

static uint64_t h_csum_diff(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                            bpf2c_invocation_t *inv)
{
    const uint8_t *from = (const uint8_t *)(uintptr_t)r1, *to = (const uint8_t *)(uintptr_t)r3;
    uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4, ret = (uint32_t)r5;
    (void)inv;
    if (((from_size | to_size) & 3) || (uint64_t)from_size + to_size > 512)
        return neg(EINVAL);
    if (from_size && to_size)
        ret = csum_add32(csum_partial(to, to_size, ret), ~csum_partial(from, from_size, 0));
    else if (to_size)
        ret = csum_partial(to, to_size, ret);
    else if (from_size)
        ret = ~csum_partial(from, from_size, ~ret);
    ret += (ret >> 16) | (ret << 16);
    return ret >> 16;
}

/* bpf_fib_lookup with an empty table: argument checks, then BPF_FIB_LKUP_RET_NOT_FWDED for
 * AF_INET and AF_INET6 (nothing written), -EAFNOSUPPORT otherwise. */
static uint64_t h_fib_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                             bpf2c_invocation_t *inv)
{
    const uint8_t *params = (const uint8_t *)(uintptr_t)r2;
    (void)r1, (void)r5, (void)inv;
    if ((int32_t)r3 < 64 || ((uint32_t)r4 & ~0x3fu))
        return neg(EINVAL);
    if (params[0] == 2 || params[0] == 10)
        return 4;
    return neg(EAFNOSUPPORT);
}

/* ---- Family "maps" (issue 10): queues, stacks, ring and perf buffers, spin locks ---- */

static uint64_t h_push(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                       bpf2c_invocation_t *inv)
{
    drv_map_t *m = (drv_map_t *)(uintptr_t)r1;
    (void)r4, (void)r5, (void)inv;
    if (m->type != BPF2C_MAP_TYPE_QUEUE && m->type != BPF2C_MAP_TYPE_STACK)
        return neg(EINVAL);
    if (r3 & ~(uint64_t)2)
        return neg(EINVAL);
    if (m->count == m->max_entries) {
        if (r3 != 2)
            return neg(E2BIG);
        m->head = (m->head + 1) % m->max_entries;
        m->count--;
    }
    uint32_t at = (m->head + m->count) % m->max_entries;
    memcpy(m->values + (size_t)at * m->stride, (const void *)(uintptr_t)r2, m->value_size);
    m->count++;
    return 0;
}

static uint64_t queue_take(uint64_t r1, uint64_t r2, int pop)
{
    drv_map_t *m = (drv_map_t *)(uintptr_t)r1;
    void *dst = (void *)(uintptr_t)r2;
    if (m->type != BPF2C_MAP_TYPE_QUEUE && m->type != BPF2C_MAP_TYPE_STACK)
        return neg(EINVAL);
    if (m->count == 0) {
        memset(dst, 0, m->value_size);
        return neg(ENOENT);
    }
    int lifo = m->type == BPF2C_MAP_TYPE_STACK;
    uint32_t at = lifo ? (m->head + m->count - 1) % m->max_entries : m->head;
    memcpy(dst, m->values + (size_t)at * m->stride, m->value_size);
    if (pop) {
        if (!lifo)
            m->head = (m->head + 1) % m->max_entries;
        m->count--;
    }
    return 0;
}

static uint64_t h_pop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                      bpf2c_invocation_t *inv)
{
    (void)r3, (void)r4, (void)r5, (void)inv;
    return queue_take(r1, r2, 1);
}

static uint64_t h_peek(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                       bpf2c_invocation_t *inv)
{
    (void)r3, (void)r4, (void)r5, (void)inv;
    return queue_take(r1, r2, 0);
}

#define RB_BUSY 0x80000000u
#define RB_DISCARD 0x40000000u

static void *ring_reserve(drv_map_t *m, uint64_t size)
{
    uint64_t len = (size + 8 + 7) & ~(uint64_t)7;
    /* Nothing consumes, so the consumer position stays 0: Linux's test that the bytes
     * between consumer and producer stay within the mask. */
    if (size > UINT32_MAX / 4 || len > m->max_entries ||
        m->ring_prod + len > (uint64_t)m->max_entries - 1)
        return NULL;
    uint8_t *hdr = m->ring + (m->ring_prod & (m->max_entries - 1));
    uint32_t word[2] = {(uint32_t)size | RB_BUSY, (uint32_t)(m->ring_prod & (m->max_entries - 1))};
    memcpy(hdr, word, 8);
    m->ring_prod += len;
    return hdr + 8;
}

static void ring_commit(void *data, int discard)
{
    uint8_t *hdr = (uint8_t *)data - 8;
    uint32_t len;
    memcpy(&len, hdr, 4);
    len &= ~RB_BUSY;
    if (discard)
        len |= RB_DISCARD;
    memcpy(hdr, &len, 4);
}

static uint64_t h_ringbuf_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                 uint64_t r5, bpf2c_invocation_t *inv)
{
    drv_map_t *m = (drv_map_t *)(uintptr_t)r1;
    (void)r5, (void)inv;
    if (m->type != BPF2C_MAP_TYPE_RINGBUF || (r4 & ~(uint64_t)3))
        return neg(EINVAL);
    void *rec = ring_reserve(m, r3);
    if (!rec)
        return neg(EAGAIN);
    if (r3)
        memcpy(rec, (const void *)(uintptr_t)r2, r3);
    ring_commit(rec, 0);
    return 0;
}

static uint64_t h_ringbuf_reserve(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                  uint64_t r5, bpf2c_invocation_t *inv)
{
    drv_map_t *m = (drv_map_t *)(uintptr_t)r1;
    (void)r4, (void)r5, (void)inv;
    if (m->type != BPF2C_MAP_TYPE_RINGBUF || r3)
        return 0;
    return (uint64_t)(uintptr_t)ring_reserve(m, r2);
}

static uint64_t h_ringbuf_submit(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                 uint64_t r5, bpf2c_invocation_t *inv)
{
    (void)r2, (void)r3, (void)r4, (void)r5, (void)inv;
    ring_commit((void *)(uintptr_t)r1, 0);
    return 0;
}

static uint64_t h_ringbuf_discard(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                  uint64_t r5, bpf2c_invocation_t *inv)
{
    (void)r2, (void)r3, (void)r4, (void)r5, (void)inv;
    ring_commit((void *)(uintptr_t)r1, 1);
    return 0;
}

static uint64_t h_ringbuf_query(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                uint64_t r5, bpf2c_invocation_t *inv)
{
    drv_map_t *m = (drv_map_t *)(uintptr_t)r1;
    (void)r3, (void)r4, (void)r5, (void)inv;
    if (m->type != BPF2C_MAP_TYPE_RINGBUF)
        return 0;
    switch (r2) {
    case 0: return m->ring_prod;
    case 1: return m->max_entries;
    case 2: return 0;
    case 3: return m->ring_prod;
    default: return 0;
    }
}

#define PERF_BUFFER_BYTES (64u * 4096u)

static uint64_t h_perf_event_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                    uint64_t r5, bpf2c_invocation_t *inv)
{
    drv_map_t *m = (drv_map_t *)(uintptr_t)r2;
    const uint64_t index_mask = 0xffffffffu, ctxlen_mask = (uint64_t)0xfffff << 32;
    if (m->type != BPF2C_MAP_TYPE_PERF_EVENT_ARRAY || (r3 & ~(index_mask | ctxlen_mask)))
        return neg(EINVAL);
    uint64_t index = r3 & index_mask, ctx_len = (r3 & ctxlen_mask) >> 32;
    if (index == index_mask)
        index = inv->cpu;
    if (index >= m->max_entries)
        return neg(E2BIG);
    const uint8_t *packet = NULL;
    if (ctx_len) {
        if (!current_is_xdp)
            return neg(EINVAL);
        const bpf2c_xdp_context_t *xdp = (const bpf2c_xdp_context_t *)(uintptr_t)r1;
        if (ctx_len > xdp->data_end - xdp->data)
            return neg(14); /* EFAULT */
        packet = (const uint8_t *)(uintptr_t)xdp->data;
    }
    /* Copy the sample as a perf buffer would, so the sanitizers check the reads. */
    uint8_t *sample = xcalloc(1, r5 + ctx_len);
    if (r5)
        memcpy(sample, (const void *)(uintptr_t)r4, r5);
    if (ctx_len)
        memcpy(sample + r5, packet, ctx_len);
    free(sample);
    uint64_t need = 8 + ((r5 + ctx_len + 4 + 7) & ~(uint64_t)7);
    if (m->perf_lost[index])
        need += 24;
    if (m->perf_used[index] + need > PERF_BUFFER_BYTES) {
        m->perf_lost[index]++;
        return neg(ENOSPC);
    }
    m->perf_used[index] += need;
    m->perf_lost[index] = 0;
    return 0;
}

static uint64_t h_spin_lock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                            bpf2c_invocation_t *inv)
{
    uint32_t one = 1;
    (void)r2, (void)r3, (void)r4, (void)r5, (void)inv;
    memcpy((void *)(uintptr_t)r1, &one, 4);
    return 0;
}

static uint64_t h_spin_unlock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                              bpf2c_invocation_t *inv)
{
    uint32_t zero = 0;
    (void)r2, (void)r3, (void)r4, (void)r5, (void)inv;
    memcpy((void *)(uintptr_t)r1, &zero, 4);
    return 0;
}

static uint64_t h_missing(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                          bpf2c_invocation_t *inv)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
    inv->unwind = BPF2C_UNWIND_BAD_HELPER;
    return 0;
}

static bpf2c_helper_fn helper_for(uint32_t id)
{
    switch (id) {
    case 1: return h_lookup;
    case 2: return h_update;
    case 3: return h_delete;
    case 5: return h_ktime;
    case 6: return h_trace;
    case 7: return h_prandom;
    case 8: return h_cpu;
    case 12: return h_tail_call;
    case 14: return h_pid_tgid;
    case 23: return h_redirect;
    case 44: return h_xdp_adjust_head;
    case 51: return h_redirect_map;
    case 54: return h_xdp_adjust_meta;
    case 65: return h_xdp_adjust_tail;
    case 28: return h_csum_diff;
    case 69: return h_fib_lookup;
    /* Family "maps" (issue 10). */
    case 25: return h_perf_event_output;
    case 87: return h_push;
    case 88: return h_pop;
    case 89: return h_peek;
    case 93: return h_spin_lock;
    case 94: return h_spin_unlock;
    case 130: return h_ringbuf_output;
    case 131: return h_ringbuf_reserve;
    case 132: return h_ringbuf_submit;
    case 133: return h_ringbuf_discard;
    case 134: return h_ringbuf_query;
    default: return h_missing;
    }
}

static uint64_t helper_by_id(uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                             uint64_t r5, bpf2c_invocation_t *inv)
{
    return helper_for(id > UINT32_MAX ? 0 : (uint32_t)id)(r1, r2, r3, r4, r5, inv);
}

/* ---- The conformance suite's helper set: helper 5 returns its first argument ---- */

static uint64_t h_return_r1(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                            bpf2c_invocation_t *inv)
{
    (void)r2, (void)r3, (void)r4, (void)r5, (void)inv;
    return r1;
}

static bpf2c_helper_fn conformance_helper_for(uint64_t id)
{
    return id == 5 ? h_return_r1 : h_missing;
}

static uint64_t conformance_helper_by_id(uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3,
                                         uint64_t r4, uint64_t r5, bpf2c_invocation_t *inv)
{
    return conformance_helper_for(id)(r1, r2, r3, r4, r5, inv);
}

/* Refuses a module whose map assumptions (the layout optimized code relies on) do not
 * describe the maps it declares, as the runtime refuses to load it. */
static void check_assumptions(const bpf2c_module_t *module, const drv_map_t *maps)
{
    for (uint32_t k = 0; k < module->map_assumption_count; k++) {
        const bpf2c_map_assumption_t *a = &module->map_assumptions[k];
        const bpf2c_map_definition_t *d =
            a->map < module->map_count ? &module->maps[a->map].definition : NULL;
        if (!d || a->definition.type != d->type || a->definition.key_size != d->key_size ||
            a->definition.value_size != d->value_size ||
            a->definition.max_entries != d->max_entries ||
            ((a->uses & BPF2C_MAP_USE_ARRAY_DATA) && a->stride != maps[a->map].stride)) {
            fprintf(stderr, "module %s: map assumption %" PRIu32 " does not describe map %" PRIu32 "\n",
                    module->name, k, a->map);
            exit(2);
        }
    }
}

static drv_instance_t *instance_of(const bpf2c_module_t *module, uint32_t helper_set)
{
    for (size_t i = 0; i < instance_count; i++)
        if (instances[i]->module == module)
            return instances[i];
    if (instance_count == instance_capacity) {
        instance_capacity = instance_capacity ? 2 * instance_capacity : 64;
        instances = realloc(instances, instance_capacity * sizeof *instances);
        if (!instances) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
    }
    if (module->magic != BPF2C_ABI_MAGIC || module->abi_version != BPF2C_ABI_VERSION ||
        module->module_size != sizeof(bpf2c_module_t)) {
        fprintf(stderr, "module %s: ABI mismatch\n", module->name);
        exit(2);
    }
    drv_instance_t *in = xcalloc(1, sizeof *in);
    instances[instance_count++] = in;
    in->module = module;
    in->maps = xcalloc(module->map_count, sizeof *in->maps);
    in->map_data = xcalloc(module->map_count, sizeof *in->map_data);
    for (uint32_t i = 0; i < module->map_count; i++) {
        const bpf2c_map_entry_t *e = &module->maps[i];
        drv_map_t *m = &in->maps[i];
        m->type = e->definition.type;
        m->key_size = e->definition.key_size;
        m->value_size = e->definition.value_size;
        m->max_entries = e->definition.max_entries;
        m->stride = BPF2C_ARRAY_STRIDE(m->value_size);
        if (m->type == BPF2C_MAP_TYPE_PERF_EVENT_ARRAY && m->max_entries == 0)
            m->max_entries = 1; /* one per CPU, and the driver has one */
        int per_cpu = m->type == BPF2C_MAP_TYPE_PERCPU_ARRAY ||
                      m->type == BPF2C_MAP_TYPE_PERCPU_HASH ||
                      m->type == BPF2C_MAP_TYPE_LRU_PERCPU_HASH;
        m->slots = per_cpu ? CPUS : 1;
        m->cpu_stride = (uint64_t)m->max_entries * m->stride;
        m->values = xcalloc((size_t)m->max_entries * m->slots, m->stride);
        if (m->type == BPF2C_MAP_TYPE_RINGBUF)
            m->ring = xcalloc(2, m->max_entries);
        if (m->type == BPF2C_MAP_TYPE_PERF_EVENT_ARRAY) {
            m->perf_used = xcalloc(m->max_entries, sizeof *m->perf_used);
            m->perf_lost = xcalloc(m->max_entries, sizeof *m->perf_lost);
        }
        m->siblings = in->maps;
        m->sibling_count = module->map_count;
        if (is_hash(m->type) || m->type == BPF2C_MAP_TYPE_LPM_TRIE || is_map_of_maps(m->type)) {
            m->keys = xcalloc(m->max_entries, m->key_size);
            m->used = xcalloc(m->max_entries, 1);
            m->stamp = xcalloc(m->max_entries, sizeof *m->stamp);
        }
        if (m->type == BPF2C_MAP_TYPE_PROG_ARRAY) {
            m->programs = xcalloc(m->max_entries, sizeof *m->programs);
            for (uint32_t k = 0; k < m->max_entries; k++)
                m->programs[k] = -1;
        }
        if (e->initial_data && e->initial_data_size <= m->value_size)
            memcpy(m->values, e->initial_data, e->initial_data_size);
        bpf2c_map_data_t *d = &in->map_data[i];
        d->version = BPF2C_MAP_DATA_VERSION;
        d->size = sizeof *d;
        d->address = m;
        if (m->type == BPF2C_MAP_TYPE_ARRAY || m->type == BPF2C_MAP_TYPE_PERCPU_ARRAY) {
            d->array_data = m->values;
            d->cpu_stride = m->type == BPF2C_MAP_TYPE_PERCPU_ARRAY ? m->cpu_stride : 0;
        }
        d->lookup = m->type == BPF2C_MAP_TYPE_PROG_ARRAY ? NULL : map_lookup;
    }
    /* Initial inner maps of maps of maps, now that every map exists. */
    for (uint32_t i = 0; i < module->map_count; i++) {
        const bpf2c_map_entry_t *e = &module->maps[i];
        if (!is_map_of_maps(e->definition.type))
            continue;
        for (uint32_t k = 0; k < e->initial_program_count; k++) {
            uint8_t key[4];
            memcpy(key, &e->initial_programs[k].index, 4);
            map_update(&in->maps[i], key, &e->initial_programs[k].program, 0, 0);
        }
    }
    check_assumptions(module, in->maps);
    int conformance = helper_set == DRV_HELPERS_CONFORMANCE;
    in->helpers = xcalloc(module->helper_count, sizeof *in->helpers);
    for (uint32_t k = 0; k < module->helper_count; k++)
        in->helpers[k] = conformance ? conformance_helper_for(module->helpers[k].id)
                                     : helper_for(module->helpers[k].id);
    in->rt.version = BPF2C_RUNTIME_CONTEXT_VERSION;
    in->rt.size = sizeof in->rt;
    in->rt.helpers = in->helpers;
    in->rt.map_data = in->map_data;
    in->rt.helper_by_id = conformance ? conformance_helper_by_id : helper_by_id;
    in->prandom.state = 0x9e3779b97f4a7c15u;
    return in;
}

static int program_index(const bpf2c_module_t *module, const char *name)
{
    if (!name)
        return module->program_count ? 0 : -1;
    for (uint32_t p = 0; p < module->program_count; p++)
        if (strcmp(module->programs[p].name, name) == 0)
            return (int)p;
    return -1;
}

static int update_step(const drv_step_t *s)
{
    drv_instance_t *in = instance_of(s->module, s->helper_set);
    for (uint32_t i = 0; i < s->module->map_count; i++) {
        if (strcmp(s->module->maps[i].name, s->map) != 0)
            continue;
        drv_map_t *m = &in->maps[i];
        if (s->data_size != m->key_size ||
            s->value_size != (m->type == BPF2C_MAP_TYPE_PROG_ARRAY ? 4u : m->value_size)) {
            printf("step %zu update size-mismatch\n", current_step);
            return 1;
        }
        printf("step %zu update %" PRId64 "\n", current_step,
               (int64_t)map_update(m, s->data, s->value, 0, s->cpu));
        return 0;
    }
    printf("step %zu update no-such-map\n", current_step);
    return 1;
}

static void print_hex(const uint8_t *bytes, size_t size)
{
    for (size_t i = 0; i < size; i++)
        printf("%02x", bytes[i]);
}

static int dump_step(const drv_step_t *s)
{
    drv_instance_t *in = instance_of(s->module, s->helper_set);
    printf("step %zu dump\n", current_step);
    for (uint32_t i = 0; i < s->module->map_count; i++) {
        drv_map_t *m = &in->maps[i];
        for (uint32_t k = 0; k < m->max_entries; k++) {
            if (is_hash(m->type) ? !m->used[k]
                                 : m->type == BPF2C_MAP_TYPE_PROG_ARRAY)
                continue;
            printf("map %zu %" PRIu32 " ", current_step, i);
            if (is_hash(m->type))
                print_hex(m->keys + (size_t)k * m->key_size, m->key_size);
            else
                print_hex((const uint8_t *)&k, sizeof k);
            printf(" ");
            print_hex(is_hash(m->type) ? value_at(m, k, 0) : m->values + (size_t)k * m->stride,
                      m->value_size);
            printf("\n");
        }
    }
    return 0;
}

/* Whether two maps of the same definition hold the same bytes: every value of every slot,
 * and for keyed maps which slots are in use and their keys. */
static int same_map(const drv_map_t *x, const drv_map_t *y)
{
    size_t values = (size_t)x->max_entries * x->slots * x->stride;
    if (x->type != y->type || x->max_entries != y->max_entries || x->stride != y->stride ||
        memcmp(x->values, y->values, values))
        return 0;
    if (x->used && (memcmp(x->used, y->used, x->max_entries) ||
                    memcmp(x->keys, y->keys, (size_t)x->max_entries * x->key_size)))
        return 0;
    return 1;
}

static int compare_step(const drv_step_t *s)
{
    const drv_instance_t *a = instance_of(s->module, s->helper_set);
    const drv_instance_t *b = instance_of(s->other, s->helper_set);
    if (s->module->map_count != s->other->map_count) {
        printf("step %zu differ map-count\n", current_step);
        return 0;
    }
    for (uint32_t i = 0; i < s->module->map_count; i++) {
        if (!same_map(&a->maps[i], &b->maps[i])) {
            printf("step %zu differ map %" PRIu32 "\n", current_step, i);
            return 0;
        }
    }
    printf("step %zu same\n", current_step);
    return 0;
}

static int run_step(const drv_step_t *s, uint64_t loop_budget)
{
    drv_instance_t *in = instance_of(s->module, s->helper_set);
    int current = program_index(s->module, s->program);
    if (current < 0) {
        printf("step %zu no-such-program\n", current_step);
        return 1;
    }
    /* Exactly the input's size, so the address sanitizer sees any access past its end. */
    uint8_t *buffer = malloc(s->data_size ? s->data_size : 1);
    if (!buffer)
        return 1;
    if (s->data_size)
        memcpy(buffer, s->data, s->data_size);
    bpf2c_xdp_context_t xdp = {
        (uint64_t)(uintptr_t)buffer, (uint64_t)(uintptr_t)buffer + s->data_size,
        (uint64_t)(uintptr_t)buffer, s->ingress_ifindex, s->rx_queue_index, 0, 0,
    };
    /* Programs that read struct __sk_buff get the packet with every host field 0, as
     * Instance::run gives it: len and protocol from the packet (the EtherType, or for cgroup
     * skb the IP version), kept as Linux keeps protocol, in network byte order. */
    uint32_t program_type = s->module->programs[current].program_type;
    int is_skb = program_type == BPF2C_PROG_TYPE_SOCKET_FILTER ||
                 program_type == BPF2C_PROG_TYPE_SCHED_CLS ||
                 program_type == BPF2C_PROG_TYPE_SCHED_ACT ||
                 program_type == BPF2C_PROG_TYPE_CGROUP_SKB;
    bpf2c_skb_context_t skb;
    memset(&skb, 0, sizeof skb);
    skb.data = skb.data_meta = (uint64_t)(uintptr_t)buffer;
    skb.data_end = skb.data + s->data_size;
    skb.len = skb.wire_len = (uint32_t)s->data_size;
    uint8_t ethertype[2] = {0, 0};
    if (program_type == BPF2C_PROG_TYPE_CGROUP_SKB) {
        uint8_t version = s->data_size ? buffer[0] >> 4 : 0;
        ethertype[0] = version == 4 ? 0x08 : version == 6 ? 0x86 : 0;
        ethertype[1] = version == 6 ? 0xdd : 0;
    } else if (s->data_size >= 14) {
        ethertype[0] = buffer[12];
        ethertype[1] = buffer[13];
    }
    uint16_t protocol;
    memcpy(&protocol, ethertype, 2);
    skb.protocol = protocol;
    int is_xdp = program_type == BPF2C_PROG_TYPE_XDP;
    frame = buffer;
    frame_size = s->data_size;
    running_xdp = is_xdp;
    current_is_xdp = is_xdp;
    uint64_t r1 = is_xdp   ? (uint64_t)(uintptr_t)&xdp
                  : is_skb ? (uint64_t)(uintptr_t)&skb
                           : (s->data_size ? (uint64_t)(uintptr_t)buffer : 0);
    bpf2c_invocation_t inv;
    memset(&inv, 0, sizeof inv);
    inv.runtime = &in->rt;
    inv.context = (void *)(uintptr_t)r1;
    inv.loop_budget = loop_budget;
    inv.cpu = s->cpu;
    inv.tail_call_target = -1;
    inv.prandom = &in->prandom;
    uint64_t r0;
    for (;;) {
        r0 = s->module->programs[current].function(r1, s->data_size, 0, 0, 0, &inv);
        /* A legacy packet load outside the packet ends the run returning 0, as in Linux. */
        if (inv.unwind == BPF2C_UNWIND_PACKET_LOAD) {
            r0 = 0;
            inv.unwind = BPF2C_UNWIND_NONE;
            break;
        }
        if (inv.unwind != BPF2C_UNWIND_TAIL_CALL)
            break;
        current = inv.tail_call_target;
        if (current < 0 || (uint32_t)current >= s->module->program_count) {
            printf("step %zu bad-tail-call\n", current_step);
            free(buffer);
            return 1;
        }
        inv.unwind = BPF2C_UNWIND_NONE;
        inv.tail_call_target = -1;
    }
    printf("step %zu r0 %" PRIu64 " unwind %" PRIu32 " at %" PRIu32 " %" PRIu32 " out ",
           current_step, r0, inv.unwind, inv.unwind_function, inv.unwind_pc);
    for (size_t i = 0; i < s->data_size; i++)
        printf("%02x", buffer[i]);
    printf("-\n");
    free(buffer);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t loop_budget = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000000u;
    int failed = 0;
    for (current_step = 0; current_step < drv_step_count; current_step++) {
        const drv_step_t *s = &drv_steps[current_step];
        switch (s->kind) {
        case DRV_RUN: failed |= run_step(s, loop_budget); break;
        case DRV_UPDATE: failed |= update_step(s); break;
        case DRV_DUMP: failed |= dump_step(s); break;
        case DRV_COMPARE: failed |= compare_step(s); break;
        default:
            printf("step %zu bad-kind\n", current_step);
            failed = 1;
        }
        fflush(stdout);
    }
    for (size_t i = 0; i < instance_count; i++) {
        drv_instance_t *in = instances[i];
        for (uint32_t k = 0; k < in->module->map_count; k++) {
            free(in->maps[k].values);
            free(in->maps[k].keys);
            free(in->maps[k].used);
            free(in->maps[k].stamp);
            free(in->maps[k].programs);
            free(in->maps[k].ring);
            free(in->maps[k].perf_used);
            free(in->maps[k].perf_lost);
        }
        free(in->maps);
        free(in->map_data);
        free(in->helpers);
        free(in);
    }
    free(instances);
    return failed;
}
