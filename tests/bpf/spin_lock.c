// bpf_spin_lock on a map value and atomic adds, for a test that runs the program on many
// threads at once and checks exact totals.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct totals {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 runs;     /* under the lock */
	__u64 sum;      /* under the lock */
	__u64 squares;  /* under the lock: sum of the square of each run's x */
	__u64 atomic;   /* atomic adds, no lock */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct totals);
} totals SEC(".maps");

/* x = len: under the lock, runs += 1, sum += x, squares += x * x (three fields that must
 * stay consistent); outside it, atomic += x. Returns the runs count it saw. */
SEC("raw")
int locked_add(unsigned char *mem, unsigned long len)
{
	__u32 zero = 0;
	struct totals *t = bpf_map_lookup_elem(&totals, &zero);
	__u64 runs;

	if (!t)
		return -1;
	bpf_spin_lock(&t->lock);
	runs = t->runs + 1;
	t->runs = runs;
	t->sum += len;
	t->squares += (__u64)len * len;
	bpf_spin_unlock(&t->lock);
	__sync_fetch_and_add(&t->atomic, len);
	return runs;
}

char LICENSE[] SEC("license") = "GPL";
