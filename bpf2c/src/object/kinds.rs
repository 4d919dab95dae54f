//! What a program or map is, as far as verification and the runtime are concerned.
//!
//! Verification knows every program type and map type PREVAIL's Linux platform describes;
//! the runtime runs a few of them. A [`ProgramKind`] or [`MapKind`] says which of the two an
//! object's program or map is, so `verify` can accept what real toolchains produce while
//! `gen` and `run` name what they cannot execute.

use std::fmt;
use std::path::Path;

use prevail::linux::linux_platform::LinuxPlatform;
use prevail::platform::EbpfPlatform;

use super::{MapType, ProgramType};

/// A map's type: one the runtime implements, or a Linux type that is only verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapKind {
    Runs(MapType),
    /// A Linux `BPF_MAP_TYPE_*` number the runtime lacks.
    VerifyOnly(u32),
}

impl MapKind {
    pub fn from_raw(raw: u32) -> MapKind {
        MapType::from_raw(raw).map_or(MapKind::VerifyOnly(raw), MapKind::Runs)
    }

    /// The Linux number.
    pub fn raw(self) -> u32 {
        match self {
            MapKind::Runs(t) => t.raw(),
            MapKind::VerifyOnly(raw) => raw,
        }
    }

    /// The runtime's type, when the runtime implements it.
    pub fn runtime(self) -> Option<MapType> {
        match self {
            MapKind::Runs(t) => Some(t),
            MapKind::VerifyOnly(_) => None,
        }
    }

    /// The `BPF_MAP_TYPE_*` name (or "map type N").
    pub fn name(self) -> String {
        bpf2c_abi::map::map_type_label(self.raw())
    }
}

impl PartialEq<MapType> for MapKind {
    fn eq(&self, other: &MapType) -> bool {
        *self == MapKind::Runs(*other)
    }
}

impl fmt::Display for MapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A program's type: one the runtime runs, or a Linux program type that is only verified.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProgramKind {
    Runs(ProgramType),
    VerifyOnly {
        /// PREVAIL's name of the type (`sched_cls`, `kprobe`, `socket_filter`...).
        name: String,
        /// The section name PREVAIL's Linux platform reads the type from (the program's
        /// section, or the form PREVAIL knows for a libbpf alias such as `tc`).
        prevail_section: String,
    },
}

impl ProgramKind {
    /// The type's name: `xdp`, `raw`, or PREVAIL's name of a Linux type.
    pub fn name(&self) -> &str {
        match self {
            ProgramKind::Runs(t) => t.name(),
            ProgramKind::VerifyOnly { name, .. } => name,
        }
    }

    /// The runtime's type, when the runtime runs programs of this type.
    pub fn runtime(&self) -> Option<ProgramType> {
        match self {
            ProgramKind::Runs(t) => Some(*t),
            ProgramKind::VerifyOnly { .. } => None,
        }
    }
}

impl PartialEq<ProgramType> for ProgramKind {
    fn eq(&self, other: &ProgramType) -> bool {
        *self == ProgramKind::Runs(*other)
    }
}

impl fmt::Display for ProgramKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Section prefixes of programs attached through kernel BTF (fentry, LSM, struct_ops...),
/// whose context only the running kernel's BTF describes.
const NEEDS_KERNEL_BTF: &[&str] = &[
    "fentry/",
    "fentry.s/",
    "fexit/",
    "fexit.s/",
    "fmod_ret/",
    "fmod_ret.s/",
    "tp_btf/",
    "iter/",
    "iter.s/",
    "struct_ops",
    "lsm/",
    "lsm.s/",
    "lsm_cgroup/",
    "freplace/",
];

