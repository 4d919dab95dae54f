// Refused: a call to a kernel function (kfunc), an external symbol only the kernel resolves.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern __u64 bpf_kfunc_example(__u64 x) __ksym;

SEC("raw")
int call_kfunc(unsigned char *mem, unsigned long len)
{
	return bpf_kfunc_example(len);
}

char LICENSE[] SEC("license") = "GPL";
