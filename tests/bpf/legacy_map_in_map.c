// A map of maps in the legacy layout of the kernel samples: 28-byte `struct bpf_map_def`
// records with `inner_map_idx`, one map per `maps/<name>` section. The index counts legacy
// maps across sections in section order (as PREVAIL's loader counts them): 1 is `inner`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
	unsigned int inner_map_idx;
	unsigned int numa_node;
};

struct legacy_map_def outer SEC("maps/outer") = {
	.type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 4,
	.inner_map_idx = 1,
};

struct legacy_map_def inner SEC("maps/inner") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

/* Reads the u64 of the inner map in slot 2: its size comes from `inner`'s definition. */
SEC("socket") int read_nested(struct __sk_buff *skb)
{
	__u32 slot = 2, zero = 0;
	void *map = bpf_map_lookup_elem(&outer, &slot);
	__u64 *value;

	if (!map)
		return 0;
	value = bpf_map_lookup_elem(map, &zero);
	return value ? *value : 0;
}

char LICENSE[] SEC("license") = "GPL";
