// One program per section form real toolchains emit (libbpf's spellings, the older names
// PREVAIL's Linux platform knows, and the legacy XDP names of the kernel samples). Each must
// verify as the program type its section name gives.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Traffic control: libbpf's `tc`, the older `classifier`. */
SEC("tc") int tc_len(struct __sk_buff *skb)
{
	return skb->len > 64 ? 2 /* TC_ACT_SHOT */ : 0;
}

SEC("classifier") int classifier_mark(struct __sk_buff *skb)
{
	return skb->mark == 7;
}

SEC("socket") int socket_keep(struct __sk_buff *skb)
{
	return skb->len;
}

/* Tracing: the context is the kernel's register file, read as numbers. */
SEC("kprobe/do_sys_openat2") int kprobe_open(void *ctx)
{
	return 0;
}

SEC("kretprobe/do_sys_openat2") int kretprobe_open(void *ctx)
{
	return 0;
}

SEC("uprobe//bin/bash:readline") int uprobe_readline(void *ctx)
{
	return 0;
}

SEC("uretprobe//bin/bash:readline") int uretprobe_readline(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_write") int tracepoint_write(void *ctx)
{
	return 0;
}

SEC("raw_tracepoint/sys_enter") int raw_tracepoint_enter(void *ctx)
{
	return 0;
}

SEC("perf_event") int perf_sample(void *ctx)
{
	return 0;
}

/* Control groups. */
SEC("cgroup_skb/ingress") int cgroup_skb_allow(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup/sock_create") int cgroup_sock_allow(struct bpf_sock *sk)
{
	return sk->family != 0;
}

SEC("cgroup/connect4") int cgroup_connect_allow(struct bpf_sock_addr *ctx)
{
	return ctx->user_port != 0;
}

/* Sockets. */
SEC("sockops") int sockops_seen(struct bpf_sock_ops *ops)
{
	return ops->op == BPF_SOCK_OPS_TCP_CONNECT_CB;
}

SEC("sk_skb/stream_parser") int sk_skb_parse(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("sk_msg") int sk_msg_pass(struct sk_msg_md *msg)
{
	return msg->size > 0 ? 1 /* SK_PASS */ : 0;
}

/* Lightweight tunnels. */
SEC("lwt_in") int lwt_in_pass(struct __sk_buff *skb)
{
	return 0;
}

SEC("lwt_xmit") int lwt_xmit_pass(struct __sk_buff *skb)
{
	return 0;
}

/* Legacy XDP names from the kernel samples. */
SEC("xdp1") int xdp1_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp_prog") int xdp_prog_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
