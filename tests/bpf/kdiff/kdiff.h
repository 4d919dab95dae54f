/* Shared by the kernel-differential programs (tests/bpf/kdiff): each case comes as a pair,
 * `<case>_unsafe`, which the Linux verifier refuses, and `<case>_safe`, the nearest program
 * it accepts. Programs are written in eBPF assembly so that clang cannot reorder or drop the
 * instruction a case is about. bpf2c/tests/verify_matches_linux.rs records the kernel's
 * verdict on each and checks ours against it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NAKED __attribute__((naked))
#define IMM(name) [name] "i"(name)
#define IMM_ADDR(name) [name] "i"(&name)

/* r2 = packet start, r3 = packet end (XDP context in r1). */
#define PACKET "r2 = *(u32 *)(r1 + 0);" "r3 = *(u32 *)(r1 + 4);"

/* Return XDP_PASS. */
#define PASS "r0 = 2;" "exit;"
