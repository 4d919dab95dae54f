// One tc program per section form libbpf and older loaders use; each runs as the program
// type its section names and returns a number of its own, plus the packet length.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc") int in_tc(struct __sk_buff *skb) { return 1000 + skb->len; }
SEC("tcx/ingress") int in_tcx_ingress(struct __sk_buff *skb) { return 2000 + skb->len; }
SEC("tcx/egress") int in_tcx_egress(struct __sk_buff *skb) { return 3000 + skb->len; }
SEC("classifier") int in_classifier(struct __sk_buff *skb) { return 4000 + skb->len; }
SEC("action") int in_action(struct __sk_buff *skb) { return 5000 + skb->len; }
SEC("sched_cls") int in_sched_cls(struct __sk_buff *skb) { return 6000 + skb->len; }
SEC("sched_act") int in_sched_act(struct __sk_buff *skb) { return 7000 + skb->len; }

/* A kprobe in the same object: it cannot run here, but the tc programs still do. */
SEC("kprobe/do_sys_openat2") int probe_open(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
