// Refused: legacy packet access (LD_ABS), emitted through inline assembly.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("raw")
int ld_abs(void *skb)
{
	int r;

	asm volatile("r6 = r1\n\t"
		     "r0 = *(u8 *)skb[12]\n\t"
		     "%[r] = r0"
		     : [r] "=r"(r)
		     :
		     : "r0", "r6", "r1", "r2", "r3", "r4", "r5");
	return r;
}

char LICENSE[] SEC("license") = "GPL";
