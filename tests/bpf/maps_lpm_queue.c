// LPM_TRIE, QUEUE, STACK and LRU_PERCPU_HASH from programs, with results a test can
// predict: return values (Linux's errno values) and the maps' contents after a run.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct ipv4_lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipv4_lpm_key);
	__type(value, __u32);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 3);
	__type(value, __u32);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 3);
	__type(value, __u32);
} lifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} recent_per_cpu SEC(".maps");

/* mem: prefixlen (u32), 4 address bytes, value (u32). Adds the route; the update's result. */
SEC("raw")
int route_add(unsigned char *mem, unsigned long len)
{
	struct ipv4_lpm_key key;
	__u32 value;

	if (len < 12)
		return -1000;
	__builtin_memcpy(&key, mem, 8);
	__builtin_memcpy(&value, mem + 8, 4);
	return bpf_map_update_elem(&routes, &key, &value, BPF_NOEXIST);
}

/* mem: prefixlen (u32), 4 address bytes. Deletes exactly that prefix; the delete's result. */
SEC("raw")
int route_del(unsigned char *mem, unsigned long len)
{
	struct ipv4_lpm_key key;

	if (len < 8)
		return -1000;
	__builtin_memcpy(&key, mem, 8);
	return bpf_map_delete_elem(&routes, &key);
}

/* mem: 4 address bytes. The value of the longest prefix covering the address, or -1. */
SEC("raw")
int route_lookup(unsigned char *mem, unsigned long len)
{
	struct ipv4_lpm_key key = {.prefixlen = 32};
	__u32 *value;

	if (len < 4)
		return -1000;
	__builtin_memcpy(key.addr, mem, 4);
	value = bpf_map_lookup_elem(&routes, &key);
	return value ? (int)*value : -1;
}

/* mem: op (u32), flags (u32), value (u32). op 0/1/2 push/pop/peek the queue, 3/4/5 the
 * stack. Pop and peek write the value they got (zero when empty) to mem + 8. Returns the
 * helper's result. */
SEC("raw")
int queue_ops(unsigned char *mem, unsigned long len)
{
	__u32 op, flags, value;
	long r;

	if (len < 12)
		return -1000;
	__builtin_memcpy(&op, mem, 4);
	__builtin_memcpy(&flags, mem + 4, 4);
	__builtin_memcpy(&value, mem + 8, 4);
	switch (op) {
	case 0: r = bpf_map_push_elem(&fifo, &value, flags); break;
	case 1: r = bpf_map_pop_elem(&fifo, &value); break;
	case 2: r = bpf_map_peek_elem(&fifo, &value); break;
	case 3: r = bpf_map_push_elem(&lifo, &value, flags); break;
	case 4: r = bpf_map_pop_elem(&lifo, &value); break;
	case 5: r = bpf_map_peek_elem(&lifo, &value); break;
	default: return -1001;
	}
	__builtin_memcpy(mem + 8, &value, 4);
	return r;
}

/* recent_per_cpu[len] += 1 in this CPU slot; returns the new count. */
SEC("raw")
int count_recent(unsigned char *mem, unsigned long len)
{
	__u32 key = len;
	__u64 one = 1, *v = bpf_map_lookup_elem(&recent_per_cpu, &key);

	if (!v) {
		bpf_map_update_elem(&recent_per_cpu, &key, &one, BPF_NOEXIST);
		return 1;
	}
	*v += 1;
	return *v;
}

char LICENSE[] SEC("license") = "GPL";
