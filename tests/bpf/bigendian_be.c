// Built with -target bpfeb: big-endian instructions, maps, global data and a local call.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_map_def be_legacy SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 3,
	.map_flags = 0,
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u16);
} be_btf SEC(".maps");

__u32 be_data = 0x01020304;

static __attribute__((noinline)) int plus_data(int x)
{
	return x + be_data;
}

/* be_legacy[0] += len; returns be_legacy[0] + be_data. */
SEC("raw")
int be_prog(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&be_legacy, &key);
	__u16 *w = bpf_map_lookup_elem(&be_btf, &key);

	if (!v)
		return -1;
	*v += len;
	return plus_data(*v) + (w ? *w : 0);
}

char LICENSE[] SEC("license") = "GPL";
