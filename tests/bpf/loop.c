// A raw program over (mem, len) with a bounded loop that clang must not unroll.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* hash = hash * 31 + mem[i] over the first min(len, 64) bytes, starting from 7. */
SEC("raw")
int hash64(unsigned char *mem, unsigned long len)
{
	__u32 hash = 7;
	int i;

#pragma clang loop unroll(disable)
	for (i = 0; i < 64; i++) {
		if (i >= len)
			break;
		hash = hash * 31 + mem[i];
	}
	return hash;
}

char LICENSE[] SEC("license") = "GPL";
