// tc programs that resize or retag their packet with the skb helpers, one helper each. The
// host passes the arguments in cb[0..4] (Instance::run_skb_packet's SkbFields, or the CLI's
// --ctx-json) and reads the results back: the helper's return value is the program's
// verdict, and what the helper changed shows in the packet, in the __sk_buff fields, and in
// cb[4], where every program leaves skb->protocol after the call.
//   change_head: bpf_skb_change_head(skb, cb[0], cb[1]); marks the new first byte 0xaa.
//   change_tail: bpf_skb_change_tail(skb, cb[0], cb[1]); marks the new last byte 0xbb.
//   pull_data:   bpf_skb_pull_data(skb, cb[0]); cb[1] = data_end - data afterwards.
//   adjust_room: bpf_skb_adjust_room(skb, (int)cb[0], cb[1], cb[2] | (u64)cb[3] << 32);
//                cb[3] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY) afterwards.
//   change_proto: bpf_skb_change_proto(skb, cb[0] (network order), cb[1]).
//   change_type: bpf_skb_change_type(skb, cb[0]).
//   vlan_push:   bpf_skb_vlan_push(skb, cb[0] (network order), cb[1]).
//   vlan_pop:    bpf_skb_vlan_pop(skb).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((always_inline)) int done(struct __sk_buff *skb, long ret)
{
	skb->cb[4] = skb->protocol;
	return (int)ret;
}

SEC("tc")
int change_head(struct __sk_buff *skb)
{
	long ret = bpf_skb_change_head(skb, skb->cb[0], skb->cb[1]);

	if (ret == 0) {
		unsigned char *data = (void *)(long)skb->data;

		if (data + 1 <= (unsigned char *)(long)skb->data_end)
			data[0] = 0xaa;
	}
	return done(skb, ret);
}

SEC("tc")
int change_tail(struct __sk_buff *skb)
{
	long ret = bpf_skb_change_tail(skb, skb->cb[0], skb->cb[1]);

	if (ret == 0) {
		unsigned char *data = (void *)(long)skb->data;
		unsigned char *end = (void *)(long)skb->data_end;
		long len = end - data;
		unsigned char *last;

		if (len < 1 || len > 0xffff)
			return done(skb, ret);
		last = data + (len - 1);
		if (last + 1 <= end)
			*last = 0xbb;
	}
	return done(skb, ret);
}

SEC("tc")
int pull_data(struct __sk_buff *skb)
{
	long ret = bpf_skb_pull_data(skb, skb->cb[0]);

	skb->cb[1] = skb->data_end - skb->data;
	return done(skb, ret);
}

SEC("tc")
int adjust_room(struct __sk_buff *skb)
{
	__u64 flags = skb->cb[2] | (__u64)skb->cb[3] << 32;
	long ret = bpf_skb_adjust_room(skb, (int)skb->cb[0], skb->cb[1], flags);

	skb->cb[3] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	return done(skb, ret);
}

SEC("tc")
int change_proto(struct __sk_buff *skb)
{
	return done(skb, bpf_skb_change_proto(skb, (__be16)skb->cb[0], skb->cb[1]));
}

SEC("tc")
int change_type(struct __sk_buff *skb)
{
	return done(skb, bpf_skb_change_type(skb, skb->cb[0]));
}

SEC("tc")
int vlan_push(struct __sk_buff *skb)
{
	return done(skb, bpf_skb_vlan_push(skb, (__be16)skb->cb[0], (__u16)skb->cb[1]));
}

SEC("tc")
int vlan_pop(struct __sk_buff *skb)
{
	return done(skb, bpf_skb_vlan_pop(skb));
}

char LICENSE[] SEC("license") = "GPL";
