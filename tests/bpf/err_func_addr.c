// Refused: taking a function's address (a bpf_loop callback) loads it with lddw.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static int step(__u32 index, void *data)
{
	*(__u64 *)data += index;
	return 0;
}

SEC("raw")
int loop_sum(unsigned char *mem, unsigned long len)
{
	__u64 sum = 0;

	bpf_loop(8, step, &sum, 0);
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
