// Calls: helpers and subprograms given or leaving what they must not.
#include "kdiff.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, __u64);
} table SEC(".maps");

/* A helper clobbers r1..r5: r2 read after the call. */
SEC("xdp") NAKED int clobbered_argument_unsafe(void)
{
	asm volatile("*(u64 *)(r10 - 8) = 0;" "r2 = r10;" "r2 += -8;" "r1 = %[table] ll;"
		"call %[bpf_map_lookup_elem];" "r0 = *(u64 *)(r2 + 0);" "exit;"
		:: IMM_ADDR(table), IMM(bpf_map_lookup_elem));
}

SEC("xdp") NAKED int clobbered_argument_safe(void)
{
	asm volatile("*(u64 *)(r10 - 8) = 0;" "r2 = r10;" "r2 += -8;" "r6 = r2;"
		"r1 = %[table] ll;" "call %[bpf_map_lookup_elem];" "r0 = *(u64 *)(r6 + 0);" "exit;"
		:: IMM_ADDR(table), IMM(bpf_map_lookup_elem));
}

/* The key's 8 bytes must be initialised stack; only 4 are. */
SEC("xdp") NAKED int key_too_short_unsafe(void)
{
	asm volatile("r1 = 0;" "*(u32 *)(r10 - 4) = r1;" "r2 = r10;" "r2 += -4;"
		"r1 = %[table] ll;" "call %[bpf_map_lookup_elem];" "r0 = 0;" "exit;"
		:: IMM_ADDR(table), IMM(bpf_map_lookup_elem));
}

SEC("xdp") NAKED int key_too_short_safe(void)
{
	asm volatile("r1 = 0;" "*(u64 *)(r10 - 8) = r1;" "r2 = r10;" "r2 += -8;"
		"r1 = %[table] ll;" "call %[bpf_map_lookup_elem];" "r0 = 0;" "exit;"
		:: IMM_ADDR(table), IMM(bpf_map_lookup_elem));
}

/* An unchecked packet pointer as the key. */
SEC("xdp") NAKED int packet_key_unchecked_unsafe(void)
{
	asm volatile(PACKET "r1 = %[table] ll;" "call %[bpf_map_lookup_elem];" "r0 = 0;" "exit;"
		:: IMM_ADDR(table), IMM(bpf_map_lookup_elem));
}

SEC("xdp") NAKED int packet_key_unchecked_safe(void)
{
	asm volatile(PACKET "r4 = r2;" "r4 += 8;" "if r4 > r3 goto 1f;"
		"r1 = %[table] ll;" "call %[bpf_map_lookup_elem];" "1:" "r0 = 0;" "exit;"
		:: IMM_ADDR(table), IMM(bpf_map_lookup_elem));
}

/* A subprogram that reads a callee-saved register its caller never passed. */
static __attribute__((noinline, used)) NAKED int reads_r6(void)
{
	asm volatile("r0 = r6;" "exit;");
}

static __attribute__((noinline, used)) NAKED int reads_r1(void)
{
	asm volatile("r0 = r1;" "exit;");
}

SEC("xdp") NAKED int callee_reads_r6_unsafe(void)
{
	asm volatile("r6 = 1;" "r1 = 1;" "call reads_r6;" "r0 = 0;" "exit;");
}

SEC("xdp") NAKED int callee_reads_r6_safe(void)
{
	asm volatile("r6 = 1;" "r1 = 1;" "call reads_r1;" "r0 = 0;" "exit;");
}

/* The caller's r6 holds the context; a subprogram uses it as a pointer. Linux starts every
 * subprogram with r6-r9 uninitialised; a translation that gives each function its own
 * registers (bpf2c's C) does not carry them over, so reading them must be refused. */
static __attribute__((noinline, used)) NAKED int derefs_r6(void)
{
	asm volatile("r0 = *(u32 *)(r6 + 12);" "exit;");
}

static __attribute__((noinline, used)) NAKED int derefs_r1(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 12);" "exit;");
}

SEC("xdp") NAKED int callee_derefs_callers_r6_unsafe(void)
{
	asm volatile("r6 = r1;" "r1 = 1;" "call derefs_r6;" "exit;");
}

SEC("xdp") NAKED int callee_derefs_callers_r6_safe(void)
{
	asm volatile("r6 = r1;" "call derefs_r1;" "exit;");
}

/* A pointer into the callee's own frame, returned and read after it is gone. */
static __attribute__((noinline, used)) NAKED int returns_own_stack(void)
{
	asm volatile("r1 = 7;" "*(u64 *)(r10 - 8) = r1;" "r0 = r10;" "r0 += -8;" "exit;");
}

static __attribute__((noinline, used)) NAKED int writes_callers_stack(void)
{
	asm volatile("r2 = 7;" "*(u64 *)(r1 + 0) = r2;" "r0 = 0;" "exit;");
}

SEC("xdp") NAKED int dangling_stack_unsafe(void)
{
	asm volatile("call returns_own_stack;" "r0 = *(u64 *)(r0 + 0);" "exit;");
}

SEC("xdp") NAKED int dangling_stack_safe(void)
{
	asm volatile("r1 = r10;" "r1 += -8;" "call writes_callers_stack;"
		"r0 = *(u64 *)(r10 - 8);" "exit;");
}

char _license[] SEC("license") = "GPL";
