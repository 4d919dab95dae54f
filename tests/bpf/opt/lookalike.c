// Maps that look alike: two legacy maps with identical definitions and two BTF maps declared
// through one typedef. Each program touches every one of them with a different value, so a
// translation that confused any two would leave the wrong numbers behind.
// Raw programs: mem holds a u32 key.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_map_def legacy_a SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 4,
};

struct legacy_map_def legacy_b SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 4,
};

typedef struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} twin_t;

twin_t twin_a SEC(".maps");
twin_t twin_b SEC(".maps");

static __always_inline long bump(void *map, __u32 key, __u64 by)
{
	__u64 *v = bpf_map_lookup_elem(map, &key);

	if (!v)
		return 0;
	*v += by;
	return *v;
}

/* legacy_a[key] += 1, legacy_b[key] += 2, twin_a[key] += 3, twin_b[key] += 4; returns
 * the four new values as decimal digits (thousands: legacy_a ... units: twin_b). */
SEC("raw")
long lookalike(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;

	if (len >= 4)
		__builtin_memcpy(&key, mem, 4);
	return bump(&legacy_a, key, 1) * 1000 + bump(&legacy_b, key, 2) * 100 +
	       bump(&twin_a, key, 3) * 10 + bump(&twin_b, key, 4);
}

/* Writes key + 1 into twin_b and key + 2 into legacy_a with the update helper. */
SEC("raw")
long lookalike_update(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 one, two;

	if (len >= 4)
		__builtin_memcpy(&key, mem, 4);
	one = key + 1;
	two = key + 2;
	return bpf_map_update_elem(&twin_b, &key, &one, BPF_ANY) * 100 +
	       bpf_map_update_elem(&legacy_a, &key, &two, BPF_ANY);
}

char LICENSE[] SEC("license") = "GPL";
