// One map of each class the runtime does not implement but verification must know: event
// output (perf event array, ring buffer), longest-prefix match, redirect targets (device,
// CPU and AF_XDP socket maps) and maps of maps whose inner map BTF describes, one of them filled through `.values`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring SEC(".maps");

struct lpm_v4_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} sockets SEC(".maps");

struct inner_counts {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_counts);
} counts_by_slot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_counts);
} counts_by_id SEC(".maps");

/* A map of maps filled when loaded: slot 0 holds `counts_slot0`. */
struct inner_counts counts_slot0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_counts);
} counts_preset SEC(".maps") = {
	.values = { [0] = &counts_slot0 },
};

/* Sends the packet length to user space both ways. */
SEC("tc") int emit_len(struct __sk_buff *skb)
{
	__u64 len = skb->len;

	bpf_perf_event_output(skb, &perf_events, BPF_F_CURRENT_CPU, &len, sizeof(len));
	return bpf_ringbuf_output(&ring, &len, sizeof(len), 0) ? 2 : 0;
}

/* Redirects by the route the destination matches. */
SEC("xdp") int route(struct xdp_md *ctx)
{
	struct lpm_v4_key key = { .prefixlen = 32, .addr = ctx->ingress_ifindex };
	__u32 *port = bpf_map_lookup_elem(&routes, &key);

	if (!port)
		return bpf_redirect_map(&cpus, 0, XDP_PASS);
	if (*port == 0)
		return bpf_redirect_map(&sockets, ctx->rx_queue_index, XDP_PASS);
	return bpf_redirect_map(&ports, *port, XDP_DROP);
}

/* Counts in the inner map of each outer map: the inner value is a u64 the verifier must
 * know the size of. */
static int bump(void *outer, __u32 slot)
{
	__u32 zero = 0;
	void *inner = bpf_map_lookup_elem(outer, &slot);
	__u64 *count;

	if (!inner)
		return 0;
	count = bpf_map_lookup_elem(inner, &zero);
	if (!count)
		return 0;
	*count += 1;
	return 1;
}

SEC("xdp") int count_nested(struct xdp_md *ctx)
{
	int bumped = bump(&counts_by_slot, 1) + bump(&counts_by_id, 7) + bump(&counts_preset, 0);

	return bumped ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
