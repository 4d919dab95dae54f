// 32-bit bounds: what a 32-bit comparison or operation proves about a 64-bit register.
#include "kdiff.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[16]);
} vals SEC(".maps");

/* r0 = &vals[0] (or exit 0), r6 = an unknown 64-bit number, r7 = an unknown 32-bit one. */
#define VALUE_AND_UNKNOWN                   \
	"*(u32 *)(r10 - 4) = 0;"            \
	"r2 = r10;" "r2 += -4;"             \
	"r1 = %[vals] ll;"                  \
	"call %[bpf_map_lookup_elem];"      \
	"if r0 == 0 goto 1f;"               \
	"r6 = *(u64 *)(r0 + 0);"            \
	"r7 = *(u32 *)(r0 + 8);"
#define MAP_ARGS IMM_ADDR(vals), IMM(bpf_map_lookup_elem)
#define OUT "1:" "r0 = 0;" "exit;"

/* A 32-bit bound on a 64-bit number says nothing about its upper half. */
SEC("xdp") NAKED int w_bound_on_64bit_unsafe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"if w6 > 8 goto 1f;" "r0 += r6;" "r0 = *(u64 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

SEC("xdp") NAKED int w_bound_on_64bit_safe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"if w7 > 8 goto 1f;" "r0 += r7;" "r0 = *(u64 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

/* A signed 32-bit bound leaves negative numbers, which zero-extend to large ones. */
SEC("xdp") NAKED int w_signed_bound_unsafe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"if w7 s> 8 goto 1f;" "r0 += r7;" "r0 = *(u64 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

SEC("xdp") NAKED int w_signed_bound_safe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"if w7 s> 8 goto 1f;" "if w7 s< 0 goto 1f;" "r0 += r7;"
		"r0 = *(u64 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

/* 0 - 1 in 32 bits wraps to 0xffffffff. */
SEC("xdp") NAKED int w_wraparound_unsafe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"w7 &= 7;" "w7 -= 1;" "r0 += r7;" "r0 = *(u8 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

SEC("xdp") NAKED int w_wraparound_safe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"w7 &= 7;" "if w7 == 0 goto 1f;" "w7 -= 1;" "r0 += r7;" "r0 = *(u8 *)(r0 + 0);"
		"exit;" OUT :: MAP_ARGS);
}

/* A 32-bit shift of a bounded number past its range. */
SEC("xdp") NAKED int w_shift_unsafe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"w7 &= 3;" "w7 <<= 3;" "w7 += 1;" "r0 += r7;" "r0 = *(u64 *)(r0 + 0);" "exit;"
		OUT :: MAP_ARGS);
}

SEC("xdp") NAKED int w_shift_safe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"w7 &= 1;" "w7 <<= 3;" "r0 += r7;" "r0 = *(u64 *)(r0 + 0);" "exit;"
		OUT :: MAP_ARGS);
}

char _license[] SEC("license") = "GPL";
