//! The module's metadata: map, helper, program and function tables and the exported
//! `bpf2c_module_t` that points to them. C has no zero-length arrays, so an empty table is a
//! NULL pointer with a count of 0.

use super::names::{c_string, comment_text};
use super::out::Out;
use super::Module;
use crate::object::{Map, MapKind, MapOrigin};

/// Names of the static tables, which a module symbol must not take.
pub(super) const TABLE_NAMES: [&str; 5] = [
    "bpf2c_maps",
    "bpf2c_helpers",
    "bpf2c_programs",
    "bpf2c_functions",
    "bpf2c_map_assumptions",
];

/// The C constant of a map type; generation refuses objects with maps the runtime lacks
/// before it gets here, so the Linux number of such a type is only ever a fallback.
fn map_type_constant(t: MapKind) -> String {
    match t {
        MapKind::Runs(t) => t.abi_macro().to_string(),
        MapKind::VerifyOnly(raw) => raw.to_string(),
    }
}

/// The bytes of a global-data map's value, or None when it starts all zero.
fn initial_data(m: &Map) -> Option<&[u8]> {
    match (&m.origin, &m.initial_data) {
        (MapOrigin::GlobalData { .. }, Some(d)) if !d.is_empty() => Some(d),
        _ => None,
    }
}

/// The map table. Validation made sure initial data fits its map and initial programs are
/// programs in slots that exist.
pub(super) fn maps(m: &Module, out: &mut Out) {
    let obj = m.obj;
    for (i, map) in obj.maps.iter().enumerate() {
        let Some(data) = initial_data(map) else {
            continue;
        };
        out.line(format!(
            "/* Initial contents of map {i} ({}). */",
            comment_text(&map.name)
        ));
        out.line(format!(
            "static const uint8_t bpf2c_map_initial_data_{i}[] = {{"
        ));
        for chunk in data.chunks(16) {
            let bytes: Vec<String> = chunk.iter().map(|b| format!("0x{b:02x},")).collect();
            out.line(format!("    {}", bytes.join(" ")));
        }
        out.line("};");
        out.blank();
    }

    for (i, map) in obj.maps.iter().enumerate() {
        if map.initial_programs.is_empty() {
            continue;
        }
        out.line(format!(
            "/* Programs placed in PROG_ARRAY map {i} ({}) at load time: {{ slot, program }}. */",
            comment_text(&map.name)
        ));
        out.line(format!(
            "static const bpf2c_map_initial_program_t bpf2c_map_initial_programs_{i}[] = {{"
        ));
        for (slot, function) in &map.initial_programs {
            let program = obj
                .programs
                .iter()
                .position(|p| &p.name == function)
                .expect("validation: initial programs are programs");
            out.line(format!(
                "    {{ {slot}, {program} }}, /* {} */",
                comment_text(function)
            ));
        }
        out.line("};");
        out.blank();
    }

    for (i, map) in obj.maps.iter().enumerate() {
        if map.initial_maps.is_empty() {
            continue;
        }
        out.line(format!(
            "/* Inner maps placed in map of maps {i} ({}) at load time: {{ slot, map }}. */",
            comment_text(&map.name)
        ));
        out.line(format!(
            "static const bpf2c_map_initial_program_t bpf2c_map_initial_maps_{i}[] = {{"
        ));
        for &(slot, inner) in &map.initial_maps {
            out.line(format!(
                "    {{ {slot}, {inner} }}, /* {} */",
                comment_text(&obj.maps[inner].name)
            ));
        }
        out.line("};");
        out.blank();
    }

    if obj.maps.is_empty() {
        return;
    }
    out.line("/* Maps, in the order of rt->map_data. */");
    out.line("static const bpf2c_map_entry_t bpf2c_maps[] = {");
    for (i, map) in obj.maps.iter().enumerate() {
        let d = &map.def;
        let (mut flags, origin) = match &map.origin {
            MapOrigin::GlobalData {
                section,
                read_only: true,
            } => (
                vec!["BPF2C_MAP_F_GLOBAL_DATA", "BPF2C_MAP_F_READ_ONLY"],
                format!(", read-only global data {}", comment_text(section)),
            ),
            MapOrigin::GlobalData { section, .. } => (
                vec!["BPF2C_MAP_F_GLOBAL_DATA"],
                format!(", global data {}", comment_text(section)),
            ),
            _ => (vec![], String::new()),
        };
        if m.plan.assumptions.get(&i).is_some_and(|a| a.array_data) {
            flags.push("BPF2C_MAP_F_INLINED");
        }
        let flags = if flags.is_empty() {
            "0".to_string()
        } else {
            flags.join(" | ")
        };
        let inner = match map.inner_map {
            Some(t) => format!(
                ", inner maps like {t} ({})",
                comment_text(&obj.maps[t].name)
            ),
            None => String::new(),
        };
        out.line(format!(
            "    /* {i}: {}, key {} bytes, value {} bytes, {} entries{origin}{inner} */",
            d.map_type.name(),
            d.key_size,
            d.value_size,
            d.max_entries
        ));
        let (size, pointer) = match initial_data(map) {
            Some(data) => (data.len(), format!("bpf2c_map_initial_data_{i}")),
            None => (0, "NULL".to_string()),
        };
        // The slot count, the inner map template (maps of maps only) and the slot table.
        let template = map.inner_map.unwrap_or(0);
        let programs = if !map.initial_programs.is_empty() {
            format!(
                "{}, {template}, bpf2c_map_initial_programs_{i}",
                map.initial_programs.len()
            )
        } else if !map.initial_maps.is_empty() {
            format!(
                "{}, {template}, bpf2c_map_initial_maps_{i}",
                map.initial_maps.len()
            )
        } else {
            format!("0, {template}, NULL")
        };
        out.line(format!(
            "    {{ {}, {{ {}, {}, {}, {}, {:#x} }}, {flags}, {size}, {pointer}, {programs} }},",
            c_string(&map.name),
            map_type_constant(d.map_type),
            d.key_size,
            d.value_size,
            d.max_entries,
            d.map_flags
        ));
    }
    out.line("};");
    out.blank();
    assumptions(m, out);
}

