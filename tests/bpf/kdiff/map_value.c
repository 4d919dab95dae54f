// Map values with variable offsets: a number the verifier cannot know (read from the value
// itself) indexes the 16-byte value; the unsafe programs bound it too loosely.
#include "kdiff.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[16]);
} vals SEC(".maps");

/* r0 = &vals[0] (or exit 0 when missing), r6 = an unknown 64-bit number read from it. */
#define VALUE_AND_UNKNOWN                   \
	"*(u32 *)(r10 - 4) = 0;"            \
	"r2 = r10;" "r2 += -4;"             \
	"r1 = %[vals] ll;"                  \
	"call %[bpf_map_lookup_elem];"      \
	"if r0 == 0 goto 1f;"               \
	"r6 = *(u64 *)(r0 + 0);"
#define MAP_ARGS IMM_ADDR(vals), IMM(bpf_map_lookup_elem)
#define OUT "1:" "r0 = 0;" "exit;"

SEC("xdp") NAKED int unbounded_index_unsafe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"r0 += r6;" "r0 = *(u8 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

SEC("xdp") NAKED int unbounded_index_safe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"r6 &= 15;" "r0 += r6;" "r0 = *(u8 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

/* An index up to 9 and an 8-byte read: bytes 9..16 of a 16-byte value. */
SEC("xdp") NAKED int upper_bound_off_by_one_unsafe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"if r6 > 9 goto 1f;" "r0 += r6;" "r0 = *(u64 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

SEC("xdp") NAKED int upper_bound_off_by_one_safe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"if r6 > 8 goto 1f;" "r0 += r6;" "r0 = *(u64 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

/* A signed bound leaves negative indexes. */
SEC("xdp") NAKED int signed_bound_unsafe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"if r6 s> 8 goto 1f;" "r0 += r6;" "r0 = *(u64 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

SEC("xdp") NAKED int signed_bound_safe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"if r6 s> 8 goto 1f;" "if r6 s< 0 goto 1f;" "r0 += r6;"
		"r0 = *(u64 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

/* A masked index: 15 + 8 bytes passes the end; 8 + 8 does not. */
SEC("xdp") NAKED int masked_write_unsafe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"r6 &= 15;" "r0 += r6;" "r7 = 0;" "*(u64 *)(r0 + 0) = r7;" "r0 = 0;" "exit;"
		OUT :: MAP_ARGS);
}

SEC("xdp") NAKED int masked_write_safe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"r6 &= 8;" "r0 += r6;" "r7 = 0;" "*(u64 *)(r0 + 0) = r7;" "r0 = 0;" "exit;"
		OUT :: MAP_ARGS);
}

/* A subtracted index goes below the value's start; the safe program subtracts from a
 * number instead (Linux refuses any variable subtraction from a map value pointer). */
SEC("xdp") NAKED int subtracted_index_unsafe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"r6 &= 7;" "r0 -= r6;" "r0 = *(u8 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

SEC("xdp") NAKED int subtracted_index_safe(void)
{
	asm volatile(VALUE_AND_UNKNOWN
		"r6 &= 7;" "r7 = 8;" "r7 -= r6;" "r0 += r7;" "r0 = *(u8 *)(r0 + 0);" "exit;" OUT :: MAP_ARGS);
}

char _license[] SEC("license") = "GPL";
