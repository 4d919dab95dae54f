// Refused per program: an fentry program attaches through the kernel's BTF, which
// verification here does not have. The object's kprobe program still verifies.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("fentry/do_unlinkat") int on_unlink(unsigned long long *ctx)
{
	return 0;
}

SEC("kprobe/do_unlinkat") int probe_unlink(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
