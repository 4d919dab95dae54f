// XDP rate limiter: tracks IPv4 TCP/UDP flows in an LRU_HASH map and drops the packets of a
// flow beyond max_pps within one window of window_ns nanoseconds. The limits live in .rodata
// (`const volatile`), which the host sets before loading; `enabled` in .data can be flipped
// while running; totals go to .bss.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* 13 bytes of fields, padded to 16: the host-side struct spells the padding out. */
struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
};

struct flow_state {
	__u64 window_start_ns;
	__u32 in_window;
	__u32 dropped;
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct flow_state);
} flows SEC(".maps");

const volatile __u32 max_pps = 100;
const volatile __u64 window_ns = 1000000000;
__u32 enabled = 1;
__u64 total_passed;
__u64 total_dropped;

SEC("xdp")
int limit_flows(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct flow_key key;
	struct flow_state *st;
	__u64 now;

	if (!enabled)
		return XDP_PASS;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl != 5)
		return XDP_PASS;

	__builtin_memset(&key, 0, sizeof(key));
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.proto = ip->protocol;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);

		if ((void *)(tcp + 1) > data_end)
			return XDP_PASS;
		key.sport = bpf_ntohs(tcp->source);
		key.dport = bpf_ntohs(tcp->dest);
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);

		if ((void *)(udp + 1) > data_end)
			return XDP_PASS;
		key.sport = bpf_ntohs(udp->source);
		key.dport = bpf_ntohs(udp->dest);
	} else {
		return XDP_PASS;
	}

	now = bpf_ktime_get_ns();
	st = bpf_map_lookup_elem(&flows, &key);
	if (!st) {
		struct flow_state fresh;

		__builtin_memset(&fresh, 0, sizeof(fresh));
		fresh.window_start_ns = now;
		bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&flows, &key);
		if (!st)
			return XDP_PASS;
	}
	if (now - st->window_start_ns >= window_ns) {
		st->window_start_ns = now;
		st->in_window = 0;
	}
	st->packets++;
	st->bytes += data_end - data;
	if (st->in_window >= max_pps) {
		st->dropped++;
		__sync_fetch_and_add(&total_dropped, 1);
		return XDP_DROP;
	}
	st->in_window++;
	__sync_fetch_and_add(&total_passed, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
