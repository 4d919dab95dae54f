// XDP programs that resize their packet and redirect it. Each takes its arguments from the
// start of the packet, so one object covers every limit:
//   adjust_head, adjust_tail, adjust_meta: bytes 0..4 hold the (signed, little-endian) delta;
//     the program returns the helper's result and, on success, marks the new edge:
//     0xaa at the new first byte (adjust_head), 0xbb at the new last byte (adjust_tail),
//     0x11223344 (host order) in the first four metadata bytes (adjust_meta).
//   redirect_ifindex: bytes 0..4 ifindex, 4..8 flags; returns bpf_redirect's action.
//   to_dev, to_dev_hash, to_cpu, to_xsk: bytes 0..4 key, 4..8 flags; return
//     bpf_redirect_map's action over devs, dev_hash, cpus and xsks.
//   encap_ipip: prepends a 20-byte outer IPv4 header (protocol 4) after the Ethernet header
//     with adjust_head(-20); returns XDP_TX, or XDP_ABORTED when the helper fails.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} dev_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

/* Two little-endian words from the start of the packet, or -1 when it is too short. */
static __attribute__((always_inline)) int args(struct xdp_md *ctx, __u32 *a, __u32 *b)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;

	if (data + 8 > end)
		return -1;
	*a = data[0] | data[1] << 8 | data[2] << 16 | (__u32)data[3] << 24;
	*b = data[4] | data[5] << 8 | data[6] << 16 | (__u32)data[7] << 24;
	return 0;
}

SEC("xdp")
int adjust_head(struct xdp_md *ctx)
{
	__u32 delta, unused;
	long ret;

	if (args(ctx, &delta, &unused))
		return XDP_DROP;
	ret = bpf_xdp_adjust_head(ctx, (int)delta);
	if (ret == 0) {
		unsigned char *data = (void *)(long)ctx->data;
		if (data + 1 <= (unsigned char *)(long)ctx->data_end)
			data[0] = 0xaa;
	}
	return ret;
}

SEC("xdp")
int adjust_tail(struct xdp_md *ctx)
{
	__u32 delta, unused;
	long ret;

	if (args(ctx, &delta, &unused))
		return XDP_DROP;
	ret = bpf_xdp_adjust_tail(ctx, (int)delta);
	if (ret == 0) {
		unsigned char *data = (void *)(long)ctx->data;
		unsigned char *end = (void *)(long)ctx->data_end;
		long len = end - data;
		unsigned char *last;

		if (len < 1 || len > 65535)
			return ret;
		last = data + (len - 1);
		if (last + 1 <= end)
			*last = 0xbb;
	}
	return ret;
}

SEC("xdp")
int adjust_meta(struct xdp_md *ctx)
{
	__u32 delta, unused;
	long ret;

	if (args(ctx, &delta, &unused))
		return XDP_DROP;
	ret = bpf_xdp_adjust_meta(ctx, (int)delta);
	if (ret == 0) {
		__u32 *meta = (void *)(long)ctx->data_meta;
		if ((void *)(meta + 1) <= (void *)(long)ctx->data)
			*meta = 0x11223344;
	}
	return ret;
}

SEC("xdp")
int redirect_ifindex(struct xdp_md *ctx)
{
	__u32 ifindex, flags;

	if (args(ctx, &ifindex, &flags))
		return XDP_DROP;
	return bpf_redirect(ifindex, flags);
}

SEC("xdp")
int to_dev(struct xdp_md *ctx)
{
	__u32 key, flags;

	if (args(ctx, &key, &flags))
		return XDP_DROP;
	return bpf_redirect_map(&devs, key, flags);
}

SEC("xdp")
int to_dev_hash(struct xdp_md *ctx)
{
	__u32 key, flags;

	if (args(ctx, &key, &flags))
		return XDP_DROP;
	return bpf_redirect_map(&dev_hash, key, flags);
}

SEC("xdp")
int to_cpu(struct xdp_md *ctx)
{
	__u32 key, flags;

	if (args(ctx, &key, &flags))
		return XDP_DROP;
	return bpf_redirect_map(&cpus, key, flags);
}

SEC("xdp")
int to_xsk(struct xdp_md *ctx)
{
	__u32 key, flags;

	if (args(ctx, &key, &flags))
		return XDP_DROP;
	return bpf_redirect_map(&xsks, key, flags);
}

SEC("xdp")
int encap_ipip(struct xdp_md *ctx)
{
	struct ethhdr *eth, *old;
	struct iphdr *outer;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_ABORTED;
	eth = (void *)(long)ctx->data;
	old = (void *)((unsigned char *)eth + sizeof(struct iphdr));
	outer = (void *)(eth + 1);
	if ((void *)(old + 1) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, old, sizeof(*eth));
	__builtin_memset(outer, 0, sizeof(*outer));
	outer->version = 4;
	outer->ihl = 5;
	outer->ttl = 64;
	outer->protocol = 4; /* IPPROTO_IPIP */
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
