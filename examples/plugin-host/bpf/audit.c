// Audit plugin: checks an order and rewrites it in place. Quantities above max_quantity are
// clamped (and logged); the return value is the number of lines changed. Keeps a count of
// audited orders per outcome in a HASH map the host reads.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "plugin_api.h"

#define MAX_LINES 64

const volatile __u32 max_quantity = 100;

enum outcome { CLEAN = 0, CLAMPED = 1 };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} outcomes SEC(".maps");

SEC("raw")
int audit_order(unsigned char *mem, unsigned long len)
{
	__u32 changed = 0;
	__u32 key;
	__u64 one = 1, *count;

	for (unsigned long off = 0; off < MAX_LINES * sizeof(struct order_line);
	     off += sizeof(struct order_line)) {
		struct order_line line;

		/* The verifier needs this comparison with len to accept the read below. */
		if (off + sizeof(line) > len)
			break;
		__builtin_memcpy(&line, mem + off, sizeof(line));
		if (line.quantity > max_quantity) {
			char msg[] = "clamped a quantity";

			line.quantity = max_quantity;
			__builtin_memcpy(mem + off, &line, sizeof(line));
			host_log(msg, sizeof(msg) - 1);
			changed++;
		}
	}
	key = changed ? CLAMPED : CLEAN;
	count = bpf_map_lookup_elem(&outcomes, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&outcomes, &key, &one, BPF_NOEXIST);
	return changed;
}

char LICENSE[] SEC("license") = "GPL";
