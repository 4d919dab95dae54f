// Fails verification: the value bpf_map_lookup_elem returns may be NULL, and the program
// writes through it without checking. The cargo-bpf2c tests expect the diagnostic to name
// this file and the line of the store.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("raw")
int count_unchecked(unsigned char *mem, unsigned long len)
{
	__u32 key = len & 3;
	__u64 *v = bpf_map_lookup_elem(&seen, &key);

	*v += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
