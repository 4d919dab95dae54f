//! What a program may assume when it starts, per program type.
//!
//! XDP programs get r1 = the context, described to PREVAIL as `struct xdp_md` (24 bytes;
//! `data`, `data_end` and `data_meta` at 0, 4 and 8 yield packet pointers). Raw programs get
//! r1 = a buffer and r2 = its length, which no context descriptor can express; their entry
//! state is given to PREVAIL explicitly: r1 is a packet pointer at offset 0 and r2 is a
//! number equal to the packet size, so `if (i < len) mem[i]` verifies like a packet bounds
//! check.

use std::collections::BTreeSet;

use prevail::crab::string_constraints::StringInvariant;
use prevail::spec::ebpf_base::EbpfCtxDescriptor;
use prevail::spec::type_descriptors::EbpfProgramType;

use bpf2c_abi::context;
use bpf2c_abi::program::prog_type;

use prevail::linux::linux_platform::LinuxPlatform;
use prevail::platform::EbpfPlatform;
use prevail::spec::config::EbpfRuntimeConfig;

use crate::object::{ProgramKind, ProgramType};

/// `struct xdp_md` as programs read it, from the ABI's layout table.
static XDP_MD: EbpfCtxDescriptor = EbpfCtxDescriptor {
    size: context::XDP_MD.size as i32,
    data: context::XDP_MD.offset_of("data") as i32,
    end: context::XDP_MD.offset_of("data_end") as i32,
    meta: context::XDP_MD.offset_of("data_meta") as i32,
};

/// No context struct: r1 is set up by the explicit entry state instead.
static NO_CONTEXT: EbpfCtxDescriptor = EbpfCtxDescriptor {
    size: 0,
    data: -1,
    end: -1,
    meta: -1,
};

/// Largest XDP packet the verifier assumes, as in Linux (and the runtime enforces it).
pub const MAX_XDP_PACKET: u32 = ProgramType::Xdp.max_data_size();

/// Largest raw-program buffer the verifier assumes (and the runtime enforces it).
pub const MAX_RAW_BUFFER: u32 = ProgramType::Raw.max_data_size();

/// The largest data size (inclusive) PREVAIL assumes for a program type; Linux types the
/// runtime does not run get PREVAIL's default.
pub fn max_data_size(t: &ProgramKind) -> u32 {
    match t {
        ProgramKind::Runs(t) => t.max_data_size(),
        ProgramKind::VerifyOnly { .. } => {
            (EbpfRuntimeConfig::DEFAULT_MAX_PACKET_SIZE as u32).saturating_sub(1)
        }
    }
}

/// The program type PREVAIL verifies a program as: ours for the types the runtime runs,
/// PREVAIL's Linux platform's for the others (read from the same section name and object
/// path it was chosen from).
pub fn prevail_program_type(t: &ProgramKind, path: &str) -> EbpfProgramType {
    match t {
        ProgramKind::Runs(t) => runtime_program_type(*t),
        ProgramKind::VerifyOnly {
            prevail_section, ..
        } => LinuxPlatform::new().get_program_type(prevail_section, path),
    }
}

fn runtime_program_type(t: ProgramType) -> EbpfProgramType {
    let ctx = match t {
        ProgramType::Xdp => &XDP_MD,
        ProgramType::Raw => &NO_CONTEXT,
        // The programs that read struct __sk_buff are verified exactly as PREVAIL's Linux
        // platform verifies their type (its context descriptor, helper set and privileges);
        // only running them is bpf2c's.
        ProgramType::SocketFilter => return linux_type_from_section("socket"),
        ProgramType::SchedCls => return linux_type_from_section("classifier"),
        ProgramType::SchedAct => return linux_type_from_section("action"),
        ProgramType::CgroupSkb => return linux_type_from_section("cgroup/skb"),
    };
    EbpfProgramType {
        name: t.name().to_string(),
        ctx_descriptor: Some(ctx),
        // The Linux program type number is informational only.
        platform_specific_data: t.linux_type().unwrap_or(prog_type::UNSPEC).into(),
        section_prefixes: vec![],
        is_privileged: false,
        is_sleepable: false,
    }
}

fn linux_type_from_section(section: &str) -> EbpfProgramType {
    LinuxPlatform::new().get_program_type(section, "")
}

/// The explicit entry state for program types that need one; None means PREVAIL's default
/// (r1 = context).
pub fn entry_state(t: &ProgramKind) -> Option<StringInvariant> {
    match t {
        ProgramKind::Runs(ProgramType::Raw) => {
            let max = MAX_RAW_BUFFER;
            let constraints: BTreeSet<String> = [
                "r1.type=packet".to_string(),
                "r1.packet_offset=0".to_string(),
                // A non-null pointer, in the range PREVAIL uses for pointers.
                "r1.uvalue=[1, 2147418112]".to_string(),
                "r2.type=number".to_string(),
                "r2.svalue=packet_size".to_string(),
                "r2.uvalue=packet_size".to_string(),
                // PREVAIL keeps only a lower bound for packet_size, so bound r2 itself.
                format!("r2.svalue=[0, {max}]"),
            ]
            .into_iter()
            .collect();
            Some(StringInvariant::from_set(constraints))
        }
        ProgramKind::Runs(_) | ProgramKind::VerifyOnly { .. } => None,
    }
}
