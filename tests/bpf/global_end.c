// The address just past the end of global data: clang writes `&buf[16]` of the last
// variable in a section as one lddw of the section plus 16. The verifier accepts holding
// that address (it refuses reading through it), so translation must accept it too.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

unsigned char buf[16];

/* Writes 7 to the last byte of buf through the address past its end, and reads it back
 * through buf itself: returns 7. */
SEC("raw") __attribute__((naked)) int past_end(void)
{
	asm volatile(
		"r1 = buf + 16 ll;"
		"r2 = 7;"
		"*(u8 *)(r1 - 1) = r2;"
		"r1 = buf ll;"
		"r0 = *(u8 *)(r1 + 15);"
		"exit;");
}

char LICENSE[] SEC("license") = "GPL";
