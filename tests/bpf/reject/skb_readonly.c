// A tc program that writes __sk_buff.len, which Linux lets no program write: PREVAIL proves
// the store inside the context, and translation refuses it, located. The line marked
// `REJECT(<program>)` is where the diagnostic must point.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc") int write_len(struct __sk_buff *skb)
{
	skb->len = 1; // REJECT(write_len)
	return 0;
}

/* A socket filter may write only cb. */
SEC("socket") int sock_write_mark(struct __sk_buff *skb)
{
	skb->mark = 5; // REJECT(sock_write_mark)
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
