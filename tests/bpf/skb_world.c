// tc programs calling the skb helpers that reach the host's world: copies and redirects,
// the flow hash, classid and realm, socket lookups, and the boot-time clocks. As in
// skb_resize.c the host passes arguments in cb[] and reads results from cb[], the verdict
// and the other __sk_buff fields.
//   clone:  bpf_clone_redirect(skb, cb[0], cb[1]) into cb[2]; then the first byte becomes
//           0xcc and a second copy goes to cb[0] + 1 (flags 0), its result in cb[3].
//   neigh, neigh_via, neigh_short: bpf_redirect_neigh(cb[0], params, plen, cb[2]) without
//           params, with { AF_INET, ipv4_nh = cb[3] } (20 bytes), and with only 16 bytes of
//           it; the verdict is the helper's action.
//   hash:   cb[0] = bpf_get_hash_recalc; bpf_set_hash(skb, cb[1]) into cb[2];
//           cb[3] = bpf_get_hash_recalc; bpf_set_hash_invalid; cb[4] = bpf_get_hash_recalc.
//   classid_realm: cb[0] = bpf_get_cgroup_classid, cb[1] = bpf_get_route_realm.
//   sockets: looks the packet's IPv4 4-tuple up with bpf_sk_lookup_tcp, bpf_sk_lookup_udp and
//           bpf_skc_lookup_tcp; cb[0..3] = 1 for each lookup that found a socket (which it
//           then assigns or releases), cb[3] = 0x5a when the packet is not IPv4.
//   clocks: ktime_get_ns into cb[0..2] (low word first), ktime_get_boot_ns into cb[2..4],
//           jiffies64 into tstamp, ktime_get_boot_ns again into mark (low) and priority
//           (high); the verdict is 1 when the boot clock did not go backwards. Fields, not
//           globals, so that two runs leave the same maps.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2

SEC("tc")
int clone(struct __sk_buff *skb)
{
	unsigned char *data;

	skb->cb[2] = bpf_clone_redirect(skb, skb->cb[0], skb->cb[1]);
	data = (void *)(long)skb->data;
	if (data + 1 > (unsigned char *)(long)skb->data_end)
		return TC_ACT_SHOT;
	data[0] = 0xcc;
	skb->cb[3] = bpf_clone_redirect(skb, skb->cb[0] + 1, 0);
	return TC_ACT_OK;
}

static __attribute__((always_inline)) struct bpf_redir_neigh next_hop(struct __sk_buff *skb)
{
	struct bpf_redir_neigh params = {};

	params.nh_family = AF_INET;
	params.ipv4_nh = skb->cb[3];
	return params;
}

SEC("tc")
int neigh(struct __sk_buff *skb)
{
	return bpf_redirect_neigh(skb->cb[0], 0, 0, skb->cb[2]);
}

SEC("tc")
int neigh_via(struct __sk_buff *skb)
{
	struct bpf_redir_neigh params = next_hop(skb);

	return bpf_redirect_neigh(skb->cb[0], &params, sizeof(params), skb->cb[2]);
}

SEC("tc")
int neigh_short(struct __sk_buff *skb)
{
	struct bpf_redir_neigh params = next_hop(skb);

	return bpf_redirect_neigh(skb->cb[0], &params, 16, skb->cb[2]);
}

SEC("tc")
int hash(struct __sk_buff *skb)
{
	__u32 wanted = skb->cb[1];

	skb->cb[0] = bpf_get_hash_recalc(skb);
	skb->cb[2] = bpf_set_hash(skb, wanted);
	skb->cb[3] = bpf_get_hash_recalc(skb);
	bpf_set_hash_invalid(skb);
	skb->cb[4] = bpf_get_hash_recalc(skb);
	return TC_ACT_OK;
}

SEC("tc")
int classid_realm(struct __sk_buff *skb)
{
	skb->cb[0] = bpf_get_cgroup_classid(skb);
	skb->cb[1] = bpf_get_route_realm(skb);
	return TC_ACT_OK;
}

SEC("tc")
int sockets(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct bpf_sock_tuple tuple = {};
	struct bpf_sock *sk;
	__u16 *ports;

	if ((void *)(ip + 1) + 4 > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) {
		skb->cb[3] = 0x5a;
		return TC_ACT_OK;
	}
	ports = (void *)(ip + 1);
	tuple.ipv4.saddr = ip->saddr;
	tuple.ipv4.daddr = ip->daddr;
	tuple.ipv4.sport = ports[0];
	tuple.ipv4.dport = ports[1];

	sk = bpf_sk_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
	skb->cb[0] = sk != 0;
	if (sk) {
		bpf_sk_assign(skb, sk, 0);
		bpf_sk_release(sk);
	}
	sk = bpf_sk_lookup_udp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
	skb->cb[1] = sk != 0;
	if (sk)
		bpf_sk_release(sk);
	sk = bpf_skc_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
	skb->cb[2] = sk != 0;
	if (sk)
		bpf_sk_release(sk);
	return TC_ACT_OK;
}

SEC("tc")
int clocks(struct __sk_buff *skb)
{
	__u64 mono = bpf_ktime_get_ns();
	__u64 boot = bpf_ktime_get_boot_ns();
	__u64 jiffies = bpf_jiffies64();
	__u64 boot_after = bpf_ktime_get_boot_ns();

	skb->cb[0] = mono;
	skb->cb[1] = mono >> 32;
	skb->cb[2] = boot;
	skb->cb[3] = boot >> 32;
	skb->mark = boot_after;
	skb->priority = boot_after >> 32;
	skb->tstamp = jiffies;
	return boot_after >= boot;
}

char LICENSE[] SEC("license") = "GPL";
