// Loops: memory accessed from inside a loop, and a loop that never ends.
#include "kdiff.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[16]);
} vals SEC(".maps");

#define VALUE                               \
	"*(u32 *)(r10 - 4) = 0;"            \
	"r2 = r10;" "r2 += -4;"             \
	"r1 = %[vals] ll;"                  \
	"call %[bpf_map_lookup_elem];"      \
	"if r0 == 0 goto 9f;"
#define MAP_ARGS IMM_ADDR(vals), IMM(bpf_map_lookup_elem)

/* Sums bytes 0..16 of a 16-byte value: one too many. */
SEC("xdp") NAKED int index_one_past_unsafe(void)
{
	asm volatile(VALUE "r6 = 0;" "r7 = 0;"
		"1:" "r1 = r0;" "r1 += r6;" "r2 = *(u8 *)(r1 + 0);" "r7 += r2;"
		"r6 += 1;" "if r6 <= 16 goto 1b;"
		"r0 = r7;" "exit;" "9:" "r0 = 0;" "exit;" :: MAP_ARGS);
}

SEC("xdp") NAKED int index_one_past_safe(void)
{
	asm volatile(VALUE "r6 = 0;" "r7 = 0;"
		"1:" "r1 = r0;" "r1 += r6;" "r2 = *(u8 *)(r1 + 0);" "r7 += r2;"
		"r6 += 1;" "if r6 < 16 goto 1b;"
		"r0 = r7;" "exit;" "9:" "r0 = 0;" "exit;" :: MAP_ARGS);
}

/* Walks the packet a byte per trip, checking the bound only before the loop. */
SEC("xdp") NAKED int packet_walk_unchecked_unsafe(void)
{
	asm volatile(PACKET "r4 = r2;" "r4 += 1;" "if r4 > r3 goto 9f;" "r6 = 0;" "r7 = 0;"
		"1:" "r5 = *(u8 *)(r2 + 0);" "r7 += r5;" "r2 += 1;" "r6 += 1;"
		"if r6 < 8 goto 1b;" "r0 = r7;" "exit;" "9:" PASS);
}

SEC("xdp") NAKED int packet_walk_unchecked_safe(void)
{
	asm volatile(PACKET "r6 = 0;" "r7 = 0;"
		"1:" "r4 = r2;" "r4 += 1;" "if r4 > r3 goto 9f;"
		"r5 = *(u8 *)(r2 + 0);" "r7 += r5;" "r2 += 1;" "r6 += 1;"
		"if r6 < 8 goto 1b;" "9:" "r0 = r7;" "exit;");
}

/* Writes 8 bytes per trip down the stack, 70 trips: past the 512-byte frame. */
SEC("xdp") NAKED int stack_walk_unsafe(void)
{
	asm volatile("r1 = r10;" "r6 = 0;" "r2 = 0;"
		"1:" "r1 += -8;" "*(u64 *)(r1 + 0) = r2;" "r6 += 1;" "if r6 < 70 goto 1b;"
		"r0 = 0;" "exit;");
}

SEC("xdp") NAKED int stack_walk_safe(void)
{
	asm volatile("r1 = r10;" "r6 = 0;" "r2 = 0;"
		"1:" "r1 += -8;" "*(u64 *)(r1 + 0) = r2;" "r6 += 1;" "if r6 < 64 goto 1b;"
		"r0 = 0;" "exit;");
}

/* Never ends. Linux refuses it; bpf2c accepts it and stops it at run time with its loop
 * budget (docs/verification.md), which tests/ check by running it. */
SEC("xdp") NAKED int endless_unsafe(void)
{
	asm volatile("r0 = 0;" "1:" "r0 += 1;" "goto 1b;");
}

SEC("xdp") NAKED int endless_safe(void)
{
	asm volatile("r0 = 0;" "1:" "r0 += 1;" "if r0 < 1000 goto 1b;" "exit;");
}

char _license[] SEC("license") = "GPL";
