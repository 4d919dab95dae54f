// Programs the end-to-end tests need beyond the rest of the corpus: the whole pid_tgid value,
// the raw ktime_get_ns value, and a program that tail-calls itself until the tail-call limit
// stops it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} self_table SEC(".maps");

__u64 entries;

/* All 64 bits: tgid in the high half, thread id in the low half. */
SEC("raw")
__u64 pid_tgid(unsigned char *mem, unsigned long len)
{
	return bpf_get_current_pid_tgid();
}

/* The clock itself, so a test can see it advance with real time. */
SEC("raw")
__u64 now(unsigned char *mem, unsigned long len)
{
	return bpf_ktime_get_ns();
}

/* Counts its runs in `entries`, then tail-calls slot 0 of self_table. With slot 0 pointing at
 * this program, the run ends when the tail-call limit makes bpf_tail_call fall through, and
 * returns the number of runs so far. */
SEC("xdp")
int again(struct xdp_md *ctx)
{
	__u64 n = __sync_fetch_and_add(&entries, 1) + 1;

	bpf_tail_call(ctx, &self_table, 0);
	return n;
}

char LICENSE[] SEC("license") = "GPL";
