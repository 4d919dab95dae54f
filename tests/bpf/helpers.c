// Every helper the runtime implements besides the map helpers and tail_call (see
// maps_basic.c and tail_calls.c), each used so that its result is visible.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* 1 when time does not run backwards between two reads. */
SEC("raw")
int monotonic(unsigned char *mem, unsigned long len)
{
	__u64 t1 = bpf_ktime_get_ns();
	__u64 t2 = bpf_ktime_get_ns();

	return t2 >= t1;
}

/* A random number below len (0 when len is 0). */
SEC("raw")
int random_below(unsigned char *mem, unsigned long len)
{
	__u32 r = bpf_get_prandom_u32();

	if (len == 0)
		return 0;
	return r % (__u32)len;
}

SEC("raw")
int cpu_id(unsigned char *mem, unsigned long len)
{
	return bpf_get_smp_processor_id();
}

/* The thread id: the low 32 bits of pid_tgid. */
SEC("raw")
int thread_id(unsigned char *mem, unsigned long len)
{
	return bpf_get_current_pid_tgid() & 0xffffffff;
}

/* Prints len and the first byte; returns what trace_printk returned. */
SEC("raw")
int print(unsigned char *mem, unsigned long len)
{
	static const char fmt[] = "len=%lu first=%u\n";

	if (len == 0)
		return bpf_trace_printk(fmt, sizeof(fmt), len, 0);
	return bpf_trace_printk(fmt, sizeof(fmt), len, mem[0]);
}

char LICENSE[] SEC("license") = "GPL";
