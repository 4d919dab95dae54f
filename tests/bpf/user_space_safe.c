// Programs the Linux verifier refuses that bpf2c accepts because they are safe in user space
// (bpf2c/tests/verify_matches_linux.rs, SAFE_IN_USER_SPACE; the refused originals are in
// tests/bpf/kdiff). tests/toolchains.rs runs them under ASan and UBSan.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NAKED __attribute__((naked))

/* Linux refuses a moved context pointer ("dereference of modified ctx ptr"); bpf2c rewrites
 * the access by its proven offset, here rx_queue_index. */
SEC("xdp") NAKED int moved_context_pointer(void)
{
	asm volatile("r1 += 16;" "r0 = *(u32 *)(r1 + 0);" "exit;");
}

static __attribute__((noinline, used)) NAKED int copies_r6(void)
{
	asm volatile("r0 = r6;" "exit;");
}

/* Linux refuses reading r6 in a subprogram before writing it ("R6 !read_ok"); bpf2c's
 * verifier treats it as unknown, never as a pointer, and the copy is dropped. */
SEC("xdp") NAKED int callee_copies_r6(void)
{
	asm volatile("r6 = r1;" "call copies_r6;" "r0 = 2;" "exit;");
}

char _license[] SEC("license") = "GPL";
