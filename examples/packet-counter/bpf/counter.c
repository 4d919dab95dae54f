// XDP packet counter: classifies each frame by its network protocol (IPv4, IPv6, ARP,
// other) and, for IP, its transport (TCP, UDP, ICMP, ICMPv6, other), and counts packets and
// bytes per class in an ARRAY map. Frames shorter than an Ethernet header are dropped and
// counted in a global; everything else passes.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Slots of proto_stats; the host names them in the same order. */
enum slot {
	SLOT_IPV4,
	SLOT_IPV6,
	SLOT_ARP,
	SLOT_OTHER_L3,
	SLOT_TCP,
	SLOT_UDP,
	SLOT_ICMP,
	SLOT_ICMPV6,
	SLOT_OTHER_L4,
	SLOT_COUNT,
};

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOT_COUNT);
	__type(key, __u32);
	__type(value, struct counter);
} proto_stats SEC(".maps");

/* Frames too short to hold an Ethernet header. */
__u64 runts;

static __attribute__((always_inline)) void bump(__u32 slot, __u64 len)
{
	struct counter *c = bpf_map_lookup_elem(&proto_stats, &slot);

	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, len);
	}
}

static __attribute__((always_inline)) __u32 l4_slot(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return SLOT_TCP;
	case IPPROTO_UDP:
		return SLOT_UDP;
	case IPPROTO_ICMP:
		return SLOT_ICMP;
	case IPPROTO_ICMPV6:
		return SLOT_ICMPV6;
	default:
		return SLOT_OTHER_L4;
	}
}

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end) {
		__sync_fetch_and_add(&runts, 1);
		return XDP_DROP;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		bump(SLOT_IPV4, len);
		if ((void *)(ip + 1) <= data_end)
			bump(l4_slot(ip->protocol), len);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		bump(SLOT_IPV6, len);
		if ((void *)(ip6 + 1) <= data_end)
			bump(l4_slot(ip6->nexthdr), len);
	} else if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		bump(SLOT_ARP, len);
	} else {
		bump(SLOT_OTHER_L3, len);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
