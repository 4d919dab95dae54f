// Refused by `run` and `gen`: a user ring buffer (BPF_MAP_TYPE_USER_RINGBUF, written by the
// host and drained by programs), a map type the runtime does not implement. The kernel ring
// buffer (BPF_MAP_TYPE_RINGBUF) runs; see events.c.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("raw")
int emit(unsigned char *mem, unsigned long len)
{
	return len;
}

char LICENSE[] SEC("license") = "GPL";
