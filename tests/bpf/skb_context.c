// Programs that read struct __sk_buff, for end-to-end runs with exact values: every field a
// host supplies is read and folded into the result or copied where the host sees it, and
// each type writes the fields Linux lets it write.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* tc: reads the packet-derived fields and the host's, writes every field tc may write.
 * Returns TC_ACT_OK (0) for IPv4 and TC_ACT_SHOT (2) otherwise. */
SEC("tc") int tc_fields(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 proto_byte = 0;

	/* The IPv4 protocol byte, through direct packet access. */
	if (data + 24 <= data_end)
		proto_byte = *(__u8 *)(data + 23);
	/* Byte 1 of mark, a narrow read. */
	__u32 mark_byte1 = ((volatile __u8 *)&skb->mark)[1];

	skb->mark = skb->mark + skb->len;
	skb->priority = skb->ifindex * 2 + skb->ingress_ifindex;
	skb->tc_index = proto_byte;
	skb->queue_mapping = mark_byte1;
	skb->tc_classid = skb->hash ^ skb->vlan_tci;
	skb->cb[0] = skb->cb[0] * 10;
	skb->cb[1] = skb->pkt_type;
	skb->cb[2] = skb->wire_len;
	skb->cb[3] = skb->vlan_present + skb->vlan_proto;
	skb->cb[4] = skb->cb[4] + 1;
	skb->tstamp = skb->tstamp + 1000;
	return skb->protocol == bpf_htons(ETH_P_IP) ? 0 : 2;
}

/* A socket filter: may write only cb. Keeps the first 64 bytes of IPv4 packets (or the
 * whole packet when shorter) and drops the rest. */
SEC("socket") int sock_keep(struct __sk_buff *skb)
{
	skb->cb[0] = skb->len;
	skb->cb[1] = skb->mark;
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	return skb->len < 64 ? skb->len : 64;
}

/* cgroup skb: the packet starts at the IP header. Marks the packet and allows it when its
 * first byte says IPv4 with a 20-byte header. */
SEC("cgroup_skb/ingress") int cg_mark(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	skb->mark = 0xcafe;
	skb->priority = skb->protocol == bpf_htons(ETH_P_IP);
	if (data + 1 > data_end)
		return 0;
	return *(__u8 *)data == 0x45;
}

char LICENSE[] SEC("license") = "GPL";
