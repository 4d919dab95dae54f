// Programs whose safety rests on the largest input the verifier assumes: 65535-byte XDP
// packets and raw buffers of at most 16 MiB. Past those sizes the "impossible" branch runs and
// reads far beyond the input, so a runtime must refuse larger inputs.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_bound(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;

	if (len > 65535)
		return data[len + 4096];
	return XDP_PASS;
}

SEC("raw")
int raw_bound(unsigned char *mem, unsigned long len)
{
	if (len > (1UL << 24))
		return mem[len + 4096];
	return 7;
}

char LICENSE[] SEC("license") = "GPL";