/// The maps the code reaches without the helpers, and the definition and stride it was
/// compiled with; the runtime refuses maps that differ (see bpf2c_map_assumption_t).
fn assumptions(m: &Module, out: &mut Out) {
    if m.plan.assumptions.is_empty() {
        return;
    }
    out.line(
        "/* What the code assumes about maps it reaches without the helpers; the runtime \
         compares it with the maps it creates. */",
    );
    out.line("static const bpf2c_map_assumption_t bpf2c_map_assumptions[] = {");
    for (&i, a) in &m.plan.assumptions {
        let map = &m.obj.maps[i];
        let d = &map.def;
        let mut uses = Vec::new();
        if a.array_data {
            uses.push("BPF2C_MAP_USE_ARRAY_DATA");
        }
        if a.lookup {
            uses.push("BPF2C_MAP_USE_LOOKUP");
        }
        out.line(format!(
            "    {{ {i}, {}, {{ {}, {}, {}, {}, {:#x} }}, 0, {} }}, /* {} */",
            uses.join(" | "),
            map_type_constant(d.map_type),
            d.key_size,
            d.value_size,
            d.max_entries,
            d.map_flags,
            a.stride,
            comment_text(&map.name)
        ));
    }
    out.line("};");
    out.blank();
}

pub(super) fn helpers(m: &Module, out: &mut Out) {
    if m.helpers.is_empty() {
        return;
    }
    out.line("/* Helpers, sorted by id; code calls entry k as rt->helpers[k]. */");
    out.line("static const bpf2c_helper_entry_t bpf2c_helpers[] = {");
    for (k, (id, name)) in m.helpers.iter().enumerate() {
        out.line(format!("    /* {k} */ {{ {id}, {} }},", c_string(name)));
    }
    out.line("};");
    out.blank();
}

pub(super) fn programs(m: &Module, out: &mut Out) {
    let obj = m.obj;
    if obj.programs.is_empty() {
        return;
    }
    out.line("static const bpf2c_program_entry_t bpf2c_programs[] = {");
    for p in &obj.programs {
        let slots: usize = obj
            .reachable_functions(p.entry)
            .iter()
            .map(|&f| obj.functions[f].insns.len())
            .sum();
        let prog_type = p.prog_type.runtime().map_or("0", |t| t.abi_macro());
        out.line(format!(
            "    {{ {}, {}, {prog_type}, {slots}, {} }},",
            c_string(&p.name),
            c_string(&p.section),
            super::function::entry_name(m, p.entry)
        ));
    }
    out.line("};");
    out.blank();
}

pub(super) fn functions(m: &Module, out: &mut Out) {
    if m.obj.functions.is_empty() {
        return;
    }
    out.line("/* Functions, by the index that bpf2c_loop_budget_spent reports. */");
    out.line("static const bpf2c_function_entry_t bpf2c_functions[] = {");
    for (i, f) in m.obj.functions.iter().enumerate() {
        out.line(format!("    /* {i} */ {{ {} }},", c_string(&f.name)));
    }
    out.line("};");
    out.blank();
}

/// A table's pointer and element count.
fn table(name: &str, len: usize) -> (String, usize) {
    if len == 0 {
        ("NULL".to_string(), 0)
    } else {
        (name.to_string(), len)
    }
}

pub(super) fn module(m: &Module, out: &mut Out) {
    let obj = m.obj;
    let symbol = m.module_symbol();
    let mut flags = Vec::new();
    if m.verified {
        flags.push("BPF2C_MODULE_F_VERIFIED");
    }
    if m.opts.optimize {
        flags.push("BPF2C_MODULE_F_OPTIMIZED");
    }
    let flags = if flags.is_empty() {
        "0".to_string()
    } else {
        flags.join(" | ")
    };
    let (maps, map_count) = table("bpf2c_maps", obj.maps.len());
    let (helpers, helper_count) = table("bpf2c_helpers", m.helpers.len());
    let (programs, program_count) = table("bpf2c_programs", obj.programs.len());
    let (functions, function_count) = table("bpf2c_functions", obj.functions.len());
    out.line(format!("extern const bpf2c_module_t {symbol};"));
    out.line(format!("const bpf2c_module_t {symbol} = {{"));
    out.line("    BPF2C_MODULE_HEADER,");
    out.line(format!("    {flags},"));
    out.line(format!("    {},", c_string(&obj.name)));
    out.line(format!("    {maps}, {map_count},"));
    out.line(format!("    {helper_count}, {helpers},"));
    out.line(format!("    {programs}, {program_count},"));
    out.line(format!("    {function_count}, {functions},"));
    let (assumptions, assumption_count) = table("bpf2c_map_assumptions", m.plan.assumptions.len());
    out.line(format!("    {assumption_count}, 0, {assumptions},"));
    out.line("};");
    // The runtime's repeat loop, next to the programs it calls (see the ABI header).
    out.line("");
    out.line(format!("BPF2C_DEFINE_RUN_LOOP({symbol}_run_loop)"));
}
