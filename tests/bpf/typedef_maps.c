// Two BTF maps declared through one typedef: the same BTF type, still two maps.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter_map_t;

counter_map_t hits_a SEC(".maps");
counter_map_t hits_b SEC(".maps");

/* hits_a[0] += 1, hits_b[0] += 2; returns hits_a[0] * 1000 + hits_b[0]. */
SEC("raw")
int bump(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 *a = bpf_map_lookup_elem(&hits_a, &key);
	__u64 *b = bpf_map_lookup_elem(&hits_b, &key);

	if (!a || !b)
		return -1;
	*a += 1;
	*b += 2;
	return *a * 1000 + *b;
}

char LICENSE[] SEC("license") = "GPL";
