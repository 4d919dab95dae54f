// Bounded loops as clang -O2 compiles them, which the verifier must accept: a map-lookup
// loop, a packet loop checked against data_end, a buffer loop checked against the length,
// and a pure arithmetic loop.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 64); __type(key, __u32); __type(value, __u64); } arr SEC(".maps");

SEC("xdp") int sum_map(struct xdp_md *ctx)
{
	__u64 sum = 0;
	for (__u32 i = 0; i < 64; i++) {
		__u32 k = i;
		__u64 *v = bpf_map_lookup_elem(&arr, &k);
		if (v)
			sum += *v;
	}
	return sum & 0xff;
}

SEC("xdp") int sum_packet(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	__u32 sum = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 64; i++) {
		if (data + i + 1 > end)
			break;
		sum += data[i];
	}
	return sum;
}

SEC("raw") int sum_raw(unsigned char *mem, unsigned long len)
{
	__u32 sum = 0;
#pragma clang loop unroll(disable)
	for (unsigned long i = 0; i < 64; i++) {
		if (i < len)
			sum += mem[i];
	}
	return sum;
}

SEC("xdp") int count64(struct xdp_md *ctx)
{
	__u32 acc = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 64; i++)
		acc = acc * 31 + i;
	return acc;
}
char LICENSE[] SEC("license") = "GPL";
