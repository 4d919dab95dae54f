//! The workspace's one C stand-in runtime (`csrc/stand_in_runtime.c`): a small
//! implementation of the module ABI in C, so that generated modules run inside an executable
//! built with the undefined-behaviour and address sanitizers, which then watch the generated
//! code itself.
//!
//! A test lists [`Step`]s (runs, map updates, map dumps, map comparisons between two
//! instances), [`build`]s them with its translation units into one executable, runs it (with
//! a loop budget as its one argument, if it wants another than 10^8) and reads what it
//! printed with [`parse_output`]. The C file's head comment gives its maps, helpers and
//! output lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::cc::{self, Compiler, Output, Unit};

const RUNTIME_C: &str = include_str!("../csrc/stand_in_runtime.c");
const RUNTIME_H: &str = include_str!("../csrc/stand_in_runtime.h");

/// The stand-in runtime's C file and header, as units to compile with a test's own.
pub fn sources() -> Vec<Unit> {
    vec![
        Unit::new("stand_in_runtime.c", RUNTIME_C),
        Unit::new("stand_in_runtime.h", RUNTIME_H),
    ]
}

/// The helpers an instance offers (fixed by the first step naming its module).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelperSet {
    /// Stand-ins for bpf2c-runtime's helpers (maps, trace_printk, tail calls, XDP, ...).
    Runtime,
    /// The conformance suite's: helper 5 returns its first argument; any other unwinds
    /// with BPF2C_UNWIND_BAD_HELPER.
    Conformance,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Run,
    Update,
    Dump,
    Compare,
}

/// One step of a stand-in run. Modules are named by their `bpf2c_module_t` symbol.
#[derive(Clone, Debug)]
pub struct Step {
    kind: Kind,
    module: String,
    helper_set: HelperSet,
    program: Option<String>,
    map: Option<String>,
    data: Vec<u8>,
    value: Vec<u8>,
    cpu: u32,
    ingress_ifindex: u32,
    rx_queue_index: u32,
    other: Option<String>,
}

impl Step {
    fn new(kind: Kind, module: &str) -> Step {
        Step {
            kind,
            module: module.to_string(),
            helper_set: HelperSet::Runtime,
            program: None,
            map: None,
            data: Vec::new(),
            value: Vec::new(),
            cpu: 0,
            // What bpf2c-runtime's run_xdp gives by default.
            ingress_ifindex: 1,
            rx_queue_index: 0,
            other: None,
        }
    }

    /// Runs `program` (the module's first when None) over a copy of `data`, on CPU 0.
    pub fn run(module: &str, program: Option<&str>, data: &[u8]) -> Step {
        Step {
            program: program.map(str::to_string),
            data: data.to_vec(),
            ..Step::new(Kind::Run, module)
        }
    }

    /// Updates map `map` with `key` and `value` (flags BPF_ANY), on CPU 0.
    pub fn update(module: &str, map: &str, key: &[u8], value: &[u8]) -> Step {
        Step {
            map: Some(map.to_string()),
            data: key.to_vec(),
            value: value.to_vec(),
            ..Step::new(Kind::Update, module)
        }
    }

    /// Prints every element of the module's maps.
    pub fn dump(module: &str) -> Step {
        Step::new(Kind::Dump, module)
    }

    /// Tells whether the maps of `module` and `other` (two translations of one object)
    /// hold the same bytes, on every CPU.
    pub fn compare(module: &str, other: &str) -> Step {
        Step {
            other: Some(other.to_string()),
            ..Step::new(Kind::Compare, module)
        }
    }

    /// The same step on `cpu` (0 or 1; per-CPU maps have two slots).
    pub fn on_cpu(self, cpu: u32) -> Step {
        Step { cpu, ..self }
    }

    /// The same step with the given helper set for its module's instance.
    pub fn with_helpers(self, helper_set: HelperSet) -> Step {
        Step { helper_set, ..self }
    }

