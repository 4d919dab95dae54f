// Context loads whose offsets are known: the verifier proves which loads read `struct
// xdp_md` and at which field. The load a fact is about is on the line marked
// `FACT(<name>)`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Reads data and data_end from the context, then one packet byte. */
SEC("xdp") int first_byte(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data; // FACT(data)
	unsigned char *end = (void *)(long)ctx->data_end; // FACT(data_end)

	if (data + 1 > end)
		return XDP_DROP;
	return data[0] == 0xff ? XDP_DROP : XDP_PASS;
}

/* A subprogram reads the context it is given at offset 12 (ingress_ifindex). */
static __attribute__((noinline)) int ifindex_of(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex; // FACT(ifindex)
}

SEC("xdp") int via_subprogram(struct xdp_md *ctx)
{
	return ifindex_of(ctx) == 7 ? XDP_DROP : XDP_PASS;
}

/* A context pointer moved 4 bytes forward, then read at offset 0: data_end. */
SEC("xdp") __attribute__((naked)) int moved_context(void)
{
	asm volatile(
		"r1 += 4;"
		"r2 = *(u32 *)(r1 + 0);" // the load at instruction 1
		"r0 = 2;"
		"exit;");
}

char LICENSE[] SEC("license") = "GPL";
