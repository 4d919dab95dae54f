// ARRAY lookups and updates that bpf2c inlines: keys the verifier cannot bound (checked at
// run time), keys it proves constant or in range (no check, never NULL), a key it proves out
// of range (NULL without looking), a 12-byte value whose elements sit 16 bytes apart, and an
// atomic counter that many threads bump at once.
//
// Raw programs read their inputs from `mem`: a u32 key at offset 0, then whatever the
// program says. They return a negative number for "not found" or "bad input".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

struct triple {
	__u32 a, b, c;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct triple);
} triples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

static __always_inline __u32 load_u32(unsigned char *mem, int off)
{
	__u32 v;

	__builtin_memcpy(&v, mem + off, 4);
	return v;
}

static __always_inline __u64 load_u64(unsigned char *mem, int off)
{
	__u64 v;

	__builtin_memcpy(&v, mem + off, 8);
	return v;
}

/* values[key], or -1 when there is no such element. mem: key. */
SEC("raw")
long read_value(unsigned char *mem, unsigned long len)
{
	__u32 key;
	__u64 *v;

	if (len < 4)
		return -2;
	key = load_u32(mem, 0);
	v = bpf_map_lookup_elem(&values, &key);
	if (!v)
		return -1;
	return *v;
}

/* values[key] = value through the looked-up pointer. mem: key, pad, value (u64). */
SEC("raw")
long write_value(unsigned char *mem, unsigned long len)
{
	__u32 key;
	__u64 *v;

	if (len < 16)
		return -2;
	key = load_u32(mem, 0);
	v = bpf_map_lookup_elem(&values, &key);
	if (!v)
		return -1;
	*v = load_u64(mem, 8);
	return 0;
}

/* values[5] with a constant key: the NULL test below folds away. */
SEC("raw")
long read_const(unsigned char *mem, unsigned long len)
{
	__u32 key = 5;
	__u64 *v = bpf_map_lookup_elem(&values, &key);

	if (!v)
		return -1;
	return *v + len;
}

/* values[len & 7]: a key proven in range but not constant. */
SEC("raw")
long read_masked(unsigned char *mem, unsigned long len)
{
	__u32 key = len & 7;
	__u64 *v = bpf_map_lookup_elem(&values, &key);

	if (!v)
		return -1;
	return *v;
}

/* values[8] does not exist (8 entries): proven out of range, so always -1. */
SEC("raw")
long read_past_end(unsigned char *mem, unsigned long len)
{
	__u32 key = 8;
	__u64 *v = bpf_map_lookup_elem(&values, &key);

	if (!v)
		return -1;
	return *v;
}

/* bpf_map_update_elem(values, key, value, flags). mem: key, flags (u32), value (u64). */
SEC("raw")
long update_value(unsigned char *mem, unsigned long len)
{
	__u32 key, flags;
	__u64 value;

	if (len < 16)
		return -100;
	key = load_u32(mem, 0);
	flags = load_u32(mem, 4);
	value = load_u64(mem, 8);
	return bpf_map_update_elem(&values, &key, &value, flags);
}

/* values[2] = value with a constant key and BPF_ANY; returns the update's result plus the
 * value read back. mem: value (u64). */
SEC("raw")
long update_const(unsigned char *mem, unsigned long len)
{
	__u32 key = 2;
	__u64 value, *v;
	long r;

	if (len < 8)
		return -100;
	value = load_u64(mem, 0);
	r = bpf_map_update_elem(&values, &key, &value, BPF_ANY);
	v = bpf_map_lookup_elem(&values, &key);
	if (!v)
		return -1;
	return r * 1000 + *v;
}

/* Updates values[key] with its own current value plus one, passing the element itself as
 * the value source. mem: key. */
SEC("raw")
long update_in_place(unsigned char *mem, unsigned long len)
{
	__u32 key;
	__u64 *v;

	if (len < 4)
		return -100;
	key = load_u32(mem, 0);
	v = bpf_map_lookup_elem(&values, &key);
	if (!v)
		return -1;
	*v += 1;
	return bpf_map_update_elem(&values, &key, v, BPF_EXIST);
}

/* triples[key] = {a, b, c} through the pointer. mem: key, a, b, c. */
SEC("raw")
long triple_write(unsigned char *mem, unsigned long len)
{
	__u32 key;
	struct triple *t;

	if (len < 16)
		return -2;
	key = load_u32(mem, 0);
	t = bpf_map_lookup_elem(&triples, &key);
	if (!t)
		return -1;
	t->a = load_u32(mem, 4);
	t->b = load_u32(mem, 8);
	t->c = load_u32(mem, 12);
	return 0;
}

/* triples[key] read back: a + 1000 * b + 1000000 * c. mem: key. */
SEC("raw")
long triple_read(unsigned char *mem, unsigned long len)
{
	__u32 key;
	struct triple *t;

	if (len < 4)
		return -2;
	key = load_u32(mem, 0);
	t = bpf_map_lookup_elem(&triples, &key);
	if (!t)
		return -1;
	return t->a + 1000 * (long)t->b + 1000000 * (long)t->c;
}

/* bpf_map_update_elem(triples, key, {a, b, c}, flags). mem: key, flags, a, b, c. */
SEC("raw")
long triple_update(unsigned char *mem, unsigned long len)
{
	__u32 key, flags;
	struct triple t;

	if (len < 20)
		return -100;
	key = load_u32(mem, 0);
	flags = load_u32(mem, 4);
	t.a = load_u32(mem, 8);
	t.b = load_u32(mem, 12);
	t.c = load_u32(mem, 16);
	return bpf_map_update_elem(&triples, &key, &t, flags);
}

/* counter[0] += 1, atomically: run from many threads at once. */
SEC("raw")
long atomic_bump(unsigned char *mem, unsigned long len)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&counter, &key);

	if (!v)
		return -1;
	__sync_fetch_and_add(v, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
