/*
 * A small stand-in for bpf2c-runtime, in C, so that generated modules can run inside an
 * executable built with -fsanitize=undefined,address: the sanitizers then watch the
 * generated code itself. Every packet or buffer is a heap block of exactly its size, so an
 * access past its end is caught.
 *
 * It implements the module ABI of bpf2c.h with one CPU: ARRAY, PERCPU_ARRAY and global
 * data (contiguous elements), HASH, PERCPU_HASH and LRU_HASH (a linear table; LRU evicts
 * the entry with the oldest use), PROG_ARRAY with tail calls, and the helpers map
 * lookup/update/delete, ktime_get_ns, trace_printk (d/i/u/x with l/ll), get_prandom_u32,
 * get_smp_processor_id, tail_call and get_current_pid_tgid.
 *
 * Output, one line per step: "step <i> r0 <r0> unwind <reason> out <hex>" for a run,
 * "step <i> update <result>" for a map update, and "trace <i> <text>" per trace_printk.
 * A step with neither a program nor a map dumps the module's maps: "step <i> dump" and then
 * "map <i> <map index> <key hex> <value hex>" for every element present (every array
 * element; hash entries in slot order).
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

#include "san_driver.h"

typedef struct drv_map {
    uint32_t type, key_size, value_size, max_entries;
    uint64_t stride;
    uint8_t *values;
    uint8_t *keys;     /* hash maps: max_entries keys */
    uint8_t *used;     /* hash maps: slot in use */
    uint64_t *stamp;   /* hash maps: last use, for LRU */
    int32_t *programs; /* PROG_ARRAY: program index or -1 */
    uint64_t clock;
} drv_map_t;

typedef struct drv_instance {
    const bpf2c_module_t *module;
    drv_map_t *maps;
    bpf2c_map_data_t *map_data;
    bpf2c_helper_fn *helpers;
    bpf2c_runtime_context_t rt;
} drv_instance_t;

static drv_instance_t *instances;
static size_t instance_count, instance_capacity;
static size_t current_step;
/* The generator inlined bpf_get_prandom_u32 calls and h_prandom both step. */
static bpf2c_prandom_t generator = {0x9e3779b97f4a7c15u, 0, 0};

static uint64_t neg(int e) { return (uint64_t)-(int64_t)e; }

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static int is_hash(uint32_t t)
{
    return t == BPF2C_MAP_TYPE_HASH || t == BPF2C_MAP_TYPE_PERCPU_HASH ||
           t == BPF2C_MAP_TYPE_LRU_HASH;
}

static uint32_t key_index(const void *key)
{
    uint32_t k;
    memcpy(&k, key, 4);
    return k;
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
    (void)cpu;
    if (m->type == BPF2C_MAP_TYPE_ARRAY || m->type == BPF2C_MAP_TYPE_PERCPU_ARRAY) {
        uint32_t k = key_index(key);
        return k < m->max_entries ? m->values + k * m->stride : NULL;
    }
    if (is_hash(m->type)) {
        long s = find_slot(m, key);
        if (s < 0)
            return NULL;
        m->stamp[s] = ++m->clock;
        return m->values + (size_t)s * m->stride;
    }
    return NULL;
}

