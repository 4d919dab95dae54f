// Calls of a host helper declared in the test (bpf2c/tests/verify_reject.rs, HOST_SUM):
// id 1002, `host_sum(readable-mem-or-null, const-size-or-zero)`. Such an argument may be
// NULL only with size 0, so the helper may read `size` bytes whenever the pointer is not
// NULL or the size is not 0. The line marked `REJECT(<program>)` is where the verifier must
// point; the `ok_*` programs are the safe counterparts and must verify.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static long (*const host_sum)(const void *mem, __u32 size) = (void *)1002;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, __u64[2]);
} hashed SEC(".maps");

/* A map value that may be NULL, passed with size 16: the helper would read 16 bytes at 0. */
SEC("xdp") int maybe_null_value(struct xdp_md *ctx)
{
	__u64 key = 0;
	__u64 *v = bpf_map_lookup_elem(&hashed, &key);

	return host_sum(v, 16); // REJECT(maybe_null_value)
}

/* The same value, checked first. */
SEC("xdp") int ok_checked_value(struct xdp_md *ctx)
{
	__u64 key = 0;
	__u64 *v = bpf_map_lookup_elem(&hashed, &key);

	return v ? host_sum(v, 16) : 0;
}

/* A possibly-NULL value with size 0, and a literal NULL with size 0: nothing is read. */
SEC("xdp") int ok_empty(struct xdp_md *ctx)
{
	__u64 key = 0;
	__u64 *v = bpf_map_lookup_elem(&hashed, &key);

	return host_sum(v, 0) + host_sum(0, 0);
}

char LICENSE[] SEC("license") = "GPL";
