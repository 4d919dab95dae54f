// Context access: the XDP context (struct xdp_md, 24 bytes) read and written.
#include "kdiff.h"

SEC("xdp") NAKED int past_end_unsafe(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 24);" "exit;");
}

/* (egress_ifindex, at 20, is only for programs attached to a device map.) */
SEC("xdp") NAKED int past_end_safe(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 16);" "exit;");
}

SEC("xdp") NAKED int write_data_unsafe(void)
{
	asm volatile("r2 = 0;" "*(u32 *)(r1 + 0) = r2;" PASS);
}

SEC("xdp") NAKED int write_data_safe(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);" PASS);
}

SEC("xdp") NAKED int misaligned_unsafe(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 14);" "exit;");
}

SEC("xdp") NAKED int misaligned_safe(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 12);" "exit;");
}

/* Linux refuses a context pointer moved before the access, even to a valid field. */
SEC("xdp") NAKED int moved_pointer_unsafe(void)
{
	asm volatile("r1 += 12;" "r0 = *(u32 *)(r1 + 0);" "exit;");
}

SEC("xdp") NAKED int moved_pointer_safe(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 12);" "exit;");
}

/* A 64-bit read of data and data_end together. */
SEC("xdp") NAKED int wide_read_unsafe(void)
{
	asm volatile("r0 = *(u64 *)(r1 + 0);" "r0 = 0;" "exit;");
}

SEC("xdp") NAKED int wide_read_safe(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 0);" "r0 = 0;" "exit;");
}

char _license[] SEC("license") = "GPL";
