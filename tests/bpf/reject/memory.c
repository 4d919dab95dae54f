// Out-of-bounds accesses to the context, the packet, the raw buffer, the stack and global
// data, which the verifier must refuse. The line marked `REJECT(<program>)` is where the
// verifier must point.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Reads 4 bytes at offset 24 of the 24-byte struct xdp_md. */
SEC("xdp") int ctx_past_end(struct xdp_md *ctx)
{
	return ((volatile __u32 *)ctx)[6]; // REJECT(ctx_past_end)
}

/* Writes a read-only context field. */
SEC("xdp") int ctx_write(struct xdp_md *ctx)
{
	ctx->data = ctx->data_end; // REJECT(ctx_write)
	return XDP_PASS;
}

/* Reads the packet without comparing against data_end. */
SEC("xdp") int packet_unchecked(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[0]; // REJECT(packet_unchecked)
}

/* Checks 14 bytes, then reads the 15th. */
SEC("xdp") int packet_off_by_one(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;

	if (data + 14 > end)
		return XDP_DROP;
	return data[14]; // REJECT(packet_off_by_one)
}

/* `<=` where `<` is needed: mem[len] is one past the end. */
SEC("raw") int buffer_off_by_one(unsigned char *mem, unsigned long len)
{
	unsigned long i;

	if (len < 1)
		return 0;
	i = mem[0] == 7 ? len : 0;
	if (i <= len)
		return mem[i]; // REJECT(buffer_off_by_one)
	return 0;
}

/* A stack array indexed with a byte from the buffer: up to 255 past its start. */
SEC("raw") int stack_index(unsigned char *mem, unsigned long len)
{
	volatile unsigned char buf[16] = {};

	if (len < 1)
		return 0;
	return buf[mem[0]]; // REJECT(stack_index)
}

unsigned char table[16] = { 1, 2, 3 };

/* A global array (in .data) indexed past its end. */
SEC("raw") int global_index(unsigned char *mem, unsigned long len)
{
	return table[len & 31]; // REJECT(global_index)
}

/* A subprogram dereferences what it was given; its caller passes a NULL. */
static __attribute__((noinline)) int read_first(unsigned char *p)
{
	return *p; // REJECT(null_into_subprogram)
}

SEC("raw") int null_into_subprogram(unsigned char *mem, unsigned long len)
{
	return read_first(len > 4 ? mem : 0);
}

char LICENSE[] SEC("license") = "GPL";
