// The map-read workload of the "BPF_MAP_TYPE_ARRAY read" benchmark that ebpf-for-windows
// measured: a random key below 1024 and one lookup, in a 1024-entry ARRAY; and the same
// with a 1024-entry HASH. `array_read_input` takes its key from the input instead of the
// random number helper, to time the lookup alone.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} bench_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} bench_hash SEC(".maps");

/* bench_array[random % 1024], or 0. */
SEC("raw")
long array_read(unsigned char *mem, unsigned long len)
{
	__u32 key = bpf_get_prandom_u32() % 1024;
	__u64 *v = bpf_map_lookup_elem(&bench_array, &key);

	return v ? *v : 0;
}

/* bench_hash[random % 1024], or 0. */
SEC("raw")
long hash_read(unsigned char *mem, unsigned long len)
{
	__u32 key = bpf_get_prandom_u32() % 1024;
	__u64 *v = bpf_map_lookup_elem(&bench_hash, &key);

	return v ? *v : 0;
}

/* bench_array[first input byte pair % 1024], or 0. */
SEC("raw")
long array_read_input(unsigned char *mem, unsigned long len)
{
	__u32 key;
	__u64 *v;

	if (len < 2)
		return 0;
	key = (mem[0] | mem[1] << 8) % 1024;
	v = bpf_map_lookup_elem(&bench_array, &key);
	return v ? *v : 0;
}

char LICENSE[] SEC("license") = "GPL";
