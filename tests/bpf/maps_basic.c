// One program per supported map type, each doing lookup/update/delete with results a test
// can predict: the return value and the map contents after a run.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair {
	__u32 value;
	__u32 doubled;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct pair);
} table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} percpu_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} percpu_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} recent SEC(".maps");

/* counters[len % 4] += 1; returns the new count, or -1 if the lookup fails. */
SEC("raw")
int count(unsigned char *mem, unsigned long len)
{
	__u32 key = len & 3;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (!v)
		return -1;
	*v += 1;
	return *v;
}

/* mem holds a key and a value (two u32). A zero value deletes the key and returns the
 * delete's result; otherwise table[key] = {value, 2 * value} and the stored doubled value
 * is returned. */
SEC("raw")
int table_ops(unsigned char *mem, unsigned long len)
{
	__u32 key, value;
	struct pair p, *found;

	if (len < 8)
		return -1;
	__builtin_memcpy(&key, mem, 4);
	__builtin_memcpy(&value, mem + 4, 4);
	if (value == 0)
		return bpf_map_delete_elem(&table, &key);
	p.value = value;
	p.doubled = value * 2;
	if (bpf_map_update_elem(&table, &key, &p, BPF_ANY))
		return -2;
	found = bpf_map_lookup_elem(&table, &key);
	if (!found)
		return -3;
	return found->doubled;
}

/* percpu_counters[0] on this CPU += len; returns the new value. */
SEC("raw")
int count_percpu(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&percpu_counters, &key);

	if (!v)
		return -1;
	*v += len;
	return *v;
}

/* percpu_table[len] counts how often each length was seen on this CPU. */
SEC("raw")
int percpu_hash_ops(unsigned char *mem, unsigned long len)
{
	__u32 key = len, one = 1;
	__u32 *v = bpf_map_lookup_elem(&percpu_table, &key);

	if (!v) {
		if (bpf_map_update_elem(&percpu_table, &key, &one, BPF_NOEXIST))
			return -1;
		return 1;
	}
	*v += 1;
	return *v;
}

/* recent[len] = 10 * len in a two-entry LRU map; returns the value read back. */
SEC("raw")
int lru_insert(unsigned char *mem, unsigned long len)
{
	__u32 key = len;
	__u64 value = len * 10, *found;

	if (bpf_map_update_elem(&recent, &key, &value, BPF_ANY))
		return -1;
	found = bpf_map_lookup_elem(&recent, &key);
	if (!found)
		return -2;
	return *found;
}

char LICENSE[] SEC("license") = "GPL";
