// Global variables in .data, .rodata, .bss and a custom .data.* section, and a trace_printk
// whose format string literal lands in .rodata.str1.1.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 counter = 5;
const volatile __u32 limit = 3;
__u64 hits;
static __u32 table[4] = { 1, 2, 3, 4 };
__u32 custom SEC(".data.custom") = 7;

/* counter += len; hits += 1; prints when len exceeds limit; returns
 * counter + table[len % 4] + custom. */
SEC("raw")
int use_globals(unsigned char *mem, unsigned long len)
{
	counter += len;
	hits++;
	if (len > limit)
		bpf_trace_printk("len %lu over limit\n", sizeof("len %lu over limit\n"), len);
	return counter + table[len & 3] + custom;
}

/* Reads .rodata only: returns limit * 10. */
SEC("raw")
int read_limit(unsigned char *mem, unsigned long len)
{
	return limit * 10;
}

char LICENSE[] SEC("license") = "GPL";
