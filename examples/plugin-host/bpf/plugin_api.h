// The host application's helpers, as plugins see them. Their ids and prototypes must match
// what the host declares to bpf2c-build (build.rs) and implements (src/lib.rs).
#ifndef PLUGIN_API_H
#define PLUGIN_API_H
#include <linux/types.h>

/* Appends `len` bytes of text to the host's log; returns 0. */
static long (*host_log)(const void *msg, __u32 len) = (void *)1000;
/* The unit price of an item in cents, or 0 when the host does not know the item. */
static __u64 (*host_price)(__u32 item) = (void *)1001;

/* One line of an order, as the host lays it out in the buffer a plugin gets. */
struct order_line {
	__u32 item;
	__u32 quantity;
};

#endif
