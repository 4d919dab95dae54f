// Two programs of one object, one of which fails verification (it reads the packet without
// a data_end check, line 26). `run --program counted` still runs the other, as a program
// runs whatever the other programs of its object do; `verify`, `gen` and `run` of
// `unchecked` refuse.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} runs SEC(".maps");

SEC("xdp") int counted(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&runs, &zero);

	return n ? (int)__sync_fetch_and_add(n, 1) + XDP_PASS : XDP_ABORTED;
}

SEC("xdp") int unchecked(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	return data[14];
}

char LICENSE[] SEC("license") = "GPL";
