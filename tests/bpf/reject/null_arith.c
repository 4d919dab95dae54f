// Pointer arithmetic on a map value that may still be NULL: the result of
// bpf_map_lookup_elem before its NULL check. NULL + 8 is "non-NULL", so a NULL check
// after the arithmetic proves nothing and the access faults at address 8. Linux refuses
// every one of these with "R0 pointer arithmetic on map_value_or_null prohibited,
// null-check it first" (or, for 32-bit ALU, "32-bit pointer arithmetic prohibited").
// Each program has one shape; the safe counterparts, which null-check before the
// arithmetic, are in tests/bpf/null_checked_arith.c. The line marked `REJECT(<program>)`
// is the asm statement holding the refused instruction.
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

/* Instructions 0-5: r0 = bpf_map_lookup_elem(&hashed, &(u64){0}), which may be NULL. */
#define LOOKUP_HASHED                \
	"*(u64 *)(r10 - 8) = 0;"     \
	"r2 = r10;"                  \
	"r2 += -8;"                  \
	"r1 = %[hashed] ll;"         \
	"call %[bpf_map_lookup_elem];"

/* Adds to the result and never checks it. */
SEC("xdp") NAKED int add_imm_unchecked(void)
{
	asm volatile( // REJECT(add_imm_unchecked)
		LOOKUP_HASHED
		"r0 += 8;"
		"r0 = *(u64 *)(r0 + 0);"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* Adds, then checks the sum against NULL: NULL + 8 passes the check. */
SEC("xdp") NAKED int add_imm_checked_after(void)
{
	asm volatile( // REJECT(add_imm_checked_after)
		LOOKUP_HASHED
		"r0 += 8;"
		"if r0 == 0 goto 1f;"
		"r0 = *(u64 *)(r0 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* Adds an offset held in a register. */
SEC("xdp") NAKED int add_reg(void)
{
	asm volatile( // REJECT(add_reg)
		LOOKUP_HASHED
		"r6 = 8;"
		"r0 += r6;"
		"if r0 == 0 goto 1f;"
		"r0 = *(u64 *)(r0 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* Adds the maybe-NULL pointer to a number (the pointer is the source operand). */
SEC("xdp") NAKED int add_to_number(void)
{
	asm volatile( // REJECT(add_to_number)
		LOOKUP_HASHED
		"r6 = 8;"
		"r6 += r0;"
		"if r6 == 0 goto 1f;"
		"r0 = *(u64 *)(r6 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* Adds to a copy, then checks the original: the copy is still unchecked. */
SEC("xdp") NAKED int add_to_copy_check_original(void)
{
	asm volatile( // REJECT(add_to_copy_check_original)
		LOOKUP_HASHED
		"r6 = r0;"
		"r6 += 8;"
		"if r0 == 0 goto 1f;"
		"r0 = *(u64 *)(r6 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* Spills the pointer to the stack, reloads it and adds to the reloaded copy. */
SEC("xdp") NAKED int spill_reload_add(void)
{
	asm volatile( // REJECT(spill_reload_add)
		LOOKUP_HASHED
		"*(u64 *)(r10 - 16) = r0;"
		"r1 = *(u64 *)(r10 - 16);"
		"r1 += 8;"
		"if r1 == 0 goto 1f;"
		"r0 = *(u64 *)(r1 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* Passes the maybe-NULL pointer to a subprogram, which does the arithmetic. */
SEC("xdp") NAKED int add_in_subprogram(void)
{
	asm volatile(
		LOOKUP_HASHED
		"r1 = r0;"
		"call read_second_word;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

static __attribute__((used, noinline)) NAKED int read_second_word(void)
{
	asm volatile( // REJECT(add_in_subprogram)
		"r1 += 8;"
		"if r1 == 0 goto 1f;"
		"r0 = *(u64 *)(r1 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;");
}

/* Passes the maybe-NULL pointer plus 8 as the key of a second lookup: the hash table would
 * read the key from address 8. */
SEC("xdp") NAKED int offset_key_to_lookup(void)
{
	asm volatile( // REJECT(offset_key_to_lookup)
		LOOKUP_HASHED
		"r0 += 8;"
		"r2 = r0;"
		"r1 = %[hashed] ll;"
		"call %[bpf_map_lookup_elem];"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* Passes the maybe-NULL pointer itself as a key (refused at the call, before this fix too). */
SEC("xdp") NAKED int null_key_to_lookup(void)
{
	asm volatile( // REJECT(null_key_to_lookup)
		LOOKUP_HASHED
		"r2 = r0;"
		"r1 = %[hashed] ll;"
		"call %[bpf_map_lookup_elem];"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* An array lookup whose key comes from the packet: any index past max_entries gives NULL. */
SEC("xdp") NAKED int array_packet_key(void)
{
	asm volatile( // REJECT(array_packet_key)
		"r2 = *(u32 *)(r1 + 0);"
		"r3 = *(u32 *)(r1 + 4);"
		"r4 = r2;"
		"r4 += 4;"
		"if r4 > r3 goto 1f;"
		"r1 = %[slots] ll;"
		"call %[bpf_map_lookup_elem];"
		"r0 += 8;"
		"if r0 == 0 goto 1f;"
		"r0 = *(u64 *)(r0 + 0);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(slots), IMM(bpf_map_lookup_elem));
}

/* Subtracts an immediate. */
SEC("xdp") NAKED int sub_imm(void)
{
	asm volatile( // REJECT(sub_imm)
		LOOKUP_HASHED
		"r0 -= 8;"
		"if r0 == 0 goto 1f;"
		"r0 = *(u64 *)(r0 + 16);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* Subtracts a register. */
SEC("xdp") NAKED int sub_reg(void)
{
	asm volatile( // REJECT(sub_reg)
		LOOKUP_HASHED
		"r6 = 8;"
		"r0 -= r6;"
		"if r0 == 0 goto 1f;"
		"r0 = *(u64 *)(r0 + 16);"
		"exit;"
		"1:"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* 32-bit arithmetic on the maybe-NULL pointer. */
SEC("xdp") NAKED int alu32_add(void)
{
	asm volatile( // REJECT(alu32_add)
		LOOKUP_HASHED
		"w0 += 8;"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

/* A bitwise operation on the maybe-NULL pointer (refused as for any pointer). */
SEC("xdp") NAKED int and_mask(void)
{
	asm volatile( // REJECT(and_mask)
		LOOKUP_HASHED
		"r0 &= -8;"
		"r0 = 0;"
		"exit;"
		:: IMM_ADDR(hashed), IMM(bpf_map_lookup_elem));
}

char LICENSE[] SEC("license") = "GPL";
