// Pricing plugin: totals an order (an array of struct order_line) with the host's prices,
// applies a bulk discount per line, and logs lines whose item has no price.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "plugin_api.h"

#define MAX_LINES 64

/* Lines of at least bulk_quantity items get bulk_percent off. */
const volatile __u32 bulk_quantity = 10;
const volatile __u32 bulk_percent = 15;

SEC("raw")
int order_total(unsigned char *mem, unsigned long len)
{
	__u64 total = 0;

	for (unsigned long off = 0; off < MAX_LINES * sizeof(struct order_line);
	     off += sizeof(struct order_line)) {
		struct order_line line;
		__u64 price, cost;

		/* The verifier needs this comparison with len to accept the read below. */
		if (off + sizeof(line) > len)
			break;
		__builtin_memcpy(&line, mem + off, sizeof(line));
		price = host_price(line.item);
		if (!price) {
			char msg[] = "unknown item";
			host_log(msg, sizeof(msg) - 1);
			continue;
		}
		cost = price * line.quantity;
		if (line.quantity >= bulk_quantity)
			cost -= cost * bulk_percent / 100;
		total += cost;
	}
	return total;
}

char LICENSE[] SEC("license") = "GPL";
