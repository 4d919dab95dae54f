// Programs whose map facts are known exactly: which maps reach each map helper call and
// what key it passes. The call a fact is about is on the line marked `FACT(<name>)`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} first SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} second SEC(".maps");

/* One map, key 3. */
SEC("raw") int const_key(unsigned char *mem, unsigned long len)
{
	__u32 key = 3;
	__u64 *v = bpf_map_lookup_elem(&first, &key); // FACT(const_key)

	return v ? *v : 0;
}

/* One map, key in 2..=9. */
SEC("raw") int bounded_key(unsigned char *mem, unsigned long len)
{
	__u32 key = (len & 7) + 2;
	__u64 *v = bpf_map_lookup_elem(&second, &key); // FACT(bounded_key)

	return v ? *v : 0;
}

/* A key that may be negative as an int: its 32-bit pattern is not a range of small numbers. */
SEC("raw") int signed_key(unsigned char *mem, unsigned long len)
{
	int k = (int)(len & 7) - 4;
	__u32 key = k;
	__u64 *v;

	asm volatile("" : "+m"(key));
	v = bpf_map_lookup_elem(&first, &key); // FACT(signed_key)
	return v ? *v : 0;
}

/* Either map reaches the one call. */
SEC("raw") int either_map(unsigned char *mem, unsigned long len)
{
	__u32 key = 1;
	void *map = (len & 1) ? (void *)&first : (void *)&second;
	__u64 *v = bpf_map_lookup_elem(map, &key); // FACT(either_map)

	return v ? *v : 0;
}

/* A subprogram that looks up whatever map it is given. Global, so clang cannot specialise
 * it for a constant argument. */
__attribute__((noinline)) long value_of(void *map, __u32 k)
{
	__u64 *v = bpf_map_lookup_elem(map, &k); // FACT(value_of)

	return v ? *v : -1;
}

/* The subprogram's call sees `first` from one call site and `second` from the other. */
SEC("raw") int both_maps_via_subprogram(unsigned char *mem, unsigned long len)
{
	return value_of(&first, 4) + value_of(&second, 5);
}

/* The subprogram's call sees `first` from both call sites, keys 6 and 8. */
SEC("raw") int one_map_via_subprogram(unsigned char *mem, unsigned long len)
{
	return value_of(&first, 6) + value_of(&first, 8);
}

/* Only `second`, key 0: with one_map_via_subprogram, a module where the shared
 * subprogram's call sees both maps. */
SEC("raw") int second_via_subprogram(unsigned char *mem, unsigned long len)
{
	return value_of(&second, 0);
}

char LICENSE[] SEC("license") = "GPL";
