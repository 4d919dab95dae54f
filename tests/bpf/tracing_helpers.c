// Linux helpers outside the runtime's standard set: tracing helpers in a kprobe, socket
// buffer helpers in a tc program, and bpf_probe_read on an address held as a number. All
// verify; gen and run name each helper the runtime does not provide.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct event {
	__u64 pid_tgid;
	__u64 at_ns;
	__u64 first_word;
	char comm[16];
};

/* The second argument register of x86-64 (pt_regs->si, word 13 of the context) holds the
 * file name's address. */
SEC("kprobe/do_sys_openat2") int trace_open(__u64 *regs)
{
	struct event ev = {};
	const void *filename = (const void *)regs[13];

	ev.pid_tgid = bpf_get_current_pid_tgid();
	ev.at_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	bpf_probe_read_kernel(&ev.first_word, sizeof(ev.first_word), filename);
	bpf_perf_event_output(regs, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

/* Rewrites the IPv4 TTL through the socket buffer helpers. */
SEC("tc") int lower_ttl(struct __sk_buff *skb)
{
	__u8 ttl;

	if (bpf_skb_load_bytes(skb, 14 + 8, &ttl, 1) < 0 || ttl <= 1)
		return 0;
	ttl -= 1;
	bpf_skb_store_bytes(skb, 14 + 8, &ttl, 1, 0);
	return 0;
}

/* bpf_probe_read (id 4) from an address given as a number: verifies, but the runtime does
 * not provide the helper. */
SEC("raw") int probe_read_number(unsigned char *mem, unsigned long len)
{
	__u64 out = 0;

	bpf_probe_read(&out, sizeof(out), (const void *)len);
	return out;
}

char LICENSE[] SEC("license") = "GPL";
