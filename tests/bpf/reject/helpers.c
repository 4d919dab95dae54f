// Helper calls the verifier must refuse: helpers the runtime does not provide, and
// arguments of the wrong kind or size. The line marked `REJECT(<program>)` is where the
// verifier must point.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} plain SEC(".maps");

/* bpf_probe_read (id 4) verifies, but its source address must be a number: passing the
 * context pointer would let the program copy from memory the verifier tracks as a pointer
 * without checking bounds. (That the runtime does not provide the helper is refused later,
 * by gen and run; see verify_accept.) */
SEC("raw") int probe_read(unsigned char *mem, unsigned long len)
{
	__u64 out = 0;

	bpf_probe_read(&out, sizeof(out), mem); // REJECT(probe_read)
	return out;
}

/* A made-up helper id. */
SEC("raw") int made_up_helper(unsigned char *mem, unsigned long len)
{
	long (*nonexistent)(long) = (void *)999;

	return nonexistent(len); // REJECT(made_up_helper)
}

/* The format string is 6 bytes; the size claims 64. */
SEC("raw") int printk_size(unsigned char *mem, unsigned long len)
{
	char fmt[] = "len\n";

	asm volatile("" : "+m"(fmt));
	return bpf_trace_printk(fmt, 64); // REJECT(printk_size)
}

/* bpf_tail_call needs a PROG_ARRAY; this is a plain array. */
SEC("xdp") int tail_call_plain_array(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &plain, 0); // REJECT(tail_call_plain_array)
	return XDP_PASS;
}

/* The context is passed where a map value pointer is expected. */
SEC("raw") int update_from_buffer(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;

	return bpf_map_update_elem(&plain, &key, (void *)len, BPF_ANY); // REJECT(update_from_buffer)
}

char LICENSE[] SEC("license") = "GPL";
