// Three programs in one section, so the second and third start past section offset 0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("raw")
int first(unsigned char *mem, unsigned long len)
{
	return len + 1;
}

SEC("raw")
int second(unsigned char *mem, unsigned long len)
{
	if (len > 10)
		return 2;
	return len * 7;
}

SEC("raw")
int third(unsigned char *mem, unsigned long len)
{
	if (len == 0)
		return -1;
	return mem[0] ^ 0x5a;
}

char LICENSE[] SEC("license") = "GPL";
