// A PROG_ARRAY with initial entries: dispatch tail-calls slot (packet length % 4); slots 0 and 2 hold
// programs, so lengths 1 and 3 fall through to dispatch's own return value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int stage_zero(struct xdp_md *ctx);
int stage_two(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} jump_table SEC(".maps") = {
	.values = {
		[0] = (void *)&stage_zero,
		[2] = (void *)&stage_two,
	},
};

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	bpf_tail_call(ctx, &jump_table, len & 3);
	return 100;
}

SEC("xdp/stage")
int stage_zero(struct xdp_md *ctx)
{
	return 10;
}

SEC("xdp/stage")
int stage_two(struct xdp_md *ctx)
{
	return 12;
}

char LICENSE[] SEC("license") = "GPL";
