// XDP firewall and forwarder, written for the kernel as any XDP program is: against
// <linux/bpf.h> and libbpf's headers, with nothing specific to bpf2c.
//
// For each frame (an optional 802.1Q/802.1ad VLAN tag allowed):
// - IPv4 or IPv6 whose source address falls in a prefix of `blocklist_v4`/`blocklist_v6`
//   (LPM_TRIE, filled by the host) is dropped, and a `struct drop_event` goes to the
//   `drops` ring buffer;
// - an IP header cut short by the end of the frame is dropped as malformed (same event);
// - TCP or UDP to a destination port listed in `forward_ports` (HASH: port -> slot of the
//   DEVMAP `tx_ports`) is forwarded: TTL (or hop limit) decremented, the IPv4 header
//   checksum updated with bpf_csum_diff, and the frame redirected with bpf_redirect_map.
//   A packet whose TTL would reach zero is passed to the stack instead, which answers it
//   with ICMP time exceeded;
// - everything else passes.
// `action_stats` (PERCPU_ARRAY, indexed by XDP action) counts packets and bytes per verdict.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8

/* Why a packet was dropped, in struct drop_event. */
enum drop_reason {
	REASON_BLOCKLIST = 1,
	REASON_MALFORMED = 2,
};

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

/* Both ports are the first four bytes of TCP and UDP headers alike. */
struct ports {
	__be16 source;
	__be16 dest;
};

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct drop_event {
	__u8 family; /* 4 or 6 */
	__u8 reason; /* enum drop_reason */
	__u8 protocol; /* IPPROTO_* when known */
	__u8 pad;
	__u16 sport; /* host order, 0 when not TCP/UDP */
	__u16 dport;
	__u8 saddr[16]; /* IPv4 in the first 4 bytes */
};

struct datarec {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocklist_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct lpm_v6_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocklist_v6 SEC(".maps");

/* Destination port (host order) -> slot of tx_ports. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u32);
} forward_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_REDIRECT + 1);
	__type(key, __u32);
	__type(value, struct datarec);
} action_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} drops SEC(".maps");

static __always_inline int count(struct xdp_md *ctx, __u32 action)
{
	struct datarec *rec = bpf_map_lookup_elem(&action_stats, &action);

	if (rec) {
		/* Per-CPU values: no other CPU writes this one. */
		rec->packets++;
		rec->bytes += ctx->data_end - ctx->data;
	}
	return action;
}

static __always_inline void report_drop(__u8 family, __u8 reason, __u8 protocol,
					const __u8 *saddr, int saddr_len, struct ports *ports)
{
	struct drop_event *e = bpf_ringbuf_reserve(&drops, sizeof(*e), 0);

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->family = family;
	e->reason = reason;
	e->protocol = protocol;
	if (ports) {
		e->sport = bpf_ntohs(ports->source);
		e->dport = bpf_ntohs(ports->dest);
	}
	if (saddr_len == 4)
		__builtin_memcpy(e->saddr, saddr, 4);
	else if (saddr_len == 16)
		__builtin_memcpy(e->saddr, saddr, 16);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline __u16 csum_fold(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

/* The TCP or UDP ports after an IP header, or NULL. */
static __always_inline struct ports *l4_ports(void *l4, void *data_end, __u8 protocol)
{
	struct ports *p = l4;

	if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP)
		return NULL;
	if ((void *)(p + 1) > data_end)
		return NULL;
	return p;
}

/* The devmap slot for a destination port, or -1. */
static __always_inline long forward_slot(struct ports *ports)
{
	__u16 port;
	__u32 *slot;

	if (!ports)
		return -1;
	port = bpf_ntohs(ports->dest);
	slot = bpf_map_lookup_elem(&forward_ports, &port);
	return slot ? (long)*slot : -1;
}

static __always_inline int handle_ipv4(struct xdp_md *ctx, void *l3, void *data_end)
{
	struct iphdr *ip = l3;
	struct lpm_v4_key key = { .prefixlen = 32 };
	struct ports *ports;
	__u32 old_word, new_word, csum;
	__u16 *ttl_word;
	long slot;

	if ((void *)(ip + 1) > data_end || ip->ihl < 5) {
		report_drop(4, REASON_MALFORMED, 0, NULL, 0, NULL);
		return count(ctx, XDP_DROP);
	}
	ports = l4_ports((void *)ip + ip->ihl * 4, data_end, ip->protocol);
	__builtin_memcpy(key.addr, &ip->saddr, 4);
	if (bpf_map_lookup_elem(&blocklist_v4, &key)) {
		report_drop(4, REASON_BLOCKLIST, ip->protocol, key.addr, 4, ports);
		return count(ctx, XDP_DROP);
	}
	slot = forward_slot(ports);
	if (slot < 0 || ip->ttl <= 1)
		return count(ctx, XDP_PASS);
	/* ttl and protocol share a 16-bit word of the header: its old and new value,
	 * zero-padded to the 32 bits bpf_csum_diff sums. */
	ttl_word = (__u16 *)&ip->ttl;
	old_word = *ttl_word;
	ip->ttl--;
	new_word = *ttl_word;
	csum = bpf_csum_diff(&old_word, 4, &new_word, 4, ~ip->check & 0xffff);
	ip->check = csum_fold(csum);
	return count(ctx, bpf_redirect_map(&tx_ports, slot, XDP_PASS));
}

static __always_inline int handle_ipv6(struct xdp_md *ctx, void *l3, void *data_end)
{
	struct ipv6hdr *ip6 = l3;
	struct lpm_v6_key key = { .prefixlen = 128 };
	struct ports *ports;
	long slot;

	if ((void *)(ip6 + 1) > data_end) {
		report_drop(6, REASON_MALFORMED, 0, NULL, 0, NULL);
		return count(ctx, XDP_DROP);
	}
	ports = l4_ports(ip6 + 1, data_end, ip6->nexthdr);
	__builtin_memcpy(key.addr, &ip6->saddr, 16);
	if (bpf_map_lookup_elem(&blocklist_v6, &key)) {
		report_drop(6, REASON_BLOCKLIST, ip6->nexthdr, key.addr, 16, ports);
		return count(ctx, XDP_DROP);
	}
	slot = forward_slot(ports);
	if (slot < 0 || ip6->hop_limit <= 1)
		return count(ctx, XDP_PASS);
	/* IPv6 has no header checksum. */
	ip6->hop_limit--;
	return count(ctx, bpf_redirect_map(&tx_ports, slot, XDP_PASS));
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3;
	__u16 proto;

	if ((void *)(eth + 1) > data_end)
		return count(ctx, XDP_DROP);
	proto = eth->h_proto;
	l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q_) || proto == bpf_htons(ETH_P_8021AD_)) {
		struct vlan_hdr *vlan = l3;

		if ((void *)(vlan + 1) > data_end)
			return count(ctx, XDP_DROP);
		proto = vlan->encapsulated_proto;
		l3 = vlan + 1;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return handle_ipv4(ctx, l3, data_end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return handle_ipv6(ctx, l3, data_end);
	return count(ctx, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
