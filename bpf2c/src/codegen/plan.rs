//! The optimizer's decisions as C: each map helper call site the [`Plan`] optimizes becomes an
//! inline element access, an inline update, a direct lookup through the map's own function,
//! or inline `bpf_get_prandom_u32`; the plan decides, this module only writes it down.
//!
//! [`Plan`]: crate::optimize::Plan

use super::literals::{address, imm64, u32_lit, u64_lit};
use super::narrow::Regs;
use super::Module;
use crate::object::MapId;
use crate::optimize::{array_stride, Action, Key, Site};
use bpf2c_abi::{Errno, UpdateFlags};

/// The C of an optimized map helper call, or None when the plan keeps the helper.
///
/// Every form leaves r1..r5 as they are (eBPF code may not read them after a call) and sets
/// r0 exactly as the runtime's helper would. `regs` names the registers at the call.
pub(super) fn lower(m: &Module, regs: Regs, site: &Site) -> Option<String> {
    let r0 = regs.write(0);
    let (r1, r2, r3, r4) = (
        regs.read64(1),
        regs.read64(2),
        regs.read64(3),
        regs.read64(4),
    );
    let map_name = |map: MapId| super::names::comment_text(&m.obj.maps[map].name);
    match site.action {
        Action::Helper { .. } => None,
        // The runtime leaves the generator NULL when the host replaced the helper; the
        // table then holds the host's function.
        Action::InlinePrandom => {
            let k = m.helper_index(site.helper)?;
            Some(format!(
                "{r0} = BPF2C_LIKELY(inv->prandom != NULL) ? bpf2c_prandom_u32(inv->prandom) \
                 : rt->helpers[{k}]({}); /* bpf_get_prandom_u32 inlined */",
                regs.helper_args()
            ))
        }
        Action::InlineLookup { map, key, per_cpu } => {
            let def = &m.obj.maps[map].def;
            let base = element_base(map, per_cpu);
            let stride = array_stride(def.value_size);
            let at = |k: &str| format!("(uint64_t)(uintptr_t)({base} + {k} * {})", u64_lit(stride));
            let code = match key {
                Key::Checked => format!(
                    "{{ uint32_t key = (uint32_t)bpf2c_load32({r2}); {r0} = key < {} ? {} : 0; }}",
                    u32_lit(def.max_entries),
                    at("(uint64_t)key")
                ),
                // The runtime's array_data is never NULL, so an element in range is not
                // either; saying so lets the compiler drop the program's own NULL test.
                Key::InRange => format!(
                    "{r0} = {}; BPF2C_ASSUME({r0} != 0);",
                    at(&format!("bpf2c_load32({r2})"))
                ),
                Key::Const(k) => format!(
                    "{r0} = (uint64_t)(uintptr_t)({}); BPF2C_ASSUME({r0} != 0);",
                    address(&base, (k as u64 * stride) as i64)
                ),
                Key::OutOfRange => format!("{r0} = 0;"),
            };
            Some(format!(
                "{code} /* bpf_map_lookup_elem inlined: {} */",
                map_name(map)
            ))
        }
        Action::InlineUpdate { map, key } => {
            let def = &m.obj.maps[map].def;
            let base = element_base(map, false);
            let stride = array_stride(def.value_size);
            // As the runtime's helper: flags first (EINVAL), then the index (E2BIG), then
            // BPF_NOEXIST, which an array element always fails (EEXIST). memmove, because
            // a program may pass the element itself as the value.
            let copy = |dst: String| {
                format!(
                    "if ({r4} == {}) {r0} = {}; else {{ memmove({dst}, (const void *)(uintptr_t){r3}, \
                     {}); {r0} = 0; }}",
                    UpdateFlags::NoExist.raw(),
                    imm64(-EEXIST),
                    def.value_size
                )
            };
            let body = match key {
                Key::Checked => format!(
                    "uint32_t key = (uint32_t)bpf2c_load32({r2}); if (key >= {}) {r0} = {}; else {}",
                    u32_lit(def.max_entries),
                    imm64(-E2BIG),
                    copy(format!("{base} + (uint64_t)key * {}", u64_lit(stride)))
                ),
                Key::InRange => copy(format!("{base} + bpf2c_load32({r2}) * {}", u64_lit(stride))),
                Key::Const(k) => copy(address(&base, (k as u64 * stride) as i64)),
                Key::OutOfRange => format!("{r0} = {};", imm64(-E2BIG)),
            };
            Some(format!(
                "if ({r4} > {}) {{ {r0} = {}; }} else {{ {body} }} /* bpf_map_update_elem inlined: {} */",
                UpdateFlags::MAX_RAW,
                imm64(-EINVAL),
                map_name(map)
            ))
        }
        Action::DirectLookup { map } => Some(format!(
            "{r0} = (uint64_t)(uintptr_t)rt->map_data[{map}].lookup((void *)(uintptr_t){r1}, \
             (const void *)(uintptr_t){r2}, inv->cpu); /* bpf_map_lookup_elem direct: {} */",
            map_name(map)
        )),
    }
}

/// Where element 0 of an array map starts for this run: array_data, plus this CPU slot's
/// offset for a per-CPU array (the runtime guarantees inv->cpu is a slot it has).
fn element_base(map: MapId, per_cpu: bool) -> String {
    if per_cpu {
        format!(
            "rt->map_data[{map}].array_data + (uint64_t)inv->cpu * rt->map_data[{map}].cpu_stride"
        )
    } else {
        format!("rt->map_data[{map}].array_data")
    }
}

/// Linux errno values the update helper returns, negated in r0.
const E2BIG: i32 = Errno::E2BIG.code();
const EEXIST: i32 = Errno::EEXIST.code();
const EINVAL: i32 = Errno::EINVAL.code();
