// Maps of maps in libbpf's BTF syntax: an ARRAY_OF_MAPS of per-tenant counter arrays (slot
// 0 filled at load time by `.values`), and a HASH_OF_MAPS of per-tenant flow tables. The
// host sets the other inner maps; the programs only look them up and use what they find.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Four u64 counters per tenant. */
struct counters {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters_a SEC(".maps"), counters_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct counters);
} tenants SEC(".maps") = {
	.values = { [0] = &counters_a },
};

/* Packets per flow of one tenant. */
struct flow_table {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct flow_table);
} flow_tables SEC(".maps");

/* Byte 0 picks the tenant's slot, byte 1 (mod 4) the counter, which goes up by one; byte 1
 * then holds the counter's old value (its low byte). XDP_DROP when the slot holds no map,
 * XDP_PASS after counting, XDP_ABORTED for a packet shorter than 2 bytes. */
SEC("xdp") int count_by_tenant(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	__u32 slot, index;
	void *inner;
	__u64 *counter;

	if (data + 2 > end)
		return XDP_ABORTED;
	slot = data[0];
	index = data[1] & 3;
	inner = bpf_map_lookup_elem(&tenants, &slot);
	if (!inner)
		return XDP_DROP;
	counter = bpf_map_lookup_elem(inner, &index);
	if (!counter)
		return XDP_DROP;
	data[1] = (unsigned char)__sync_fetch_and_add(counter, 1);
	return XDP_PASS;
}

/* Bytes 0-3: the tenant (host byte order); bytes 4-7: the flow. Counts the flow in the
 * tenant's table, creating its entry at 1; flow 0xffffffff deletes flow 0 instead.
 * XDP_DROP when the tenant has no table or the table is full, XDP_TX after a delete,
 * XDP_PASS after counting. */
SEC("xdp") int count_flows(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 tenant, flow, zero = 0;
	__u64 one = 1, *packets;
	void *table;

	if (data + 8 > end)
		return XDP_ABORTED;
	__builtin_memcpy(&tenant, data, 4);
	__builtin_memcpy(&flow, data + 4, 4);
	table = bpf_map_lookup_elem(&flow_tables, &tenant);
	if (!table)
		return XDP_DROP;
	if (flow == 0xffffffff) {
		bpf_map_delete_elem(table, &zero);
		return XDP_TX;
	}
	packets = bpf_map_lookup_elem(table, &flow);
	if (packets) {
		__sync_fetch_and_add(packets, 1);
		return XDP_PASS;
	}
	if (bpf_map_update_elem(table, &flow, &one, BPF_NOEXIST))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
