// BPF-to-BPF calls: a static .text function shared by two programs, a global .text function,
// a callee that fills its own stack at the offsets its caller uses, and a three-deep chain.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int add_bias(int x)
{
	return x + 1000;
}

__attribute__((noinline)) int global_triple(int x)
{
	return x * 3;
}

SEC("raw")
int prog_a(unsigned char *mem, unsigned long len)
{
	return add_bias(len);
}

SEC("raw")
int prog_b(unsigned char *mem, unsigned long len)
{
	return add_bias(len * 2) + global_triple(len);
}

/* Writes 4 stack slots at the same frame offsets as stack_survives' own array. */
static __attribute__((noinline)) __u64 fill(__u64 seed)
{
	volatile __u64 buf[4];

	buf[0] = seed;
	buf[1] = seed * 2;
	buf[2] = seed * 3;
	buf[3] = seed * 4;
	return buf[0] + buf[3];
}

/* 1 + 2 + 3 + 4 from its own stack plus fill(100) = 10 + 500 = 510. */
SEC("raw")
int stack_survives(unsigned char *mem, unsigned long len)
{
	volatile __u64 mine[4];
	__u64 r;

	mine[0] = 1;
	mine[1] = 2;
	mine[2] = 3;
	mine[3] = 4;
	r = fill(100);
	return mine[0] + mine[1] + mine[2] + mine[3] + r;
}

static __attribute__((noinline)) int level3(int x)
{
	return x + 3;
}

static __attribute__((noinline)) int level2(int x)
{
	return level3(x * 2) + 2;
}

static __attribute__((noinline)) int level1(int x)
{
	return level2(x + 1) + 1;
}

/* level1(len) = ((len + 1) * 2 + 3) + 2 + 1 = 2 * len + 8. */
SEC("raw")
int chain(unsigned char *mem, unsigned long len)
{
	return level1(len);
}

/* Called by no program: the loader drops it. */
__attribute__((noinline)) int orphan(int x)
{
	return x - 1;
}

char LICENSE[] SEC("license") = "GPL";