    /// The same run with these `xdp_md` fields, for an XDP program.
    pub fn with_xdp_queue(self, ingress_ifindex: u32, rx_queue_index: u32) -> Step {
        Step {
            ingress_ifindex,
            rx_queue_index,
            ..self
        }
    }
}

fn c_string(s: &Option<String>) -> String {
    s.as_deref()
        .map_or("NULL".to_string(), bpf2c::codegen::c_string)
}

/// The step table as C, for the stand-in runtime to link with.
pub fn step_table(steps: &[Step]) -> String {
    let mut s = String::from("#include \"stand_in_runtime.h\"\n\n");
    let mut symbols: Vec<&str> = steps
        .iter()
        .flat_map(|st| std::iter::once(st.module.as_str()).chain(st.other.as_deref()))
        .collect();
    symbols.sort();
    symbols.dedup();
    for sym in &symbols {
        writeln!(s, "extern const bpf2c_module_t {sym};").unwrap();
    }
    let bytes = |s: &mut String, name: &str, bytes: &[u8]| {
        let list: Vec<String> = bytes.iter().map(|b| format!("{b:#04x}")).collect();
        let list = if list.is_empty() {
            "0".to_string()
        } else {
            list.join(",")
        };
        writeln!(s, "static const uint8_t {name}[] = {{{list}}};").unwrap();
    };
    for (i, st) in steps.iter().enumerate() {
        bytes(&mut s, &format!("data_{i}"), &st.data);
        if st.kind == Kind::Update {
            bytes(&mut s, &format!("value_{i}"), &st.value);
        }
    }
    s.push_str("\nconst drv_step_t drv_steps[] = {\n");
    for (i, st) in steps.iter().enumerate() {
        let kind = match st.kind {
            Kind::Run => "DRV_RUN",
            Kind::Update => "DRV_UPDATE",
            Kind::Dump => "DRV_DUMP",
            Kind::Compare => "DRV_COMPARE",
        };
        let helpers = match st.helper_set {
            HelperSet::Runtime => "DRV_HELPERS_RUNTIME",
            HelperSet::Conformance => "DRV_HELPERS_CONFORMANCE",
        };
        let value = if st.kind == Kind::Update {
            format!("value_{i}")
        } else {
            "NULL".to_string()
        };
        let other = st
            .other
            .as_deref()
            .map_or("NULL".to_string(), |o| format!("&{o}"));
        writeln!(
            s,
            "    {{ {kind}, &{}, {helpers}, {}, {}, data_{i}, {}, {value}, {}, {}, {}, {}, {other} }},",
            st.module,
            c_string(&st.program),
            c_string(&st.map),
            st.data.len(),
            st.value.len(),
            st.cpu,
            st.ingress_ifindex,
            st.rx_queue_index,
        )
        .unwrap();
    }
    writeln!(s, "}};\nconst size_t drv_step_count = {};", steps.len()).unwrap();
    s
}

/// Builds `units` (the generated modules), the table of `steps` and the stand-in runtime
/// with `compiler` and `flags` into one executable (through the compile cache of
/// [`cc::build`]).
pub fn build(
    compiler: &Compiler,
    flags: &[&str],
    units: &[Unit],
    steps: &[Step],
) -> Result<PathBuf, String> {
    let mut all = units.to_vec();
    all.push(Unit::new("stand_in_steps.c", step_table(steps)));
    all.extend(sources());
    cc::build(compiler, flags, &all, Output::Executable)
}

/// What a run step reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    pub r0: u64,
    pub unwind: u32,
    pub unwind_function: u32,
    pub unwind_pc: u32,
    /// The input buffer after the run.
    pub data: Vec<u8>,
}

