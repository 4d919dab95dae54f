// Stack: out of the 512-byte frame, and pointers spilled and overwritten.
#include "kdiff.h"

SEC("xdp") NAKED int below_frame_unsafe(void)
{
	asm volatile("r1 = 0;" "*(u64 *)(r10 - 520) = r1;" "r0 = 0;" "exit;");
}

SEC("xdp") NAKED int below_frame_safe(void)
{
	asm volatile("r1 = 0;" "*(u64 *)(r10 - 512) = r1;" "r0 = 0;" "exit;");
}

SEC("xdp") NAKED int above_frame_unsafe(void)
{
	asm volatile("r1 = 0;" "*(u64 *)(r10 + 0) = r1;" "r0 = 0;" "exit;");
}

SEC("xdp") NAKED int above_frame_safe(void)
{
	asm volatile("r1 = 0;" "*(u64 *)(r10 - 8) = r1;" "r0 = 0;" "exit;");
}

/* An 8-byte read straddling the frame's top. */
SEC("xdp") NAKED int straddles_top_unsafe(void)
{
	asm volatile("r1 = 0;" "*(u32 *)(r10 - 4) = r1;" "r0 = *(u64 *)(r10 - 4);" "exit;");
}

SEC("xdp") NAKED int straddles_top_safe(void)
{
	asm volatile("r1 = 0;" "*(u64 *)(r10 - 8) = r1;" "r0 = *(u64 *)(r10 - 8);" "exit;");
}

/* A spilled context pointer with one byte overwritten is no longer a pointer. */
SEC("xdp") NAKED int clobbered_spill_unsafe(void)
{
	asm volatile("*(u64 *)(r10 - 8) = r1;" "r2 = 0;" "*(u8 *)(r10 - 8) = r2;"
		"r1 = *(u64 *)(r10 - 8);" "r0 = *(u32 *)(r1 + 12);" "exit;");
}

SEC("xdp") NAKED int clobbered_spill_safe(void)
{
	asm volatile("*(u64 *)(r10 - 8) = r1;" "r2 = 0;" "*(u8 *)(r10 - 16) = r2;"
		"r1 = *(u64 *)(r10 - 8);" "r0 = *(u32 *)(r1 + 12);" "exit;");
}

/* A variable stack offset (0..255 from the packet) past the frame's top. */
SEC("xdp") NAKED int variable_offset_unsafe(void)
{
	asm volatile(PACKET "r4 = r2;" "r4 += 1;" "if r4 > r3 goto 1f;"
		"r5 = *(u8 *)(r2 + 0);" "r6 = r10;" "r6 += -128;" "r6 += r5;" "r7 = 0;" "*(u8 *)(r6 + 0) = r7;" "1:" PASS);
}

SEC("xdp") NAKED int variable_offset_safe(void)
{
	asm volatile(PACKET "r4 = r2;" "r4 += 1;" "if r4 > r3 goto 1f;"
		"r5 = *(u8 *)(r2 + 0);" "r6 = r10;" "r6 += -256;" "r6 += r5;" "r7 = 0;" "*(u8 *)(r6 + 0) = r7;" "1:" PASS);
}

char _license[] SEC("license") = "GPL";
