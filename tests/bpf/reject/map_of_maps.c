// Programs that change a map of maps. PREVAIL proves them memory-safe, but Linux lets
// programs only look maps of maps up (the host sets their inner maps), so verification
// refuses them; the line marked `REJECT(<program>)` is where it must point.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps");

SEC("xdp") int update_outer(struct xdp_md *ctx)
{
	__u32 key = 1, fd = 3;

	return bpf_map_update_elem(&outer, &key, &fd, BPF_ANY); // REJECT(update_outer)
}

SEC("xdp") int delete_outer(struct xdp_md *ctx)
{
	__u32 key = 1;

	return bpf_map_delete_elem(&outer, &key); // REJECT(delete_outer)
}

char LICENSE[] SEC("license") = "GPL";
