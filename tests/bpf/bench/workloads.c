// The compute workloads of the side-by-side benchmark (bpf2c/benches/workloads.rs). The same
// file is built twice: by scripts/build-bpf-objects.sh for eBPF (the committed workloads.o,
// which the bench translates with bpf2c and runs on rbpf's JIT), and by the bench itself with
// the host's C compiler and -DBENCH_NATIVE, as the native C every ratio is measured against.
//
// Every program is raw: r1 = the buffer, r2 = its length. Each checks the length it needs
// and returns 0 when the buffer is shorter. Loop indexes into the buffer are masked to a power
// of two the length check covers: PREVAIL's intervals lose a loop index's bound through the
// loop's widening, the mask gives it back. FORGET hides the index from clang, which would
// otherwise drop the mask as a no-op; the native build leaves it out (and drops the mask).
#ifdef BENCH_NATIVE
#define SEC(name)
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
#define BENCH_FN
#define FORGET(x) (x)
#else
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define BENCH_FN
/* clang knows the loop bound and would drop the mask; this makes it forget the value. */
#define FORGET(x) ({ __typeof__(x) forget_ = (x); asm volatile("" : "+r"(forget_)); forget_; })
char LICENSE[] SEC("license") = "GPL";
#endif

/* Nothing: the cost of a run itself. */
SEC("raw") BENCH_FN long empty(unsigned char *mem, unsigned long len)
{
	(void)mem;
	(void)len;
	return 0;
}

/* The Internet checksum (RFC 1071) of the first 1,500 bytes (of a buffer of at least 2 KiB). */
SEC("raw") BENCH_FN long checksum(unsigned char *mem, unsigned long len)
{
	__u64 sum = 0;

	if (len < 2048)
		return 0;
	for (unsigned long i = 0; i < 1500; i += 2)
		sum += (__u32)mem[FORGET(i) & 2047] << 8 | mem[(FORGET(i) + 1) & 2047];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Copies the first 4 KiB to the next 4 KiB, eight bytes at a time; returns a copied word. */
SEC("raw") BENCH_FN long copy(unsigned char *mem, unsigned long len)
{
	__u64 *src = (__u64 *)mem;
	__u64 *dst = (__u64 *)(mem + 4096);

	if (len < 8192)
		return 0;
	for (unsigned long i = 0; i < 4096 / 8; i++)
		dst[FORGET(i) & 511] = src[FORGET(i) & 511];
	return (long)(dst[511] & 0xffffffff);
}

/* The sum of floor(log2(v)) over 1,024 32-bit values (0 counts as 0), by binary search. */
SEC("raw") BENCH_FN long log2_sum(unsigned char *mem, unsigned long len)
{
	__u32 *values = (__u32 *)mem;
	__u64 sum = 0;

	if (len < 4096)
		return 0;
	for (unsigned long i = 0; i < 1024; i++) {
		__u32 v = values[FORGET(i) & 1023], r = 0;

		if (v >> 16) { v >>= 16; r += 16; }
		if (v >> 8) { v >>= 8; r += 8; }
		if (v >> 4) { v >>= 4; r += 4; }
		if (v >> 2) { v >>= 2; r += 2; }
		if (v >> 1) r += 1;
		sum += r;
	}
	return (long)sum;
}

/* How many primes lie below 10,000, by trial division with odd divisors. */
SEC("raw") BENCH_FN long primes(unsigned char *mem, unsigned long len)
{
	__u32 count = 1; /* 2 */

	(void)mem;
	(void)len;
	for (__u32 n = 3; n < 10000; n += 2) {
		__u32 prime = 1;

		for (__u32 d = 3; d * d <= n; d += 2) {
			if (n % d == 0) {
				prime = 0;
				break;
			}
		}
		count += prime;
	}
	return count;
}

/* An Ethernet frame: up to two VLAN tags, IPv4 with options or IPv6, then TCP or UDP. Returns
 * a hash of the protocol and ports, or 0 for anything else or a short frame. */
SEC("raw") BENCH_FN long parse(unsigned char *mem, unsigned long len)
{
	unsigned long off = 14;
	__u32 proto, ports;
	__u16 type;

	if (len < 14)
		return 0;
	type = (__u16)(mem[12] << 8 | mem[13]);
	for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); tags++) {
		if (len < off + 4)
			return 0;
		type = (__u16)(mem[off + 2] << 8 | mem[off + 3]);
		off += 4;
	}
	if (type == 0x0800) {
		unsigned long ihl;

		if (len < off + 20)
			return 0;
		if (mem[off] >> 4 != 4)
			return 0;
		ihl = (unsigned long)(mem[off] & 15) * 4;
		if (ihl < 20)
			return 0;
		proto = mem[off + 9];
		off += ihl;
	} else if (type == 0x86dd) {
		if (len < off + 40)
			return 0;
		proto = mem[off + 6];
		off += 40;
	} else {
		return 0;
	}
	if (proto != 6 && proto != 17)
		return 0;
	if (len < off + 4)
		return 0;
	ports = (__u32)mem[off] << 24 | (__u32)mem[off + 1] << 16 | (__u32)mem[off + 2] << 8 | mem[off + 3];
	return (long)((ports * 2654435761u) ^ proto);
}
