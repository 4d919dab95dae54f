// Legacy map definitions in SEC("maps"): 28-byte records (iproute2-style, with id and
// pinning after the libbpf fields), two maps with identical definitions, and one map in a
// `maps/<name>` section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
	unsigned int id;
	unsigned int pinning;
};

struct legacy_map_def flows SEC("maps") = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 32,
	.map_flags = BPF_F_NO_PREALLOC,
	.id = 1,
};

struct legacy_map_def stats_a SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 2,
};

struct legacy_map_def stats_b SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 2,
};

struct legacy_map_def solo SEC("maps/solo") = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 1,
};

/* stats_a[0] += 1, stats_b[0] += 2, flows[len] = len; returns stats_a[0] * 100 + stats_b[0]. */
SEC("raw")
int legacy_use(unsigned char *mem, unsigned long len)
{
	__u32 key = 0, flow = len;
	__u64 value = len, *a, *b;

	bpf_map_update_elem(&flows, &flow, &value, BPF_ANY);
	a = bpf_map_lookup_elem(&stats_a, &key);
	b = bpf_map_lookup_elem(&stats_b, &key);
	if (!a || !b)
		return -1;
	*a += 1;
	*b += 2;
	return *a * 100 + *b;
}

/* solo[0] on this CPU += 1; returns the new value. */
SEC("raw")
int solo_use(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u32 *v = bpf_map_lookup_elem(&solo, &key);

	if (!v)
		return -1;
	return ++*v;
}

char LICENSE[] SEC("license") = "GPL";
