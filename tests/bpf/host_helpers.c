// XDP programs calling the helpers that compute or consult the host's world:
// bpf_csum_diff (a full IPv4 header checksum, and an incremental one after NAT of the
// destination) and bpf_fib_lookup (forwarding as the kernel's samples/bpf/xdp_fwd_kern.c
// does: MACs from the lookup, TTL - 1). The results the host cannot see in the packet are
// kept in global variables.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2

__u64 last_diff;	/* r0 of the last bpf_csum_diff */
__s64 fib_rc;		/* r0 of the last bpf_fib_lookup */
__u32 fib_ifindex;	/* the egress ifindex it gave */
__u32 fib_mtu;		/* mtu_result */

static __attribute__((always_inline)) __u16 fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __attribute__((always_inline)) struct iphdr *ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return 0;
	return ip;
}

/* Writes the IPv4 header checksum, summed by bpf_csum_diff. */
SEC("xdp")
int ip_checksum(struct xdp_md *ctx)
{
	struct iphdr *ip = ipv4(ctx);

	if (!ip)
		return XDP_PASS;
	ip->check = 0;
	last_diff = bpf_csum_diff(0, 0, (__be32 *)ip, sizeof(*ip), 0);
	ip->check = fold(last_diff);
	return XDP_TX;
}

/* Rewrites the destination to 192.168.0.1, updating the checksum by difference. */
SEC("xdp")
int nat_destination(struct xdp_md *ctx)
{
	struct iphdr *ip = ipv4(ctx);
	__be32 old, new = bpf_htonl(0xc0a80001);

	if (!ip)
		return XDP_PASS;
	old = ip->daddr;
	ip->daddr = new;
	last_diff = bpf_csum_diff(&old, 4, &new, 4, ~ip->check & 0xffff);
	ip->check = fold(last_diff);
	return XDP_TX;
}

/* Forwards by the host's FIB: XDP_TX with the next hop's MACs and TTL - 1, else PASS. */
SEC("xdp")
int fib_forward(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *ip = ipv4(ctx);
	struct bpf_fib_lookup p;
	__u32 check;

	if (!ip)
		return XDP_PASS;
	__builtin_memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.tos = ip->tos;
	p.l4_protocol = ip->protocol;
	p.tot_len = bpf_ntohs(ip->tot_len);
	p.ipv4_src = ip->saddr;
	p.ipv4_dst = ip->daddr;
	p.ifindex = ctx->ingress_ifindex;
	fib_rc = bpf_fib_lookup(ctx, &p, sizeof(p), 0);
	fib_ifindex = p.ifindex;
	fib_mtu = p.mtu_result;
	if (fib_rc != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;
	/* TTL - 1: the TTL is the high byte of its 16-bit word, so the checksum gains 0x0100. */
	check = ip->check;
	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xffff));
	ip->ttl--;
	__builtin_memcpy(eth->h_dest, p.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, p.smac, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
