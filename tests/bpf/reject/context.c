// XDP context accesses that PREVAIL proves safe but that translation cannot carry out, so
// verification refuses them too: the runtime passes a native context whose packet pointers
// are 64 bits wide, and every context access is rewritten to its native field, which needs
// a read of one whole field at an offset the verifier knows. The line marked
// `REJECT(<program>)` is where the diagnostic must point.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Stores into a scalar field of the context. */
SEC("xdp") int ctx_store(struct xdp_md *ctx)
{
	ctx->rx_queue_index = 3; // REJECT(ctx_store)
	return XDP_PASS;
}

/* An atomic add writes the context too. */
SEC("xdp") int ctx_atomic_add(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&ctx->ingress_ifindex, 1); // REJECT(ctx_atomic_add)
	return XDP_PASS;
}

/* Reads half of the 32-bit `data` field, which is a 64-bit pointer natively. */
SEC("xdp") __attribute__((naked)) int data_narrow(void)
{
	asm volatile( // REJECT(data_narrow)
		"r2 = *(u16 *)(r1 + 0);"
		"r0 = 2;"
		"exit;");
}

/* Reads 8 bytes at offset 16: rx_queue_index and egress_ifindex in one load. */
SEC("xdp") int wide_at_16(struct xdp_md *ctx)
{
	return *(volatile __u64 *)((char *)ctx + 16) != 0; // REJECT(wide_at_16)
}

/* Reads the context at an offset that depends on the input: field 3 or 4. */
SEC("xdp") int variable_offset(struct xdp_md *ctx)
{
	__u32 i = 3 + (ctx->ingress_ifindex & 1);

	return ((volatile __u32 *)ctx)[i]; // REJECT(variable_offset)
}

/* A load whose base is the context on one path and the stack on the other. */
SEC("xdp") __attribute__((naked)) int either_base(void)
{
	asm volatile( // REJECT(either_base)
		"r2 = 0;"
		"*(u64 *)(r10 - 8) = r2;"
		"r6 = r10;"
		"r6 += -8;"
		"r3 = *(u32 *)(r1 + 12);"
		"if r3 == 0 goto 1f;"
		"r6 = r1;"
		"1:"
		"r0 = *(u32 *)(r6 + 0);"
		"r0 = 2;"
		"exit;");
}

char LICENSE[] SEC("license") = "GPL";
