// Programs that each verify alone, but that share a subprogram whose memory access reads the
// context from one program and other memory from another. The generated C has one function
// for the subprogram, and it must know whether an access reads the context (which it
// rewrites to the native context layout), so verification of the object refuses them.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Reads the 32-bit word at offset 12 of whatever it is given. */
static __attribute__((noinline)) int word_12(const void *p)
{
	return *(const volatile __u32 *)((const char *)p + 12); // SHARED(word_12)
}

/* Gives word_12 the context: it reads ingress_ifindex. */
SEC("xdp") int from_context(struct xdp_md *ctx)
{
	return word_12(ctx) == 7 ? XDP_DROP : XDP_PASS;
}

/* Gives word_12 a copy of the context on the stack. */
SEC("xdp") int from_stack(struct xdp_md *ctx)
{
	struct xdp_md copy = { .ingress_ifindex = ctx->rx_queue_index };

	return word_12(&copy) == 7 ? XDP_DROP : XDP_PASS;
}

/* Reads the 32-bit word at offset 16 of whatever it is given. */
static __attribute__((noinline)) int word_16(const void *p)
{
	return *(const volatile __u32 *)((const char *)p + 16); // SHARED(word_16)
}

/* Gives word_16 the context: it reads rx_queue_index. */
SEC("xdp") int xdp_word(struct xdp_md *ctx)
{
	return word_16(ctx) == 7 ? XDP_DROP : XDP_PASS;
}

/* Gives word_16 its input buffer, which is not a context. */
SEC("raw") int raw_word(unsigned char *mem, unsigned long len)
{
	if (len < 20)
		return 0;
	return word_16(mem);
}

char LICENSE[] SEC("license") = "GPL";
