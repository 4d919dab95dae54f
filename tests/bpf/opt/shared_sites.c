// Call sites that more than one map reaches, and lookups inside subprograms.
//
// - `read_from` is one subprogram called with two different maps: its lookup must fall back
//   to the helper (and still find the right map each time).
// - `read_other` is a subprogram that always looks in `other`, called from two places of one
//   program and from a second program: every context agrees, so it is inlined.
// - `select_map` picks a map by a branch before one lookup call: two maps reach that call.
//
// `left` and `right` have identical definitions; only their identity tells them apart.
// Raw programs: mem holds a u32 key.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define ARRAY_OF_U64(name, n)                                                                  \
	struct {                                                                                \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                               \
		__uint(max_entries, n);                                                         \
		__type(key, __u32);                                                             \
		__type(value, __u64);                                                           \
	} name SEC(".maps")

ARRAY_OF_U64(left, 4);
ARRAY_OF_U64(right, 4);
ARRAY_OF_U64(other, 4);

static __always_inline __u32 key_of(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;

	if (len >= 4)
		__builtin_memcpy(&key, mem, 4);
	return key;
}

/* map[key], or 1000 when absent. */
static __noinline long read_from(void *map, __u32 key)
{
	__u64 *v = bpf_map_lookup_elem(map, &key);

	return v ? *v : 1000;
}

/* other[key] += add; returns the new value, or -1 when absent. */
static __noinline long read_other(__u32 key, __u64 add)
{
	__u64 *v = bpf_map_lookup_elem(&other, &key);

	if (!v)
		return -1;
	*v += add;
	return *v;
}

/* left[key] + 10000 * right[key], each looked up by the shared subprogram. */
SEC("raw")
long both_maps(unsigned char *mem, unsigned long len)
{
	__u32 key = key_of(mem, len);

	return read_from(&left, key) + 10000 * read_from(&right, key);
}

/* other[key] += 1, then other[key] += 2: both through read_other. */
SEC("raw")
long other_twice(unsigned char *mem, unsigned long len)
{
	__u32 key = key_of(mem, len);
	long a = read_other(key, 1);

	return a * 1000 + read_other(key, 2);
}

/* other[key] += 5 from a second program. */
SEC("raw")
long other_again(unsigned char *mem, unsigned long len)
{
	return read_other(key_of(mem, len), 5);
}

/* An odd length reads left, an even one right, through one call. */
SEC("raw")
long select_map(unsigned char *mem, unsigned long len)
{
	__u32 key = key_of(mem, len);
	void *map = (len & 1) ? (void *)&left : (void *)&right;
	__u64 *v = bpf_map_lookup_elem(map, &key);

	if (!v)
		return -1;
	*v += 7;
	return *v;
}

char LICENSE[] SEC("license") = "GPL";
