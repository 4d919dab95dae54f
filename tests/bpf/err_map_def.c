// Refused: a BTF map whose key_size contradicts its key type.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__uint(key_size, 8);
	__type(key, __u32);
	__type(value, __u32);
} confused SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
