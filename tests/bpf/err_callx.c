// Refused: an indirect call through a register (callx), emitted through inline assembly.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("raw")
int indirect(unsigned char *mem, unsigned long len)
{
	int r;

	asm volatile("r1 = 1\n\t"
		     "callx r1\n\t"
		     "%[r] = r0"
		     : [r] "=r"(r)
		     :
		     : "r0", "r1", "r2", "r3", "r4", "r5");
	return r;
}

char LICENSE[] SEC("license") = "GPL";
