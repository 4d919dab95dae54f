//! Program types: Linux's `enum bpf_prog_type` numbering, and the types the runtime runs
//! with their own numbering in `bpf2c_program_entry_t.program_type` (`BPF2C_PROG_TYPE_*`).

use std::fmt;

use crate::ffi;

linux_enum! {
    /// Every Linux program type number, by its name without the `BPF_PROG_TYPE_` prefix.
    prog_type, LINUX_PROG_TYPES, "BPF_PROG_TYPE_" {
        0 UNSPEC,
        1 SOCKET_FILTER,
        2 KPROBE,
        3 SCHED_CLS,
        4 SCHED_ACT,
        5 TRACEPOINT,
        6 XDP,
        7 PERF_EVENT,
        8 CGROUP_SKB,
        9 CGROUP_SOCK,
        10 LWT_IN,
        11 LWT_OUT,
        12 LWT_XMIT,
        13 SOCK_OPS,
        14 SK_SKB,
        15 CGROUP_DEVICE,
        16 SK_MSG,
        17 RAW_TRACEPOINT,
        18 CGROUP_SOCK_ADDR,
        19 LWT_SEG6LOCAL,
        20 LIRC_MODE2,
        21 SK_REUSEPORT,
        22 FLOW_DISSECTOR,
        23 CGROUP_SYSCTL,
        24 RAW_TRACEPOINT_WRITABLE,
        25 CGROUP_SOCKOPT,
        26 TRACING,
        27 STRUCT_OPS,
        28 EXT,
        29 LSM,
        30 SK_LOOKUP,
        31 SYSCALL,
        32 NETFILTER,
    }
}

/// The `BPF_PROG_TYPE_*` name of a Linux program type number.
pub fn linux_prog_type_name(raw: u32) -> Option<&'static str> {
    LINUX_PROG_TYPES.get(raw as usize).map(|&(_, name)| name)
}

/// The program types the runtime can build a context for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProgramType {
    /// r1 = a memory buffer, r2 = its length. bpf2c's own type; Linux has no equivalent.
    Raw,
    /// r1 = a `bpf2c_xdp_context_t` describing one packet, which the program reads through
    /// `struct xdp_md` ([`crate::context::XDP_MD`]).
    Xdp,
    /// A socket filter: r1 = a `bpf2c_skb_context_t`, read through `struct __sk_buff`
    /// ([`crate::context::SK_BUFF`]); only `cb` is writable.
    SocketFilter,
    /// A tc classifier (`tc`, `tcx/*`, `classifier`, `sched_cls`): the `__sk_buff` context.
    SchedCls,
    /// A tc action (`action`, `sched_act`): the `__sk_buff` context.
    SchedAct,
    /// A cgroup skb program (`cgroup_skb/*`, `cgroup/skb`): the `__sk_buff` context.
    CgroupSkb,
}

impl ProgramType {
    /// Every program type the runtime runs.
    pub const ALL: [ProgramType; 6] = [
        ProgramType::Raw,
        ProgramType::Xdp,
        ProgramType::SocketFilter,
        ProgramType::SchedCls,
        ProgramType::SchedAct,
        ProgramType::CgroupSkb,
    ];

    /// Whether r1 is a `bpf2c_skb_context_t` that the program reads as `struct __sk_buff`.
    pub const fn reads_sk_buff(self) -> bool {
        matches!(
            self,
            ProgramType::SocketFilter
                | ProgramType::SchedCls
                | ProgramType::SchedAct
                | ProgramType::CgroupSkb
        )
    }

    /// The `BPF2C_PROG_TYPE_*` number of `bpf2c_program_entry_t.program_type`.
    pub const fn raw(self) -> u32 {
        match self {
            ProgramType::Raw => ffi::BPF2C_PROG_TYPE_RAW,
            ProgramType::Xdp => ffi::BPF2C_PROG_TYPE_XDP,
            ProgramType::SocketFilter => ffi::BPF2C_PROG_TYPE_SOCKET_FILTER,
            ProgramType::SchedCls => ffi::BPF2C_PROG_TYPE_SCHED_CLS,
            ProgramType::SchedAct => ffi::BPF2C_PROG_TYPE_SCHED_ACT,
            ProgramType::CgroupSkb => ffi::BPF2C_PROG_TYPE_CGROUP_SKB,
        }
    }

    /// Decodes `bpf2c_program_entry_t.program_type`.
    pub fn from_raw(raw: u32) -> Option<ProgramType> {
        ProgramType::ALL.into_iter().find(|t| t.raw() == raw)
    }

