// Code only in `.text`: no program section at all. As libbpf and PREVAIL list such an object,
// each function no other function calls is a program (here `text_entry`; `text_double` is
// its subprogram), of the default type.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__attribute__((noinline)) int text_double(int x)
{
	return x * 2;
}

int text_entry(struct __sk_buff *skb)
{
	return text_double(skb->len);
}

char LICENSE[] SEC("license") = "GPL";
