//! Optimization never changes behaviour: every program in the repository that loads and
//! verifies runs with optimization on and off over the same inputs (seeded), after the same
//! host writes, and must return the same values, leave the same bytes in its data, print the
//! same trace lines and leave the same map contents. The conformance programs, which are not
//! verifiable (so no facts, so no optimization), must translate to the same C either way and
//! give their expected results.

use std::path::PathBuf;

use bpf2c::object::{load_file, InputFormat, MapType, Object, ProgramType};
use bpf2c_runtime::{Instance, Options, TraceCapture, UpdateFlags};

use super::common::{build_library, instantiate, instantiate_unverified, repo, Rng};

/// Every eBPF object of the repository: the corpus, the optimization programs and, when
/// present, the examples' objects.
fn objects() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut add_dir = |dir: PathBuf| {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut v: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "o"))
                .collect();
            v.sort();
            out.extend(v);
        }
    };
    add_dir(repo().join("tests/bpf"));
    add_dir(repo().join("tests/bpf/opt"));
    if let Ok(rd) = std::fs::read_dir(repo().join("examples")) {
        let mut dirs: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        dirs.sort();
        for d in dirs {
            add_dir(d.join("bpf"));
        }
    }
    out
}

/// Keys at the edges of every map size the objects use, and some random ones.
fn edge_keys(obj: &Object, rng: &mut Rng) -> Vec<u32> {
    let mut keys = vec![
        0,
        1,
        2,
        3,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_fffe,
        0xffff_ffff,
    ];
    for m in &obj.maps {
        let n = m.def.max_entries;
        keys.extend([n.wrapping_sub(1), n, n.wrapping_add(1)]);
    }
    for _ in 0..6 {
        keys.push(rng.next() as u32);
        keys.push(rng.below(32) as u32);
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Inputs for a raw program: a key first, then update flags (valid and not), a value and
/// noise, cut to lengths around the sizes programs check for.
fn raw_inputs(keys: &[u32], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    for &k in keys {
        for _ in 0..2 {
            let flags = [0u32, 1, 2, 3, rng.next() as u32][rng.below(5) as usize];
            let mut mem = Vec::new();
            mem.extend_from_slice(&k.to_ne_bytes());
            mem.extend_from_slice(&flags.to_ne_bytes());
            mem.extend_from_slice(&rng.next().to_ne_bytes());
            for _ in 0..16 {
                mem.push(rng.next() as u8);
            }
            let len = [3usize, 4, 5, 8, 16, 20, 24, 31, 32][rng.below(9) as usize];
            mem.truncate(len);
            out.push(mem);
        }
    }
    out
}

/// Packets for an XDP program: random bytes, half of them Ethernet/IPv4 with a random TTL.
fn xdp_inputs(rng: &mut Rng) -> Vec<Vec<u8>> {
    (0..48)
        .map(|i| {
            let len = [0usize, 13, 14, 33, 34, 35, 60, 64, 128][i % 9];
            let mut p: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if i % 2 == 0 && len >= 34 {
                p[12] = 0x08;
                p[13] = 0x00;
                p[14] = 0x45;
                p[22] = rng.below(4) as u8;
            }
            p
        })
        .collect()
}

/// The same host writes into both instances: keys at the edges, values from the seed.
fn seed_maps(obj: &Object, instances: [&Instance; 2], keys: &[u32], rng: &mut Rng) {
    // Random bytes would leave a bpf_spin_lock in a value taken, and the next run spinning
    // forever: Linux's host updates never write the lock (copy_map_value skips it), the
    // runtime's copy every byte. Objects that take locks start from zeroed maps.
    let takes_locks = obj.functions.iter().any(|f| {
        f.insns
            .iter()
            .any(|i| i.is_helper_call() && i.imm == bpf2c::helpers::id::SPIN_LOCK as i32)
    });
    if takes_locks {
        return;
    }
    for m in &obj.maps {
        if m.is_global_data() || m.def.map_type == MapType::ProgArray || m.def.key_size != 4 {
            continue;
        }
        for &k in keys {
            if rng.below(2) == 0 {
                continue;
            }
            let value: Vec<u8> = (0..m.def.value_size).map(|_| rng.next() as u8).collect();
            let results: Vec<String> = instances
                .iter()
                .map(|inst| {
                    let r = inst.map(&m.name).unwrap().update(
                        &k.to_ne_bytes(),
                        &value,
                        UpdateFlags::Any,
                    );
                    format!("{r:?}")
                })
                .collect();
            assert_eq!(results[0], results[1], "{}: host update of {k}", m.name);
        }
    }
}

/// A map's name and its (key, value) entries.
type MapContents = (String, Vec<(Vec<u8>, Vec<u8>)>);

/// Every map's contents, sorted by key, each value with all its CPU slots.
fn contents(inst: &Instance) -> Vec<MapContents> {
    inst.maps()
        .map(|m| {
            let mut e = m.entries();
            e.sort();
            (m.name().to_string(), e)
        })
        .collect()
}

struct Compared {
    objects: usize,
    programs: usize,
    runs: usize,
    inlined: usize,
    direct: usize,
    skipped: Vec<String>,
}

#[test]
fn optimization_never_changes_what_programs_do() {
    let mut units = Vec::new();
    let mut objs = Vec::new();
    let mut stats = Compared {
        objects: 0,
        programs: 0,
        runs: 0,
        inlined: 0,
        direct: 0,
        skipped: Vec::new(),
    };
    for path in objects() {
        let name = path
            .strip_prefix(repo())
            .unwrap_or(&path)
            .display()
            .to_string();
        let obj = match load_file(&path, InputFormat::Elf) {
            Ok(o) => o,
            Err(e) => {
                stats.skipped.push(format!("{name}: does not load ({e})"));
                continue;
            }
        };
        if !obj.little_endian || obj.programs.is_empty() {
            stats
                .skipped
                .push(format!("{name}: big-endian or without programs"));
            continue;
        }
        let i = objs.len();
        let opts = |optimize| {
            bpf2c::driver::translate(
                &obj,
                &bpf2c::driver::TranslateOptions {
                    optimize,
                    module_symbol: Some(format!("bpf2c_diff_{i}_{optimize}")),
                    ..Default::default()
                },
            )
        };
        let (on, off) = match (opts(true), opts(false)) {
            (Ok(on), Ok(off)) => (on, off),
            (Err(e), _) | (_, Err(e)) => {
                stats.skipped.push(format!("{name}: does not verify ({e})"));
                continue;
            }
        };
        let (inl, dir, _) = on.plan.counts();
        stats.inlined += inl;
        stats.direct += dir;
        assert_eq!(off.plan.counts().0 + off.plan.counts().1, 0);
        units.push(on.c_source);
        units.push(off.c_source);
        objs.push((name, obj));
    }
    let library = build_library(&units);

    for (i, (name, obj)) in objs.iter().enumerate() {
        stats.objects += 1;
        let traces = [TraceCapture::new(), TraceCapture::new()];
        let options = |t: &TraceCapture| {
            Options::default()
                .cpu_slots(2)
                .prandom_seed(0x5eed_0000 + i as u64)
                .trace_sink(t.sink())
        };
        let on = instantiate(
            &library,
            &format!("bpf2c_diff_{i}_true"),
            options(&traces[0]),
        );
        let off = instantiate(
            &library,
            &format!("bpf2c_diff_{i}_false"),
            options(&traces[1]),
        );
        let mut rng = Rng(0xd1ff ^ i as u64);
        let keys = edge_keys(obj, &mut rng);
        seed_maps(obj, [&on, &off], &keys, &mut rng);
        assert_eq!(contents(&on), contents(&off), "{name}: after seeding");

        for p in &obj.programs {
            stats.programs += 1;
            // bpf_ktime_get_ns differs between any two runs, so a program that returns it
            // can only be compared on whether it succeeds.
            let reads_clock = obj.reachable_functions(p.entry).iter().any(|&f| {
                obj.functions[f]
                    .insns
                    .iter()
                    .any(|i| i.is_helper_call() && i.imm == 5)
            });
            // Objects that run at all hold only program types the runtime runs.
            let inputs = match p.prog_type.runtime() {
                Some(ProgramType::Raw) => raw_inputs(&keys, &mut rng),
                // Packets for the programs that read struct __sk_buff as for XDP.
                Some(ProgramType::Xdp) => xdp_inputs(&mut rng),
                Some(t) if t.reads_sk_buff() => xdp_inputs(&mut rng),
                Some(t) => panic!("{}: no inputs for {t} programs", p.name),
                None => panic!("{}: {} cannot run here", p.name, p.prog_type),
            };
            for input in inputs {
                let mut data = [input.clone(), input.clone()];
                let results: Vec<String> = [&on, &off]
                    .iter()
                    .zip(data.iter_mut())
                    .map(|(inst, d)| {
                        let prog = inst.program(&p.name).unwrap();
                        match inst.run(&prog, d) {
                            Ok(_) if reads_clock => "Ok(<clock>)".to_string(),
                            r => format!("{r:?}"),
                        }
                    })
                    .collect();
                let at = format!("{name}: program {} on input {input:02x?}", p.name);
                assert_eq!(results[0], results[1], "{at}: return value");
                assert_eq!(data[0], data[1], "{at}: data after the run");
                assert_eq!(contents(&on), contents(&off), "{at}: maps after the run");
                stats.runs += 1;
            }
        }
        let lines = |t: &TraceCapture| -> Vec<String> {
            t.take()
                .into_iter()
                .map(|r| format!("{} {}", r.program, r.text))
                .collect()
        };
        assert_eq!(lines(&traces[0]), lines(&traces[1]), "{name}: trace output");
    }

    println!(
        "compared {} objects, {} programs, {} runs; {} inlined and {} direct call sites",
        stats.objects, stats.programs, stats.runs, stats.inlined, stats.direct
    );
    for s in &stats.skipped {
        println!("skipped {s}");
    }
    // The comparison must really cover the optimized paths.
    assert!(
        stats.objects >= 15,
        "only {} objects compared",
        stats.objects
    );
    assert!(
        stats.programs >= 50,
        "only {} programs compared",
        stats.programs
    );
    assert!(
        stats.inlined >= 30 && stats.direct >= 5,
        "too few optimized sites: {} inlined, {} direct",
        stats.inlined,
        stats.direct
    );
}

struct Conformance {
    name: String,
    program: Vec<u8>,
    memory: Vec<u8>,
    result: u64,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn conformance_tests() -> Option<Vec<Conformance>> {
    let path = repo().join("tests/conformance/tests.jsonl");
    // The suite is committed with the repository; a missing file is a broken checkout.
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the conformance suite {}: {e}", path.display()));
    let tests = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap().to_string();
            Conformance {
                name: s("name"),
                program: unhex(&s("program")),
                memory: unhex(&s("memory")),
                result: s("result").parse().unwrap(),
            }
        })
        .collect();
    Some(tests)
}

#[test]
fn conformance_programs_translate_and_run_the_same_either_way() {
    let Some(tests) = conformance_tests() else {
        return;
    };
    assert_eq!(tests.len(), 218);
    let mut units = Vec::new();
    for (i, t) in tests.iter().enumerate() {
        let obj = bpf2c::object::raw::load_raw(&t.program, t.name.as_ref(), "conformance")
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        let symbol = format!("bpf2c_conf_{i}");
        let c = |optimize| {
            bpf2c::driver::translate(
                &obj,
                &bpf2c::driver::TranslateOptions {
                    verify: false,
                    optimize,
                    module_symbol: Some(symbol.clone()),
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("{}: {e}", t.name))
        };
        let (on, off) = (c(true), c(false));
        assert_eq!(
            on.c_source, off.c_source,
            "{}: same C with and without",
            t.name
        );
        assert!(!on.plan.enabled && on.plan.assumptions.is_empty());
        units.push(on.c_source);
    }
    let library = build_library(&units);
    let mut failures = Vec::new();
    for (i, t) in tests.iter().enumerate() {
        // The suite's helper 5 returns its first argument.
        let options = Options::default().helper(5, "return_r1", |c| c.args()[0]);
        // SAFETY: ISA tests are not verifiable, so these modules are unverified; but each
        // test only touches its stack and the memory it is run with below, as the suite's
        // execution contract says (tests/conformance/README.md) and tests/toolchains.rs
        // checks by running every one under -fsanitize=address.
        let inst = unsafe { instantiate_unverified(&library, &format!("bpf2c_conf_{i}"), options) };
        let prog = inst.program("conformance").unwrap();
        let mut mem = t.memory.clone();
        match inst.run_raw(&prog, &mut mem) {
            Ok(r0) if r0 == t.result => {}
            other => failures.push(format!("{}: {other:?}, expected {}", t.name, t.result)),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
