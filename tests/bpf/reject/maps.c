// Map misuse the verifier must refuse. Each program is one mistake; the line marked
// `REJECT(<program>)` is where the verifier must point.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u64);
	__type(value, __u64);
} wide_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64[2]);
} pairs SEC(".maps");

/* The lookup result is used without a NULL check. */
SEC("raw") int null_deref(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&values, &key);

	return *v; // REJECT(null_deref)
}

/* Reads 4 bytes at offset 8 of an 8-byte value. */
SEC("raw") int value_past_end(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u32 *v = bpf_map_lookup_elem(&values, &key);

	if (!v)
		return 0;
	return v[2]; // REJECT(value_past_end)
}

/* Indexes an 8-byte value with a byte offset up to 15. */
SEC("raw") int value_variable_index(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	unsigned char *v = bpf_map_lookup_elem(&values, &key);

	if (!v)
		return 0;
	return v[len & 15]; // REJECT(value_variable_index)
}

/* The key is never written: the helper would read uninitialised stack. */
SEC("raw") int uninit_key(unsigned char *mem, unsigned long len)
{
	__u32 key;
	__u64 *v;

	asm volatile("" : "=m"(key)); /* keeps the key's stack slot without writing it */
	v = bpf_map_lookup_elem(&values, &key); // REJECT(uninit_key)
	return v ? 1 : 0;
}

/* A 2-byte key for a map with 8-byte keys: the helper reads past the end of the stack. */
SEC("raw") int key_too_small(unsigned char *mem, unsigned long len)
{
	__u16 key = 1;
	__u64 *v;

	asm volatile("" : "+m"(key));
	v = bpf_map_lookup_elem(&wide_keys, &key); // REJECT(key_too_small)
	return v ? 1 : 0;
}

/* An 8-byte value for a map with 16-byte values. */
SEC("raw") int value_too_small(unsigned char *mem, unsigned long len)
{
	__u32 key = 1;
	__u64 value = len;

	asm volatile("" : "+m"(key), "+m"(value));
	return bpf_map_update_elem(&pairs, &key, &value, BPF_ANY); // REJECT(value_too_small)
}

/* A stack pointer stored into a map value leaks an address. */
SEC("raw") int pointer_into_map(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&values, &key);

	if (!v)
		return 0;
	*(volatile void **)v = &key; // REJECT(pointer_into_map)
	return 1;
}

/* A map value pointer returned as the program's result leaks an address. */
SEC("raw") long pointer_returned(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&values, &key);

	if (!v)
		return 0;
	return (long)v;
} // REJECT(pointer_returned): BTF gives the exit the line of the closing brace

/* The packet pointer is passed where a map is required. */
SEC("raw") int not_a_map(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(mem, &key); // REJECT(not_a_map)

	return v ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
