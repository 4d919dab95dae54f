// A PROG_ARRAY with initial entries: dispatch tail-calls slot len % 4; slots 0 and 2 hold
// programs, so lengths 1 and 3 fall through to dispatch's own return value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int stage_zero(void *ctx);
int stage_two(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__array(values, int(void *));
} jump_table SEC(".maps") = {
	.values = {
		[0] = (void *)&stage_zero,
		[2] = (void *)&stage_two,
	},
};

SEC("raw")
int dispatch(unsigned char *mem, unsigned long len)
{
	bpf_tail_call(mem, &jump_table, len & 3);
	return 100;
}

SEC("raw/stage")
int stage_zero(void *ctx)
{
	return 10;
}

SEC("raw/stage")
int stage_two(void *ctx)
{
	return 12;
}

char LICENSE[] SEC("license") = "GPL";
