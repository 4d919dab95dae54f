/*
 * The C compiler's view of bpf2c.h: every struct's size, alignment and field offsets and
 * every constant, printed as "name value" lines. tests/header_layout.rs compiles and runs
 * this program and compares its output with the Rust mirrors in src/ffi.rs and the context
 * tables in src/context.rs, so a drift between the header and the Rust side fails the tests
 * instead of corrupting memory. The list is kept by hand, independently of the Rust side, so
 * a field added on one side only shows up as a difference.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpf2c.h"

typedef struct layout_entry {
    const char *name;
    uint64_t value;
} layout_entry_t;

#define SIZE(t) {"sizeof " #t, sizeof(t)}
#define ALIGN(t) {"alignof " #t, _Alignof(t)}
#define OFF(t, f) {#t "." #f, offsetof(t, f)}
#define CONST(c) {#c, (uint64_t)(c)}

static const layout_entry_t layout[] = {
    SIZE(bpf2c_map_data_t),
    ALIGN(bpf2c_map_data_t),
    OFF(bpf2c_map_data_t, version),
    OFF(bpf2c_map_data_t, size),
    OFF(bpf2c_map_data_t, address),
    OFF(bpf2c_map_data_t, array_data),
    OFF(bpf2c_map_data_t, cpu_stride),
    OFF(bpf2c_map_data_t, lookup),

    SIZE(bpf2c_runtime_context_t),
    ALIGN(bpf2c_runtime_context_t),
    OFF(bpf2c_runtime_context_t, version),
    OFF(bpf2c_runtime_context_t, size),
    OFF(bpf2c_runtime_context_t, helpers),
    OFF(bpf2c_runtime_context_t, map_data),
    OFF(bpf2c_runtime_context_t, helper_by_id),

    SIZE(bpf2c_invocation_t),
    ALIGN(bpf2c_invocation_t),
    OFF(bpf2c_invocation_t, runtime),
    OFF(bpf2c_invocation_t, context),
    OFF(bpf2c_invocation_t, loop_budget),
    OFF(bpf2c_invocation_t, unwind),
    OFF(bpf2c_invocation_t, cpu),
    OFF(bpf2c_invocation_t, unwind_pc),
    OFF(bpf2c_invocation_t, unwind_function),
    OFF(bpf2c_invocation_t, tail_call_count),
    OFF(bpf2c_invocation_t, tail_call_target),
    OFF(bpf2c_invocation_t, host),
    OFF(bpf2c_invocation_t, prandom),

    SIZE(bpf2c_prandom_t),
    ALIGN(bpf2c_prandom_t),
    OFF(bpf2c_prandom_t, state),
    OFF(bpf2c_prandom_t, shared),
    OFF(bpf2c_prandom_t, reserved),

    SIZE(bpf2c_xdp_md_t),
    ALIGN(bpf2c_xdp_md_t),
    OFF(bpf2c_xdp_md_t, data),
    OFF(bpf2c_xdp_md_t, data_end),
    OFF(bpf2c_xdp_md_t, data_meta),
    OFF(bpf2c_xdp_md_t, ingress_ifindex),
    OFF(bpf2c_xdp_md_t, rx_queue_index),
    OFF(bpf2c_xdp_md_t, egress_ifindex),

    SIZE(bpf2c_xdp_context_t),
    ALIGN(bpf2c_xdp_context_t),
    OFF(bpf2c_xdp_context_t, data),
    OFF(bpf2c_xdp_context_t, data_end),
    OFF(bpf2c_xdp_context_t, data_meta),
    OFF(bpf2c_xdp_context_t, ingress_ifindex),
    OFF(bpf2c_xdp_context_t, rx_queue_index),
    OFF(bpf2c_xdp_context_t, egress_ifindex),
    OFF(bpf2c_xdp_context_t, reserved),
    SIZE(bpf2c_skb_context_t),
    ALIGN(bpf2c_skb_context_t),
    OFF(bpf2c_skb_context_t, data),
    OFF(bpf2c_skb_context_t, data_end),
    OFF(bpf2c_skb_context_t, data_meta),
    OFF(bpf2c_skb_context_t, len),
    OFF(bpf2c_skb_context_t, pkt_type),
    OFF(bpf2c_skb_context_t, mark),
    OFF(bpf2c_skb_context_t, queue_mapping),
    OFF(bpf2c_skb_context_t, protocol),
    OFF(bpf2c_skb_context_t, vlan_present),
    OFF(bpf2c_skb_context_t, vlan_tci),
    OFF(bpf2c_skb_context_t, vlan_proto),
    OFF(bpf2c_skb_context_t, priority),
    OFF(bpf2c_skb_context_t, ingress_ifindex),
    OFF(bpf2c_skb_context_t, ifindex),
    OFF(bpf2c_skb_context_t, tc_index),
    OFF(bpf2c_skb_context_t, cb),
    OFF(bpf2c_skb_context_t, hash),
    OFF(bpf2c_skb_context_t, tc_classid),
    OFF(bpf2c_skb_context_t, napi_id),
    OFF(bpf2c_skb_context_t, family),
    OFF(bpf2c_skb_context_t, remote_ip4),
    OFF(bpf2c_skb_context_t, local_ip4),
    OFF(bpf2c_skb_context_t, remote_ip6),
    OFF(bpf2c_skb_context_t, local_ip6),
    OFF(bpf2c_skb_context_t, remote_port),
    OFF(bpf2c_skb_context_t, local_port),
    OFF(bpf2c_skb_context_t, wire_len),
    OFF(bpf2c_skb_context_t, gso_segs),
    OFF(bpf2c_skb_context_t, gso_size),
    OFF(bpf2c_skb_context_t, tstamp),
    OFF(bpf2c_skb_context_t, hwtstamp),
    OFF(bpf2c_skb_context_t, flow_keys),
    OFF(bpf2c_skb_context_t, sk),
    OFF(bpf2c_skb_context_t, tstamp_type),
    OFF(bpf2c_skb_context_t, reserved),

    SIZE(bpf2c_map_definition_t),
    ALIGN(bpf2c_map_definition_t),
    OFF(bpf2c_map_definition_t, type),
    OFF(bpf2c_map_definition_t, key_size),
    OFF(bpf2c_map_definition_t, value_size),
    OFF(bpf2c_map_definition_t, max_entries),
    OFF(bpf2c_map_definition_t, map_flags),

    SIZE(bpf2c_map_entry_t),
    ALIGN(bpf2c_map_entry_t),
    OFF(bpf2c_map_entry_t, name),
    OFF(bpf2c_map_entry_t, definition),
    OFF(bpf2c_map_entry_t, flags),
    OFF(bpf2c_map_entry_t, initial_data_size),
    OFF(bpf2c_map_entry_t, initial_data),
    OFF(bpf2c_map_entry_t, initial_program_count),
    OFF(bpf2c_map_entry_t, initial_programs),

    SIZE(bpf2c_map_initial_program_t),
    ALIGN(bpf2c_map_initial_program_t),
    OFF(bpf2c_map_initial_program_t, index),
    OFF(bpf2c_map_initial_program_t, program),

    SIZE(bpf2c_helper_entry_t),
    ALIGN(bpf2c_helper_entry_t),
    OFF(bpf2c_helper_entry_t, id),
    OFF(bpf2c_helper_entry_t, name),

    SIZE(bpf2c_program_entry_t),
    ALIGN(bpf2c_program_entry_t),
    OFF(bpf2c_program_entry_t, name),
    OFF(bpf2c_program_entry_t, section),
    OFF(bpf2c_program_entry_t, program_type),
    OFF(bpf2c_program_entry_t, instruction_count),
    OFF(bpf2c_program_entry_t, function),

    SIZE(bpf2c_function_entry_t),
    ALIGN(bpf2c_function_entry_t),
    OFF(bpf2c_function_entry_t, name),

    SIZE(bpf2c_map_assumption_t),
    ALIGN(bpf2c_map_assumption_t),
    OFF(bpf2c_map_assumption_t, map),
    OFF(bpf2c_map_assumption_t, uses),
    OFF(bpf2c_map_assumption_t, definition),
    OFF(bpf2c_map_assumption_t, reserved),
    OFF(bpf2c_map_assumption_t, stride),

    SIZE(bpf2c_module_t),
    ALIGN(bpf2c_module_t),
    OFF(bpf2c_module_t, magic),
    OFF(bpf2c_module_t, abi_version),
    OFF(bpf2c_module_t, module_size),
    OFF(bpf2c_module_t, map_data_version),
    OFF(bpf2c_module_t, map_data_size),
    OFF(bpf2c_module_t, runtime_context_size),
    OFF(bpf2c_module_t, invocation_size),
    OFF(bpf2c_module_t, flags),
    OFF(bpf2c_module_t, name),
    OFF(bpf2c_module_t, maps),
    OFF(bpf2c_module_t, map_count),
    OFF(bpf2c_module_t, helper_count),
    OFF(bpf2c_module_t, helpers),
    OFF(bpf2c_module_t, programs),
    OFF(bpf2c_module_t, program_count),
    OFF(bpf2c_module_t, function_count),
    OFF(bpf2c_module_t, functions),
    OFF(bpf2c_module_t, map_assumption_count),
    OFF(bpf2c_module_t, reserved),
    OFF(bpf2c_module_t, map_assumptions),

    CONST(BPF2C_PRANDOM_GAMMA),
    CONST(BPF2C_MAX_XDP_PACKET),
    CONST(BPF2C_MAX_SKB_PACKET),
    CONST(BPF2C_MAX_RAW_DATA),
    CONST(BPF2C_ABI_MAGIC),
    CONST(BPF2C_ABI_VERSION),
    CONST(BPF2C_MAP_DATA_VERSION),
    CONST(BPF2C_RUNTIME_CONTEXT_VERSION),
    CONST(BPF2C_STACK_SIZE),
    CONST(BPF2C_MAX_CALL_DEPTH),
    CONST(BPF2C_MAX_TAIL_CALLS),
    CONST(BPF2C_ARRAY_STRIDE(12)),
    CONST(BPF2C_ARRAY_STRIDE(16)),
    CONST(BPF2C_MAP_TYPE_HASH),
    CONST(BPF2C_MAP_TYPE_ARRAY),
    CONST(BPF2C_MAP_TYPE_PROG_ARRAY),
    CONST(BPF2C_MAP_TYPE_PERCPU_HASH),
    CONST(BPF2C_MAP_TYPE_PERCPU_ARRAY),
    CONST(BPF2C_MAP_TYPE_LRU_HASH),
    CONST(BPF2C_PROG_TYPE_RAW),
    CONST(BPF2C_PROG_TYPE_XDP),
    CONST(BPF2C_PROG_TYPE_SOCKET_FILTER),
    CONST(BPF2C_PROG_TYPE_SCHED_CLS),
    CONST(BPF2C_PROG_TYPE_SCHED_ACT),
    CONST(BPF2C_PROG_TYPE_CGROUP_SKB),
    CONST(BPF2C_MAP_F_GLOBAL_DATA),
    CONST(BPF2C_MAP_F_READ_ONLY),
    CONST(BPF2C_MAP_F_INLINED),
    CONST(BPF2C_MAP_USE_ARRAY_DATA),
    CONST(BPF2C_MAP_USE_LOOKUP),
    CONST(BPF2C_MODULE_F_VERIFIED),
    CONST(BPF2C_MODULE_F_OPTIMIZED),
    CONST(BPF2C_UNWIND_NONE),
    CONST(BPF2C_UNWIND_TAIL_CALL),
    CONST(BPF2C_UNWIND_LOOP_BUDGET),
    CONST(BPF2C_UNWIND_BAD_HELPER),
    CONST(BPF2C_UNWIND_PACKET_LOAD),
};

int main(void)
{
    for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
        printf("%s %llu\n", layout[i].name, (unsigned long long)layout[i].value);
    return 0;
}
