// PERCPU_ARRAY lookups (inlined at this run's CPU slot) and lookups in the hash map types
// (a direct call to the map type's own lookup function). Raw programs: mem holds a u32 key,
// then a u64 value where the program says so.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_hash SEC(".maps");

static __always_inline __u32 key_of(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;

	if (len >= 4)
		__builtin_memcpy(&key, mem, 4);
	return key;
}

/* pcpu[key] on this CPU slot += len; returns the new value, or -1 when absent. */
SEC("raw")
long pcpu_add(unsigned char *mem, unsigned long len)
{
	__u32 key = key_of(mem, len);
	__u64 *v = bpf_map_lookup_elem(&pcpu, &key);

	if (!v)
		return -1;
	*v += len;
	return *v;
}

/* pcpu[3] on this CPU slot += 1, with a constant key. */
SEC("raw")
long pcpu_const(unsigned char *mem, unsigned long len)
{
	__u32 key = 3;
	__u64 *v = bpf_map_lookup_elem(&pcpu, &key);

	if (!v)
		return -1;
	*v += 1;
	return *v;
}

/* hash[key], or -1 when absent. */
SEC("raw")
long hash_get(unsigned char *mem, unsigned long len)
{
	__u32 key = key_of(mem, len);
	__u64 *v = bpf_map_lookup_elem(&hash, &key);

	return v ? (long)*v : -1;
}

/* hash[key] = value (mem: key, pad, value); returns the update's result. */
SEC("raw")
long hash_put(unsigned char *mem, unsigned long len)
{
	__u32 key = key_of(mem, len);
	__u64 value = 0;

	if (len >= 16)
		__builtin_memcpy(&value, mem + 8, 8);
	return bpf_map_update_elem(&hash, &key, &value, BPF_ANY);
}

/* lru[key], or -1; the lookup marks the entry as recently used. */
SEC("raw")
long lru_get(unsigned char *mem, unsigned long len)
{
	__u32 key = key_of(mem, len);
	__u64 *v = bpf_map_lookup_elem(&lru, &key);

	return v ? (long)*v : -1;
}

/* lru[key] = 10 * key; returns the update's result. */
SEC("raw")
long lru_put(unsigned char *mem, unsigned long len)
{
	__u32 key = key_of(mem, len);
	__u64 value = 10 * (__u64)key;

	return bpf_map_update_elem(&lru, &key, &value, BPF_ANY);
}

/* pcpu_hash[key] on this CPU slot += 1, inserting 1 when absent; returns the value. */
SEC("raw")
long pcpu_hash_count(unsigned char *mem, unsigned long len)
{
	__u32 key = key_of(mem, len);
	__u64 one = 1, *v = bpf_map_lookup_elem(&pcpu_hash, &key);

	if (!v)
		return bpf_map_update_elem(&pcpu_hash, &key, &one, BPF_NOEXIST) ? -1 : 1;
	*v += 1;
	return *v;
}

char LICENSE[] SEC("license") = "GPL";