/// libbpf's section names that PREVAIL's Linux platform spells differently: (libbpf prefix,
/// the section PREVAIL recognises for the same program type). A prefix ending in `/` matches
/// itself and longer names; one without matches the exact name or the name followed by `/`.
const LIBBPF_ALIASES: &[(&str, &str)] = &[
    ("tc", "classifier"),
    ("tcx/", "classifier"),
    ("tc/", "classifier"),
    ("netkit/", "classifier"),
    ("sched_cls", "classifier"),
    ("sched_act", "action"),
    ("uprobe", "kprobe/"),
    ("uprobe/", "kprobe/"),
    ("uprobe.s/", "kprobe/"),
    ("uretprobe", "kprobe/"),
    ("uretprobe/", "kprobe/"),
    ("uretprobe.s/", "kprobe/"),
    ("kprobe.multi/", "kprobe/"),
    ("kretprobe.multi/", "kprobe/"),
    ("uprobe.multi/", "kprobe/"),
    ("uretprobe.multi/", "kprobe/"),
    ("ksyscall/", "kprobe/"),
    ("kretsyscall/", "kprobe/"),
    ("usdt/", "kprobe/"),
    ("tp/", "tracepoint/"),
    ("cgroup_skb/", "cgroup/skb"),
    ("cgroup/sock_create", "cgroup/sock"),
    ("cgroup/sock_release", "cgroup/sock"),
    ("cgroup/post_bind4", "cgroup/sock"),
    ("cgroup/post_bind6", "cgroup/sock"),
    ("sk_skb/", "sk_skb"),
];

fn alias_matches(section: &str, prefix: &str) -> bool {
    if prefix.ends_with('/') {
        section.starts_with(prefix)
    } else {
        section == prefix
            || section
                .strip_prefix(prefix)
                .is_some_and(|r| r.starts_with('/'))
    }
}

/// The names `--program-type` accepts: the runtime's types, then PREVAIL's Linux types as
/// (name, a section PREVAIL reads that type from).
pub const LINUX_TYPE_SECTIONS: &[(&str, &str)] = &[
    ("socket_filter", "socket"),
    ("sched_cls", "classifier"),
    ("sched_act", "action"),
    ("kprobe", "kprobe/"),
    ("tracepoint", "tracepoint/"),
    ("raw_tracepoint", "raw_tracepoint/"),
    ("raw_tracepoint_writable", "raw_tp.w/"),
    ("perf_event", "perf_event"),
    ("cgroup_skb", "cgroup/skb"),
    ("cgroup_sock", "cgroup/sock"),
    ("cgroup_device", "cgroup/dev"),
    ("cgroup_sock_addr", "cgroup/connect"),
    ("cgroup_sockopt", "cgroup/getsockopt"),
    ("cgroup_sysctl", "cgroup/sysctl"),
    ("sock_ops", "sockops"),
    ("sk_skb", "sk_skb"),
    ("sk_msg", "sk_msg"),
    ("lwt_in", "lwt_in"),
    ("lwt_out", "lwt_out"),
    ("lwt_xmit", "lwt_xmit"),
    ("lwt_seg6local", "lwt_seg6local"),
    ("lirc_mode2", "lirc_mode2"),
    ("sk_reuseport", "sk_reuseport/"),
    ("flow_dissector", "flow_dissector"),
    ("sk_lookup", "sk_lookup/"),
    ("syscall", "syscall"),
    ("netfilter", "netfilter/"),
];

/// The program type a section name gives, as libbpf and PREVAIL's Linux platform read
/// section names; `path` is the object's path, which PREVAIL also consults for cilium's
/// objects whose section names do not say the type. Unknown names get PREVAIL's default
/// type (socket_filter). Err: the type cannot be verified here, and why.
pub fn program_kind(section: &str, path: &Path) -> Result<ProgramKind, String> {
    if section == "raw" || section.starts_with("raw/") {
        return Ok(ProgramKind::Runs(ProgramType::Raw));
    }
    if let Some(prefix) = NEEDS_KERNEL_BTF.iter().find(|p| section.starts_with(*p)) {
        return Err(format!(
            "programs of section '{prefix}...' attach through the kernel's BTF, which \
             verification here does not have: the program type needs kernel BTF"
        ));
    }
    let prevail_section = LIBBPF_ALIASES
        .iter()
        .find(|(alias, _)| alias_matches(section, alias))
        .map_or(section, |&(_, s)| s);
    Ok(from_prevail(prevail_section, &path.display().to_string()))
}

