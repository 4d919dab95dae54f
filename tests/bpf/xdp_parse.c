// XDP: parse Ethernet and IPv4 with bounds checks; reflect IPv4 packets back out (swap MACs,
// decrement TTL with an incremental checksum update), pass non-IPv4, drop truncated packets
// and packets whose TTL would expire. Counts each verdict in `verdicts`.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __attribute__((always_inline)) int count(int action)
{
	__u32 key = action;
	__u64 *v = bpf_map_lookup_elem(&verdicts, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return action;
}

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	unsigned char tmp[ETH_ALEN];
	__u32 sum;

	if ((void *)(eth + 1) > data_end)
		return count(XDP_DROP);
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return count(XDP_PASS);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return count(XDP_DROP);
	if (ip->ttl <= 1)
		return count(XDP_DROP);

	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);

	/* RFC 1624: TTL is the high byte of a 16-bit word, so the checksum rises by 0x0100. */
	ip->ttl--;
	sum = ip->check + bpf_htons(0x0100);
	ip->check = sum + (sum >> 16);
	return count(XDP_TX);
}

/* Passes everything; a second program in its own xdp/ section. */
SEC("xdp/pass")
int xdp_pass_all(struct xdp_md *ctx)
{
	return count(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
