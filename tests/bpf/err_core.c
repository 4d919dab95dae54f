// Refused: a CO-RE field access, which needs kernel BTF to relocate.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct sample {
	int a;
	int b;
} __attribute__((preserve_access_index));

SEC("raw")
int core_read(struct sample *s)
{
	return s->b;
}

char LICENSE[] SEC("license") = "GPL";
