// A probe in a section whose name says no type: read by name it is a socket filter, whose
// context at offset 80 is `data_end` (a packet pointer), so passing that word to
// bpf_probe_read_kernel as an address is refused. Given the kprobe type
// (`--program-type my_probe=kprobe`), the context is the register file, the word a number
// (pt_regs->ax on x86-64), and the program verifies.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("my_probe") int read_returned(__u64 *regs)
{
	__u64 word = 0;

	bpf_probe_read_kernel(&word, sizeof(word), (const void *)regs[10]);
	return word != 0;
}

char LICENSE[] SEC("license") = "GPL";
