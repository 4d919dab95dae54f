// The safe counterparts of tests/bpf/reject/null_arith.c: the same pointer arithmetic on a
// map lookup's result, each done after the result was compared with NULL. All verify
// (with PREVAIL and with Linux) and run; tests/e2e_objects.rs runs them with the maps
// empty (the NULL path) and filled.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NAKED __attribute__((naked))
#define IMM(name) [name] "i"(name)
#define IMM_ADDR(name) [name] "i"(&name)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, __u64[2]);
} hashed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64[2]);
} slots SEC(".maps");

/* r0 = bpf_map_lookup_elem(&hashed, &(u64){0}), which may be NULL. */
#define LOOKUP_HASHED                \
	"*(u64 *)(r10 - 8) = 0;"     \
	"r2 = r10;"                  \
	"r2 += -8;"                  \
	"r1 = %[hashed] ll;"         \
	"call %[bpf_map_lookup_elem];"

/* Each program returns the second word of hashed[0], or 0 when there is no entry. */

SEC("xdp") NAKED int add_imm(void)
{
	asm volatile(
		LOOKUP_HASHED
		"if r0 == 0 goto 1f;"
		"r0 += 8;"
		"r0 = *(u64 *)(r0 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

SEC("xdp") NAKED int add_reg(void)
{
	asm volatile(
		LOOKUP_HASHED
		"if r0 == 0 goto 1f;"
		"r6 = 8;"
		"r0 += r6;"
		"r0 = *(u64 *)(r0 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

SEC("xdp") NAKED int add_to_number(void)
{
	asm volatile(
		LOOKUP_HASHED
		"if r0 == 0 goto 1f;"
		"r6 = 8;"
		"r6 += r0;"
		"r0 = *(u64 *)(r6 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* Copies the pointer, checks the copy, adds to the copy. */
SEC("xdp") NAKED int add_to_checked_copy(void)
{
	asm volatile(
		LOOKUP_HASHED
		"r6 = r0;"
		"if r6 == 0 goto 1f;"
		"r6 += 8;"
		"r0 = *(u64 *)(r6 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

SEC("xdp") NAKED int spill_reload_add(void)
{
	asm volatile(
		LOOKUP_HASHED
		"if r0 == 0 goto 1f;"
		"*(u64 *)(r10 - 16) = r0;"
		"r1 = *(u64 *)(r10 - 16);"
		"r1 += 8;"
		"r0 = *(u64 *)(r1 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* The caller checks; the subprogram does the arithmetic. */
SEC("xdp") NAKED int add_in_subprogram(void)
{
	asm volatile(
		LOOKUP_HASHED
		"if r0 == 0 goto 1f;"
		"r1 = r0;"
		"call read_second_word;"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

static __attribute__((used, noinline)) NAKED int read_second_word(void)
{
	asm volatile(
		"r1 += 8;"
		"r0 = *(u64 *)(r1 + 0);"
		"exit;");
}

/* Uses the second word of hashed[0] as the key of a second lookup and returns the first
 * word of that entry (0 when either lookup finds nothing). */
SEC("xdp") NAKED int offset_key_to_lookup(void)
{
	asm volatile(
		LOOKUP_HASHED
		"if r0 == 0 goto 1f;"
		"r0 += 8;"
		"r2 = r0;"
		"r1 = %[hashed] ll;"
		"call %[bpf_map_lookup_elem];"
		"if r0 == 0 goto 1f;"
		"r0 = *(u64 *)(r0 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* The array index is the packet's first 4 bytes: the second word of slots[index], or 0 for
 * an index past max_entries (the lookup's NULL) or a packet shorter than 4 bytes. */
SEC("xdp") NAKED int array_packet_key(void)
{
	asm volatile(
		"r2 = *(u32 *)(r1 + 0);"
		"r3 = *(u32 *)(r1 + 4);"
		"r4 = r2;"
		"r4 += 4;"
		"if r4 > r3 goto 1f;"
		"r1 = %[slots] ll;"
		"call %[bpf_map_lookup_elem];"
		"if r0 == 0 goto 1f;"
		"r0 += 8;"
		"r0 = *(u64 *)(r0 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(slots), IMM(bpf_map_lookup_elem));
}

/* The subtractions stay at or above the value's start: PREVAIL tracks a pointer's address
 * as an unsigned number, and a checked pointer moved below its start (r0 -= 8, then read at
 * r0 + 16, which Linux accepts) has an address range reaching 0, so PREVAIL can no longer
 * tell it from NULL. */
SEC("xdp") NAKED int sub_imm(void)
{
	asm volatile(
		LOOKUP_HASHED
		"if r0 == 0 goto 1f;"
		"r0 += 16;"
		"r0 -= 8;"
		"r0 = *(u64 *)(r0 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

SEC("xdp") NAKED int sub_reg(void)
{
	asm volatile(
		LOOKUP_HASHED
		"if r0 == 0 goto 1f;"
		"r0 += 16;"
		"r6 = 8;"
		"r0 -= r6;"
		"r0 = *(u64 *)(r0 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

char LICENSE[] SEC("license") = "GPL";