    /// The `BPF2C_PROG_TYPE_*` macro of bpf2c.h naming this type in generated C.
    pub fn abi_macro(self) -> &'static str {
        match self {
            ProgramType::Raw => "BPF2C_PROG_TYPE_RAW",
            ProgramType::Xdp => "BPF2C_PROG_TYPE_XDP",
            ProgramType::SocketFilter => "BPF2C_PROG_TYPE_SOCKET_FILTER",
            ProgramType::SchedCls => "BPF2C_PROG_TYPE_SCHED_CLS",
            ProgramType::SchedAct => "BPF2C_PROG_TYPE_SCHED_ACT",
            ProgramType::CgroupSkb => "BPF2C_PROG_TYPE_CGROUP_SKB",
        }
    }

    /// The Linux program type this one behaves as; None for the raw type.
    pub const fn linux_type(self) -> Option<u32> {
        match self {
            ProgramType::Raw => None,
            ProgramType::Xdp => Some(prog_type::XDP),
            ProgramType::SocketFilter => Some(prog_type::SOCKET_FILTER),
            ProgramType::SchedCls => Some(prog_type::SCHED_CLS),
            ProgramType::SchedAct => Some(prog_type::SCHED_ACT),
            ProgramType::CgroupSkb => Some(prog_type::CGROUP_SKB),
        }
    }

    /// The program type an ELF section name gives, following libbpf's `SEC()` prefixes.
    pub fn from_section(section: &str) -> Option<ProgramType> {
        let prefix = section.split('/').next().unwrap_or(section);
        match prefix {
            "xdp" | "xdp.frags" => Some(ProgramType::Xdp),
            "raw" => Some(ProgramType::Raw),
            "socket" => Some(ProgramType::SocketFilter),
            "tc" | "tcx" | "classifier" | "sched_cls" => Some(ProgramType::SchedCls),
            "action" | "sched_act" => Some(ProgramType::SchedAct),
            "cgroup_skb" => Some(ProgramType::CgroupSkb),
            "cgroup" if section.starts_with("cgroup/skb") => Some(ProgramType::CgroupSkb),
            _ => None,
        }
    }

    /// The most bytes of data one run may be given. The verifier assumes this bound when it
    /// proves packet and buffer accesses safe, so the runtime refuses larger data.
    pub const fn max_data_size(self) -> u32 {
        match self {
            ProgramType::Raw => ffi::BPF2C_MAX_RAW_DATA,
            ProgramType::Xdp => ffi::BPF2C_MAX_XDP_PACKET,
            ProgramType::SocketFilter
            | ProgramType::SchedCls
            | ProgramType::SchedAct
            | ProgramType::CgroupSkb => ffi::BPF2C_MAX_SKB_PACKET,
        }
    }

    /// Short lowercase name, as messages use it.
    pub const fn name(self) -> &'static str {
        match self {
            ProgramType::Raw => "raw",
            ProgramType::Xdp => "xdp",
            ProgramType::SocketFilter => "socket_filter",
            ProgramType::SchedCls => "sched_cls",
            ProgramType::SchedAct => "sched_act",
            ProgramType::CgroupSkb => "cgroup_skb",
        }
    }
}

impl fmt::Display for ProgramType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_numbers_are_dense_and_named() {
        for (i, &(raw, name)) in LINUX_PROG_TYPES.iter().enumerate() {
            assert_eq!(raw as usize, i, "{name}");
        }
        assert_eq!(prog_type::XDP, 6);
        assert_eq!(linux_prog_type_name(3), Some("BPF_PROG_TYPE_SCHED_CLS"));
        assert_eq!(linux_prog_type_name(99), None);
    }

    #[test]
    fn runtime_types_round_trip() {
        for t in ProgramType::ALL {
            assert_eq!(ProgramType::from_raw(t.raw()), Some(t));
            assert_eq!(
                t.abi_macro(),
                format!("BPF2C_PROG_TYPE_{}", t.name().to_uppercase())
            );
        }
        assert_eq!(ProgramType::from_raw(6), None);
        assert_eq!(ProgramType::from_raw(3), Some(ProgramType::SchedCls));
        assert_eq!(ProgramType::Xdp.linux_type(), Some(6));
        assert_eq!(ProgramType::Xdp.max_data_size(), 65535);
    }

    #[test]
    fn sections_select_types_by_prefix() {
        assert_eq!(ProgramType::from_section("xdp"), Some(ProgramType::Xdp));
        assert_eq!(
            ProgramType::from_section("xdp/counter"),
            Some(ProgramType::Xdp)
        );
        assert_eq!(
            ProgramType::from_section("raw/plugin"),
            Some(ProgramType::Raw)
        );
        assert_eq!(ProgramType::from_section("kprobe/sys_open"), None);
        assert_eq!(ProgramType::from_section("xdpfoo"), None);
        for (section, t) in [
            ("tc", ProgramType::SchedCls),
            ("tcx/ingress", ProgramType::SchedCls),
            ("tcx/egress", ProgramType::SchedCls),
            ("classifier/x", ProgramType::SchedCls),
            ("sched_cls", ProgramType::SchedCls),
            ("action", ProgramType::SchedAct),
            ("sched_act/x", ProgramType::SchedAct),
            ("socket", ProgramType::SocketFilter),
            ("cgroup_skb/ingress", ProgramType::CgroupSkb),
            ("cgroup/skb", ProgramType::CgroupSkb),
        ] {
            assert_eq!(ProgramType::from_section(section), Some(t), "{section}");
            assert!(t.reads_sk_buff());
        }
        assert_eq!(ProgramType::from_section("cgroup/sock"), None);
    }
}
