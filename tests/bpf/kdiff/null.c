// NULL paths: a map lookup's result used where it may still be NULL.
#include "kdiff.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, __u64);
} table SEC(".maps");

#define LOOKUP                              \
	"*(u64 *)(r10 - 8) = 0;"            \
	"r2 = r10;" "r2 += -8;"             \
	"r1 = %[table] ll;"                 \
	"call %[bpf_map_lookup_elem];"
#define MAP_ARGS IMM_ADDR(table), IMM(bpf_map_lookup_elem)

SEC("xdp") NAKED int no_check_unsafe(void)
{
	asm volatile(LOOKUP "r0 = *(u64 *)(r0 + 0);" "exit;" :: MAP_ARGS);
}

SEC("xdp") NAKED int no_check_safe(void)
{
	asm volatile(LOOKUP "if r0 == 0 goto 1f;" "r0 = *(u64 *)(r0 + 0);" "exit;"
		"1:" "r0 = 0;" "exit;" :: MAP_ARGS);
}

/* The read is on the NULL branch. */
SEC("xdp") NAKED int inverted_check_unsafe(void)
{
	asm volatile(LOOKUP "if r0 != 0 goto 1f;" "r0 = *(u64 *)(r0 + 0);" "exit;"
		"1:" "r0 = 0;" "exit;" :: MAP_ARGS);
}

SEC("xdp") NAKED int inverted_check_safe(void)
{
	asm volatile(LOOKUP "if r0 != 0 goto 1f;" "r0 = 0;" "exit;"
		"1:" "r0 = *(u64 *)(r0 + 0);" "exit;" :: MAP_ARGS);
}

/* Two lookups; the second result is checked and the first one read. */
SEC("xdp") NAKED int checked_the_other_unsafe(void)
{
	asm volatile(LOOKUP "r6 = r0;" LOOKUP "if r0 == 0 goto 1f;"
		"r0 = *(u64 *)(r6 + 0);" "exit;" "1:" "r0 = 0;" "exit;" :: MAP_ARGS);
}

SEC("xdp") NAKED int checked_the_other_safe(void)
{
	asm volatile(LOOKUP "r6 = r0;" LOOKUP "if r6 == 0 goto 1f;"
		"r0 = *(u64 *)(r6 + 0);" "exit;" "1:" "r0 = 0;" "exit;" :: MAP_ARGS);
}

/* Spilled before the check, reloaded, and read unchecked. */
SEC("xdp") NAKED int spilled_unchecked_unsafe(void)
{
	asm volatile(LOOKUP "*(u64 *)(r10 - 16) = r0;" "r1 = *(u64 *)(r10 - 16);"
		"r0 = *(u64 *)(r1 + 0);" "exit;" :: MAP_ARGS);
}

SEC("xdp") NAKED int spilled_unchecked_safe(void)
{
	asm volatile(LOOKUP "*(u64 *)(r10 - 16) = r0;" "r1 = *(u64 *)(r10 - 16);"
		"if r1 == 0 goto 1f;" "r0 = *(u64 *)(r1 + 0);" "exit;" "1:" "r0 = 0;" "exit;"
		:: MAP_ARGS);
}

/* A write through a maybe-NULL value. */
SEC("xdp") NAKED int write_unchecked_unsafe(void)
{
	asm volatile(LOOKUP "r1 = 1;" "*(u64 *)(r0 + 0) = r1;" "r0 = 0;" "exit;" :: MAP_ARGS);
}

SEC("xdp") NAKED int write_unchecked_safe(void)
{
	asm volatile(LOOKUP "if r0 == 0 goto 1f;" "r1 = 1;" "*(u64 *)(r0 + 0) = r1;"
		"1:" "r0 = 0;" "exit;" :: MAP_ARGS);
}

char _license[] SEC("license") = "GPL";