/// The program type named by `--program-type` (PREVAIL's names, plus `xdp` and `raw`).
pub fn program_kind_by_name(name: &str) -> Option<ProgramKind> {
    match name {
        "xdp" => Some(ProgramKind::Runs(ProgramType::Xdp)),
        "raw" => Some(ProgramKind::Runs(ProgramType::Raw)),
        _ => {
            let &(_, section) = LINUX_TYPE_SECTIONS.iter().find(|(n, _)| *n == name)?;
            Some(from_prevail(section, ""))
        }
    }
}

fn from_prevail(section: &str, path: &str) -> ProgramKind {
    let t = LinuxPlatform::new().get_program_type(section, path);
    let runs = match t.name.as_str() {
        "xdp" => Some(ProgramType::Xdp),
        "socket_filter" => Some(ProgramType::SocketFilter),
        "sched_cls" => Some(ProgramType::SchedCls),
        "sched_act" => Some(ProgramType::SchedAct),
        "cgroup_skb" => Some(ProgramType::CgroupSkb),
        _ => None,
    };
    if let Some(t) = runs {
        return ProgramKind::Runs(t);
    }
    ProgramKind::VerifyOnly {
        name: t.name,
        prevail_section: section.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(section: &str) -> String {
        match program_kind(section, Path::new("x.o")) {
            Ok(k) => k.name().to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn section_names_give_types_as_libbpf_and_prevail_read_them() {
        for (section, want) in [
            ("xdp", "xdp"),
            ("xdp/counter", "xdp"),
            ("xdp.frags", "xdp"),
            ("xdp1", "xdp"),
            ("xdp_prog", "xdp"),
            ("xdp_redirect", "xdp"),
            ("raw", "raw"),
            ("raw/x", "raw"),
            ("tc", "sched_cls"),
            ("tc/tail", "sched_cls"),
            ("tcx/ingress", "sched_cls"),
            ("classifier", "sched_cls"),
            ("classifier/x", "sched_cls"),
            ("sched_cls", "sched_cls"),
            ("action", "sched_act"),
            ("socket", "socket_filter"),
            ("socket1", "socket_filter"),
            ("kprobe/sys_write", "kprobe"),
            ("kretprobe/sys_write", "kprobe"),
            ("uprobe/lib:fn", "kprobe"),
            ("uretprobe", "kprobe"),
            ("tracepoint/syscalls/x", "tracepoint"),
            ("tp/syscalls/x", "tracepoint"),
            ("raw_tracepoint/x", "raw_tracepoint"),
            ("raw_tp/x", "raw_tracepoint"),
            ("perf_event", "perf_event"),
            ("cgroup_skb/ingress", "cgroup_skb"),
            ("cgroup/skb", "cgroup_skb"),
            ("cgroup/sock", "cgroup_sock"),
            ("cgroup/sock_create", "cgroup_sock"),
            ("cgroup/connect4", "cgroup_sock_addr"),
            ("cgroup/dev", "cgroup_device"),
            ("sockops", "sock_ops"),
            ("sk_skb/stream_parser", "sk_skb"),
            ("sk_msg", "sk_msg"),
            ("lwt_in", "lwt_in"),
            ("lwt_xmit", "lwt_xmit"),
            ("something_else", "socket_filter"),
        ] {
            assert_eq!(kind(section), want, "{section}");
        }
        for section in ["fentry/f", "fexit/f", "struct_ops/x", "lsm/file_open"] {
            assert!(kind(section).contains("needs kernel BTF"), "{section}");
        }
    }

    #[test]
    fn every_named_type_resolves() {
        for &(name, _) in LINUX_TYPE_SECTIONS {
            assert_eq!(program_kind_by_name(name).unwrap().name(), name);
        }
        assert_eq!(program_kind_by_name("xdp").unwrap().name(), "xdp");
        assert!(program_kind_by_name("nonsense").is_none());
    }
}
