// Refused: a kprobe program; only xdp and raw sections are supported.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("kprobe/do_sys_open")
int probe(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
