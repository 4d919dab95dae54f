// Events to the host: a ring buffer (output, reserve/submit/discard, query) and a perf
// event array (bpf_perf_event_output with BPF_F_CURRENT_CPU, an index, and XDP packet bytes).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 2);
} perf SEC(".maps");

struct record {
	__u32 len;
	__u32 first;
};

/* Sends {len, first 4 bytes of mem} with bpf_ringbuf_output; its result. */
SEC("raw")
int ring_output(unsigned char *mem, unsigned long len)
{
	struct record r = {.len = len, .first = 0};

	if (len >= 4)
		__builtin_memcpy(&r.first, mem, 4);
	return bpf_ringbuf_output(&ring, &r, sizeof(r), 0);
}

/* Reserves a record; submits it when mem[0] is even, discards it when odd. Returns 1 when
 * the reservation failed, else the bytes of unconsumed data the ring then holds. */
SEC("raw")
int ring_reserve(unsigned char *mem, unsigned long len)
{
	struct record *r;

	if (len < 1)
		return -1000;
	r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
	if (!r)
		return 1;
	r->len = len;
	r->first = mem[0];
	if (mem[0] & 1)
		bpf_ringbuf_discard(r, 0);
	else
		bpf_ringbuf_submit(r, 0);
	return bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA);
}

/* Bad flags: EINVAL from output, NULL from reserve. Returns output's result, or -1000 if
 * the reserve did not fail. */
SEC("raw")
int ring_bad_flags(unsigned char *mem, unsigned long len)
{
	__u64 x = 1;
	void *r = bpf_ringbuf_reserve(&ring, 8, 1);

	if (r) {
		bpf_ringbuf_discard(r, 0);
		return -1000;
	}
	return bpf_ringbuf_output(&ring, &x, sizeof(x), 4);
}

/* A reservation the program never submits: the runtime discards it when the run ends. */
SEC("raw")
int ring_leak(unsigned char *mem, unsigned long len)
{
	__u64 *r = bpf_ringbuf_reserve(&ring, 8, 0);

	if (!r)
		return 1;
	*r = 42;
	return 0;
}

/* The packet: index (u32, 0xffffffff for BPF_F_CURRENT_CPU), value (u32). Sends the value
 * to that perf buffer. Returns XDP_PASS when the output succeeded, else XDP_DROP, and
 * writes the helper's result over the value. */
SEC("xdp")
int perf_indexed(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 index, value;
	int r;

	if (data + 8 > end)
		return XDP_ABORTED;
	__builtin_memcpy(&index, data, 4);
	__builtin_memcpy(&value, data + 4, 4);
	r = bpf_perf_event_output(ctx, &perf, index, &value, sizeof(value));
	__builtin_memcpy(data + 4, &r, 4);
	return r ? XDP_DROP : XDP_PASS;
}

/* Sends the packet length and the first 6 packet bytes (the Ethernet destination) to this
 * CPU's perf buffer; passes the packet, or aborts when the output fails. */
SEC("xdp")
int xdp_sample(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	if (bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU | (6ULL << 32), &len, sizeof(len)))
		return XDP_ABORTED;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
