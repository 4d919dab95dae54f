// Instruction sequences clang does not emit from C, written in eBPF assembly. BTF line info
// covers a whole asm statement, so the line marked `REJECT(<program>)` is the statement that
// holds the instruction the verifier must point at.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NAKED __attribute__((naked))

/* Reads 8 bytes above the frame pointer. */
SEC("raw") NAKED int stack_above_frame(void)
{
	asm volatile( // REJECT(stack_above_frame)
		"r0 = *(u64 *)(r10 + 8);"
		"exit;");
}

/* Writes below the 512-byte frame. */
SEC("raw") NAKED int stack_below_frame(void)
{
	asm volatile( // REJECT(stack_below_frame)
		"r1 = 1;"
		"*(u64 *)(r10 - 520) = r1;"
		"r0 = 0;"
		"exit;");
}

/* Dereferences a number. */
SEC("raw") NAKED int number_deref(void)
{
	asm volatile( // REJECT(number_deref)
		"r1 = 4096;"
		"r0 = *(u64 *)(r1 + 0);"
		"exit;");
}

/* Returns a register that was never written. */
SEC("raw") NAKED int uninit_register(void)
{
	asm volatile( // REJECT(uninit_register)
		"r0 = r5;"
		"exit;");
}

/* Adds two pointers. */
SEC("raw") NAKED int pointer_plus_pointer(void)
{
	asm volatile( // REJECT(pointer_plus_pointer)
		"r1 += r1;"
		"r0 = 0;"
		"exit;");
}

/* Stores the stack pointer into the packet. */
SEC("xdp") NAKED int pointer_into_packet(void)
{
	asm volatile( // REJECT(pointer_into_packet)
		"r2 = *(u32 *)(r1 + 0);"
		"r3 = *(u32 *)(r1 + 4);"
		"r4 = r2;"
		"r4 += 8;"
		"if r4 > r3 goto 1f;"
		"*(u64 *)(r2 + 0) = r10;"
		"1:"
		"r0 = 2;"
		"exit;");
}

/* Returns the context pointer. */
SEC("xdp") NAKED int context_returned(void)
{
	asm volatile( // REJECT(context_returned)
		"r0 = r1;"
		"exit;");
}

/* Reads a stack slot that was never written and returns it. */
SEC("raw") NAKED int uninit_stack_read(void)
{
	asm volatile( // REJECT(uninit_stack_read)
		"r0 = *(u64 *)(r10 - 8);"
		"exit;");
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
	asm volatile( // REJECT(callee_above_frame)
		"r0 = *(u64 *)(r10 + 504);"
		"exit;");
}

char LICENSE[] SEC("license") = "GPL";
