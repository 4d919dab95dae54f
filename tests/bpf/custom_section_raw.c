// A raw program in a section whose name says no type. Read by name it is a socket filter,
// which gets only its context (r1), so `len` (r2) is uninitialised and the comparison is
// refused; given the raw type (`--program-type my_filter=raw`) it verifies and runs: it
// returns the sum of the first two bytes, or 0 for shorter input.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("my_filter") int sum_two(unsigned char *mem, unsigned long len)
{
	if (len < 2)
		return 0;
	return mem[0] + mem[1];
}

char LICENSE[] SEC("license") = "GPL";
