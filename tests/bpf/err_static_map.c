// Refused: a static map, which clang references through the section symbol of .maps plus an
// offset in the instruction, so no symbol names the map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hidden SEC(".maps");

SEC("raw")
int use_hidden(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&hidden, &key);

	return v ? *v : 0;
}

char LICENSE[] SEC("license") = "GPL";