static uint64_t map_update(drv_map_t *m, const void *key, const void *value, uint64_t flags)
{
    if (flags > 2)
        return neg(EINVAL);
    if (m->type == BPF2C_MAP_TYPE_ARRAY || m->type == BPF2C_MAP_TYPE_PERCPU_ARRAY) {
        uint32_t k = key_index(key);
        if (k >= m->max_entries)
            return neg(E2BIG);
        if (flags == 1)
            return neg(EEXIST);
        memcpy(m->values + k * m->stride, value, m->value_size);
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
    if (s < 0) {
        for (uint32_t i = 0; i < m->max_entries && s < 0; i++)
            if (!m->used[i])
                s = i;
        if (s < 0 && m->type == BPF2C_MAP_TYPE_LRU_HASH) {
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
    memcpy(m->values + (size_t)s * m->stride, value, m->value_size);
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
    (void)r5, (void)inv;
    return map_update((drv_map_t *)(uintptr_t)r1, (const void *)(uintptr_t)r2,
                      (const void *)(uintptr_t)r3, r4);
}

static uint64_t h_delete(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         bpf2c_invocation_t *inv)
{
    drv_map_t *m = (drv_map_t *)(uintptr_t)r1;
    (void)r3, (void)r4, (void)r5, (void)inv;
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
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)inv;
    return bpf2c_prandom_u32(&generator);
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
    default: return h_missing;
    }
}

static uint64_t helper_by_id(uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                             uint64_t r5, bpf2c_invocation_t *inv)
{
    return helper_for(id > UINT32_MAX ? 0 : (uint32_t)id)(r1, r2, r3, r4, r5, inv);
}

static drv_instance_t *instance_of(const bpf2c_module_t *module)
{
    for (size_t i = 0; i < instance_count; i++)
        if (instances[i].module == module)
            return &instances[i];
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
    drv_instance_t *in = &instances[instance_count++];
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
        m->values = xcalloc(m->max_entries, m->stride);
        if (is_hash(m->type)) {
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
            d->cpu_stride = m->type == BPF2C_MAP_TYPE_PERCPU_ARRAY ? m->stride * m->max_entries : 0;
        }
        d->lookup = m->type == BPF2C_MAP_TYPE_PROG_ARRAY ? NULL : map_lookup;
    }
    in->helpers = xcalloc(module->helper_count, sizeof *in->helpers);
    for (uint32_t k = 0; k < module->helper_count; k++)
        in->helpers[k] = helper_for(module->helpers[k].id);
    in->rt.version = BPF2C_RUNTIME_CONTEXT_VERSION;
    in->rt.size = sizeof in->rt;
    in->rt.helpers = in->helpers;
    in->rt.map_data = in->map_data;
    in->rt.helper_by_id = helper_by_id;
    return in;
}

static int program_index(const bpf2c_module_t *module, const char *name)
{
    for (uint32_t p = 0; p < module->program_count; p++)
        if (strcmp(module->programs[p].name, name) == 0)
            return (int)p;
    return -1;
}

static int update_step(const drv_step_t *s)
{
    drv_instance_t *in = instance_of(s->module);
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
               (int64_t)map_update(m, s->data, s->value, 0));
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
    drv_instance_t *in = instance_of(s->module);
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
            print_hex(m->values + (size_t)k * m->stride, m->value_size);
            printf("\n");
        }
    }
    return 0;
}

static int run_step(const drv_step_t *s)
{
    drv_instance_t *in = instance_of(s->module);
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
        (uint64_t)(uintptr_t)buffer, 1, 0, 0, 0,
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
    uint64_t r1 = is_xdp   ? (uint64_t)(uintptr_t)&xdp
                  : is_skb ? (uint64_t)(uintptr_t)&skb
                           : (s->data_size ? (uint64_t)(uintptr_t)buffer : 0);
    bpf2c_invocation_t inv;
    memset(&inv, 0, sizeof inv);
    inv.runtime = &in->rt;
    inv.context = (void *)(uintptr_t)r1;
    inv.loop_budget = 100000000u;
    inv.tail_call_target = -1;
    inv.prandom = &generator;
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
    printf("step %zu r0 %" PRIu64 " unwind %" PRIu32 " out ", current_step, r0, inv.unwind);
    for (size_t i = 0; i < s->data_size; i++)
        printf("%02x", buffer[i]);
    printf("-\n");
    free(buffer);
    return 0;
}

int main(void)
{
    int failed = 0;
    for (current_step = 0; current_step < drv_step_count; current_step++) {
        const drv_step_t *s = &drv_steps[current_step];
        failed |= s->program ? run_step(s) : s->map ? update_step(s) : dump_step(s);
        fflush(stdout);
    }
    for (size_t i = 0; i < instance_count; i++) {
        drv_instance_t *in = &instances[i];
        for (uint32_t k = 0; k < in->module->map_count; k++) {
            free(in->maps[k].values);
            free(in->maps[k].keys);
            free(in->maps[k].used);
            free(in->maps[k].stamp);
            free(in->maps[k].programs);
        }
        free(in->maps);
        free(in->map_data);
        free(in->helpers);
    }
    free(instances);
    return failed;
}
