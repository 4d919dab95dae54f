// A tc program calling the skb helpers that compute or consult the host's world, in the
// order bpf2c-runtime's test `replays_a_linux_run_of_tests_bpf_skb_host_helpers`
// (bpf2c-runtime/src/helpers/skb.rs) replays them: NAT of the source address with
// l3/l4_csum_replace (pseudo header), a new destination port, new sequence bytes through
// csum_diff, then csum_level, csum_update and the tunnel-key helpers. The results are kept
// in global variables. Its expected values were recorded from Linux 6.18 with
// `bpftool prog run` (BPF_PROG_TEST_RUN) on the IPv4/TCP packet the test builds.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* r0 of each helper call, in order. */
__s64 r_l3, r_l4, r_port, r_diff, r_level, r_update, r_get, r_set, r_get2;
__u32 remote_after;	/* remote_ipv4 read back after the set */

SEC("tc")
int rewrite(struct __sk_buff *skb)
{
	__be32 old_ip, new_ip = bpf_htonl(0x0a000063);
	__be16 old_port, new_port = bpf_htons(8080);
	__u8 seq[4] = {1, 2, 3, 4};
	__u8 oldseq[4];
	struct bpf_tunnel_key key = {};
	__s64 diff;

	if (bpf_skb_load_bytes(skb, 26, &old_ip, 4) < 0)
		return 1;
	bpf_skb_store_bytes(skb, 26, &new_ip, 4, 0);
	r_l3 = bpf_l3_csum_replace(skb, 24, old_ip, new_ip, 4);
	r_l4 = bpf_l4_csum_replace(skb, 50, old_ip, new_ip, BPF_F_PSEUDO_HDR | 4);
	if (bpf_skb_load_bytes(skb, 36, &old_port, 2) < 0)
		return 1;
	bpf_skb_store_bytes(skb, 36, &new_port, 2, 0);
	r_port = bpf_l4_csum_replace(skb, 50, old_port, new_port, 2);
	if (bpf_skb_load_bytes(skb, 38, oldseq, 4) < 0)
		return 1;
	bpf_skb_store_bytes(skb, 38, seq, 4, 0);
	diff = bpf_csum_diff((__be32 *)oldseq, 4, (__be32 *)seq, 4, 0);
	r_diff = diff;
	bpf_l4_csum_replace(skb, 50, 0, diff, 0);
	r_level = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	r_update = bpf_csum_update(skb, 5);
	r_get = bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0);
	key.tunnel_id = 9;
	key.remote_ipv4 = 0x0a000002;
	key.local_ipv4 = 0x0a000001;
	key.tunnel_ttl = 7;
	r_set = bpf_skb_set_tunnel_key(skb, &key, sizeof(key), BPF_F_ZERO_CSUM_TX);
	__builtin_memset(&key, 0, sizeof(key));
	r_get2 = bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0);
	remote_after = key.remote_ipv4;
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