impl RunReport {
    /// Reads a run's line (after `step <i> `): `r0 <r0> unwind <u> at <f> <pc> out <hex>-`.
    pub fn parse(line: &str) -> Option<RunReport> {
        let parts: Vec<&str> = line.split(' ').collect();
        let ["r0", r0, "unwind", unwind, "at", function, pc, "out", out] = parts[..] else {
            return None;
        };
        Some(RunReport {
            r0: r0.parse().ok()?,
            unwind: unwind.parse().ok()?,
            unwind_function: function.parse().ok()?,
            unwind_pc: pc.parse().ok()?,
            data: hex::decode(out.strip_suffix('-')?).ok()?,
        })
    }
}

/// What one step printed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepOutput {
    /// Its line, after `step <i> `: a run's (see [`RunReport::parse`]), `update <result>`,
    /// `dump`, `same`, `differ map <index>`, or an error word such as `no-such-program`.
    pub line: String,
    /// A dump's elements: map index, key and value.
    pub elements: Vec<(usize, Vec<u8>, Vec<u8>)>,
    /// What trace_printk printed during the step, in order.
    pub traces: Vec<String>,
}

/// Reads the runtime's output into what each step printed, by step index.
pub fn parse_output(stdout: &str) -> Result<BTreeMap<usize, StepOutput>, String> {
    let mut out: BTreeMap<usize, StepOutput> = BTreeMap::new();
    for line in stdout.lines() {
        let unexpected = || format!("unexpected stand-in runtime line: {line}");
        let mut parts = line.splitn(3, ' ');
        let (kind, index, rest) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
        let index: usize = index.and_then(|i| i.parse().ok()).ok_or_else(unexpected)?;
        let entry = out.entry(index).or_default();
        match kind {
            Some("step") => entry.line = rest.to_string(),
            Some("trace") => entry.traces.push(rest.to_string()),
            Some("map") => {
                let fields: Vec<&str> = rest.split(' ').collect();
                let [map, key, value] = fields[..] else {
                    return Err(unexpected());
                };
                entry.elements.push((
                    map.parse().map_err(|_| unexpected())?,
                    hex::decode(key).map_err(|_| unexpected())?,
                    hex::decode(value).map_err(|_| unexpected())?,
                ));
            }
            _ => return Err(unexpected()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_line_reads_back() {
        let r = RunReport::parse("r0 18446744073709551615 unwind 2 at 1 7 out 0a0b-").unwrap();
        assert_eq!(r.r0, u64::MAX);
        assert_eq!((r.unwind, r.unwind_function, r.unwind_pc), (2, 1, 7));
        assert_eq!(r.data, [10, 11]);
        assert_eq!(RunReport::parse("update 0"), None);
        assert_eq!(RunReport::parse("r0 1 unwind 0 out -"), None);
    }

    #[test]
    fn output_lines_group_by_step() {
        let out = parse_output(
            "trace 0 hello\nstep 0 r0 1 unwind 0 at 0 0 out -\nstep 1 dump\nmap 1 0 00000000 2a000000\n",
        )
        .unwrap();
        assert_eq!(out[&0].traces, ["hello"]);
        assert_eq!(out[&1].line, "dump");
        assert_eq!(out[&1].elements, [(0, vec![0; 4], vec![42, 0, 0, 0])]);
        assert!(parse_output("something else\n").is_err());
    }

    #[test]
    fn the_table_names_each_module_once_and_fills_every_field() {
        let steps = [
            Step::run("mod_a", Some("prog"), &[1, 2]).on_cpu(1),
            Step::update("mod_a", "counts", &[0; 4], &[7; 8]),
            Step::compare("mod_a", "mod_b"),
        ];
        let table = step_table(&steps);
        assert_eq!(table.matches("extern const bpf2c_module_t").count(), 2);
        assert!(table.contains(
            "{ DRV_RUN, &mod_a, DRV_HELPERS_RUNTIME, \"prog\", NULL, data_0, 2, NULL, 0, 1, 1, 0, NULL },"
        ));
        assert!(table.contains("value_1[] = {0x07,"));
        assert!(table.contains("DRV_COMPARE, &mod_a,") && table.contains("&mod_b },"));
    }
}
