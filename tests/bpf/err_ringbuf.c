// Refused: a ring buffer map, a type the runtime does not implement.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("raw")
int emit(unsigned char *mem, unsigned long len)
{
	return bpf_ringbuf_output(&events, &len, sizeof(len), 0);
}

char LICENSE[] SEC("license") = "GPL";
