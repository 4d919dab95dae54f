// Legacy packet loads (LD_ABS, LD_IND) in a socket filter, as old samples emit them: they
// verify (the context is the socket buffer) and run, in network byte order; a load outside
// the packet ends the run returning 0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket") int ld_abs_ind(struct __sk_buff *skb)
{
	int r;

	asm volatile("r6 = %[skb]\n\t"
		     "r0 = *(u8 *)skb[23]\n\t"        /* LD_ABS: IPv4 protocol */
		     "r7 = 12\n\t"
		     "r0 = *(u16 *)skb[r7]\n\t"       /* LD_IND: ethertype at 12 + 2 */
		     "%[r] = r0"
		     : [r] "=r"(r)
		     : [skb] "r"(skb)
		     : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7");
	return r;
}

char LICENSE[] SEC("license") = "GPL";
