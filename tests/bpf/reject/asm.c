// Instruction sequences clang does not emit from C, written in eBPF assembly. The line
// marked `REJECT(<program>)` holds the instruction the verifier must point at.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NAKED __attribute__((naked))

/* Reads 8 bytes above the frame pointer. */
SEC("raw") NAKED int stack_above_frame(void)
{
	asm volatile(
		"r0 = *(u64 *)(r10 + 8);" // REJECT(stack_above_frame)
		"exit;");
}

/* Writes below the 512-byte frame. */
SEC("raw") NAKED int stack_below_frame(void)
{
	asm volatile(
		"r1 = 1;"
		"*(u64 *)(r10 - 520) = r1;" // REJECT(stack_below_frame)
		"r0 = 0;"
		"exit;");
}

/* Dereferences a number. */
SEC("raw") NAKED int number_deref(void)
{
	asm volatile(
		"r1 = 4096;"
		"r0 = *(u64 *)(r1 + 0);" // REJECT(number_deref)
		"exit;");
}

/* Returns a register that was never written. */
SEC("raw") NAKED int uninit_register(void)
{
	asm volatile(
		"r0 = r5;"
		"exit;"); // REJECT(uninit_register)
}

/* Adds two pointers. */
SEC("raw") NAKED int pointer_plus_pointer(void)
{
	asm volatile(
		"r1 += r1;" // REJECT(pointer_plus_pointer)
		"r0 = 0;"
		"exit;");
}

/* Stores the stack pointer into the packet. */
SEC("xdp") NAKED int pointer_into_packet(void)
{
	asm volatile(
		"r2 = *(u32 *)(r1 + 0);"
		"r3 = *(u32 *)(r1 + 4);"
		"r4 = r2;"
		"r4 += 8;"
		"if r4 > r3 goto 1f;"
		"*(u64 *)(r2 + 0) = r10;" // REJECT(pointer_into_packet)
		"1:"
		"r0 = 2;"
		"exit;");
}

/* Returns the context pointer. */
SEC("xdp") NAKED int context_returned(void)
{
	asm volatile(
		"r0 = r1;"
		"exit;"); // REJECT(context_returned)
}

/* Reads a stack slot that was never written and returns it. */
SEC("raw") NAKED int uninit_stack_read(void)
{
	asm volatile(
		"r0 = *(u64 *)(r10 - 8);"
		"exit;"); // REJECT(uninit_stack_read)
}

/* A subprogram reads above its own frame pointer: its caller's frame, in the verifier's
 * contiguous model of the stack, but outside the subprogram's own frame. */
SEC("raw") NAKED int callee_above_frame(void)
{
	asm volatile(
		"r1 = 5;"
		"*(u64 *)(r10 - 8) = r1;"
		"call peek_caller;"
		"exit;");
}

NAKED __attribute__((noinline)) int peek_caller(void)
{
	asm volatile(
		"r0 = *(u64 *)(r10 + 504);" // REJECT(callee_above_frame)
		"exit;");
}

char LICENSE[] SEC("license") = "GPL";
