// Packet bounds: each unsafe program touches a byte its bounds check does not cover.
#include "kdiff.h"

/* 14 bytes checked, byte 14 read. */
SEC("xdp") NAKED int read_past_check_unsafe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 14;" "if r4 > r3 goto 1f;"
		"r0 = *(u8 *)(r2 + 14);" "exit;"
		"1:" PASS);
}

SEC("xdp") NAKED int read_past_check_safe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 14;" "if r4 > r3 goto 1f;"
		"r0 = *(u8 *)(r2 + 13);" "exit;"
		"1:" PASS);
}

/* 4 bytes checked, 8 written. */
SEC("xdp") NAKED int wide_write_unsafe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 4;" "if r4 > r3 goto 1f;"
		"r5 = 0;" "*(u64 *)(r2 + 0) = r5;"
		"1:" PASS);
}

SEC("xdp") NAKED int wide_write_safe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 4;" "if r4 > r3 goto 1f;"
		"r5 = 0;" "*(u32 *)(r2 + 0) = r5;"
		"1:" PASS);
}

/* The check is taken the wrong way: the read happens when the packet is too short. */
SEC("xdp") NAKED int inverted_check_unsafe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 8;" "if r4 <= r3 goto 1f;"
		"r0 = *(u32 *)(r2 + 0);" "exit;"
		"1:" PASS);
}

SEC("xdp") NAKED int inverted_check_safe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 8;" "if r4 > r3 goto 1f;"
		"r0 = *(u32 *)(r2 + 0);" "exit;"
		"1:" PASS);
}

/* A length from the packet moves the pointer; the unsafe program reads without checking
 * again. */
SEC("xdp") NAKED int variable_offset_unchecked_unsafe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 1;" "if r4 > r3 goto 1f;"
		"r5 = *(u8 *)(r2 + 0);" "r2 += r5;"
		"r0 = *(u8 *)(r2 + 0);" "exit;"
		"1:" PASS);
}

SEC("xdp") NAKED int variable_offset_unchecked_safe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 1;" "if r4 > r3 goto 1f;"
		"r5 = *(u8 *)(r2 + 0);" "r2 += r5;"
		"r4 = r2;" "r4 += 1;" "if r4 > r3 goto 1f;"
		"r0 = *(u8 *)(r2 + 0);" "exit;"
		"1:" PASS);
}

/* Before the packet's start. */
SEC("xdp") NAKED int before_start_unsafe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 8;" "if r4 > r3 goto 1f;"
		"r0 = *(u8 *)(r2 - 1);" "exit;"
		"1:" PASS);
}

SEC("xdp") NAKED int before_start_safe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 8;" "if r4 > r3 goto 1f;"
		"r0 = *(u8 *)(r2 + 0);" "exit;"
		"1:" PASS);
}

/* The bound is checked on one copy and the other copy moved further. */
SEC("xdp") NAKED int moved_after_check_unsafe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 8;" "if r4 > r3 goto 1f;"
		"r2 += 8;" "r0 = *(u8 *)(r2 + 0);" "exit;"
		"1:" PASS);
}

SEC("xdp") NAKED int moved_after_check_safe(void)
{
	asm volatile(PACKET
		"r4 = r2;" "r4 += 8;" "if r4 > r3 goto 1f;"
		"r2 += 7;" "r0 = *(u8 *)(r2 + 0);" "exit;"
		"1:" PASS);
}

char _license[] SEC("license") = "GPL";
