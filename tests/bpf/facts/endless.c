// Loops that never end for some inputs. Verification does not prove termination (see
// docs/verification.md): these verify, and a run that loops is stopped by the run-time
// back-edge budget.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Spins while the first byte of the buffer is not 0x2a; counts its iterations. The byte
 * is re-read each time (volatile), so clang keeps the loop. */
SEC("raw") int spin_until_42(unsigned char *mem, unsigned long len)
{
	volatile unsigned char *flag = mem;
	__u32 n = 0;

	if (len < 1)
		return -1;
	while (*flag != 42) // LOOP(spin_until_42)
		n++;
	return n;
}

/* An XDP program whose loop runs until a counter in a volatile stack slot reaches a value
 * taken from the packet: endless for 0, since the counter starts at 1 and only grows. */
SEC("xdp") int count_to_packet_byte(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	volatile __u32 i = 1;

	if (data + 1 > end)
		return XDP_ABORTED;
	while (i != data[0]) // LOOP(count_to_packet_byte)
		i = i + 1 > 255 ? 1 : i + 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
