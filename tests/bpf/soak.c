// The soak test's program (tests/soak.rs): many threads run `account` at once while the host
// updates, deletes and reads the same maps. Every run must be counted exactly once.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Keys below this are the programs' own: the host only reads them. The host inserts and
 * deletes keys from FLOW_HOST_FIRST up, in the same map, at the same time. */
#define FLOW_HOST_FIRST 512

struct flow {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct flow);
} flows SEC(".maps");

/* mem holds a u32 flow key. Counts the run in hits[64], which every run adds to (so the
 * threads contend on it), in hits[key % 64] and in flows[key % 512]
 * (inserting the flow on its first run), all with atomic adds. Returns 1 when this run
 * inserted the flow, 0 when it added to an existing one, and 2 on a failure that must not
 * happen (the flow vanished or could not be inserted). */
SEC("raw")
int account(unsigned char *mem, unsigned long len)
{
	__u32 key, slot, all = 64;
	__u64 *hit;
	struct flow *f, fresh = {};

	if (len < 4)
		return 2;
	key = *(__u32 *)mem % FLOW_HOST_FIRST;
	slot = key % 64;
	hit = bpf_map_lookup_elem(&hits, &slot);
	if (!hit)
		return 2;
	__sync_fetch_and_add(hit, 1);
	hit = bpf_map_lookup_elem(&hits, &all);
	if (!hit)
		return 2;
	__sync_fetch_and_add(hit, 1);

	f = bpf_map_lookup_elem(&flows, &key);
	if (!f) {
		fresh.packets = 1;
		fresh.bytes = len;
		if (bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST) == 0)
			return 1;
		/* Another run inserted it first: add to theirs. */
		f = bpf_map_lookup_elem(&flows, &key);
		if (!f)
			return 2;
	}
	__sync_fetch_and_add(&f->packets, 1);
	__sync_fetch_and_add(&f->bytes, len);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
