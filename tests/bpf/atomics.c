// Atomic read-modify-write instructions (-mcpu=v3): add with and without fetch, or, and,
// xor, exchange and compare-exchange, on global data and on a map value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 total;
__u32 bits = 0xf0;
__u64 last;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} shared SEC(".maps");

/* After one run with length n from zeroed state: total = n + 1, bits = ((0xf0 | 1) & 0x3f) ^ 4,
 * last = n + 1 (exchanged to n, then compare-exchanged to n + 1), shared[0] += 2.
 * Returns old total + previous last + value returned by cmpxchg. */
SEC("raw")
int atomics(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 *v, old, prev, seen;

	__sync_fetch_and_add(&total, len);
	old = __sync_fetch_and_add(&total, 1);
	__sync_fetch_and_or(&bits, 1);
	__sync_fetch_and_and(&bits, 0x3f);
	__sync_fetch_and_xor(&bits, 4);
	prev = __sync_lock_test_and_set(&last, len);
	seen = __sync_val_compare_and_swap(&last, len, len + 1);
	v = bpf_map_lookup_elem(&shared, &key);
	if (v)
		__sync_fetch_and_add(v, 2);
	return old + prev + seen;
}

char LICENSE[] SEC("license") = "GPL";
