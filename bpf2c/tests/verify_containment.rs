//! Containment: no input makes loading or verification panic or run unbounded. Truncated and
//! corrupted objects and random bytecode give clear errors; a program over the instruction
//! limit is refused before analysis; the time limit ends a long analysis, and the analysis
//! thread itself stops.

use crate::support;
#[path = "../benches/workload/mod.rs"]
mod workload;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

use bpf2c::insn::*;
use bpf2c::object::elf::load_elf;
use bpf2c::object::raw::load_raw;
use bpf2c::object::Object;
use bpf2c::verify::{verify_object, verify_program, ProgramVerdict, VerifyOptions};
use bpf2c_testkit::{encode, insn as ins};
use support::{load, objects_in, program_index};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Checks what a verdict says when verification did not succeed: a refusal with a located or
/// program-level reason, never an internal failure of the verifier.
fn check_verdict(what: &str, v: &ProgramVerdict) -> Result<(), String> {
    if v.verified {
        return Ok(());
    }
    if v.diagnostics.is_empty() {
        return Err(format!("{what}: refused without a diagnostic"));
    }
    for d in &v.diagnostics {
        if d.message.contains("failed internally") || d.message.contains("stopped without") {
            return Err(format!("{what}: {d}"));
        }
        if d.message.trim().is_empty() {
            return Err(format!("{what}: an empty message"));
        }
    }
    Ok(())
}

fn quick() -> VerifyOptions {
    VerifyOptions {
        time_limit: Duration::from_secs(20),
        ..VerifyOptions::default()
    }
}

/// Loads bytes as an ELF object; a panic is a failure, an error must name the file.
fn load_bytes(bytes: &[u8], what: &str, problems: &mut Vec<String>) -> Option<Object> {
    let path = Path::new("mutant.o");
    match catch_unwind(|| load_elf(bytes, path)) {
        Err(_) => {
            problems.push(format!("{what}: the loader panicked"));
            None
        }
        Ok(Err(e)) => {
            if e.location.file != path || e.message.trim().is_empty() {
                problems.push(format!("{what}: unclear error: {e}"));
            }
            None
        }
        Ok(Ok(obj)) => Some(obj),
    }
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    ["tests/bpf", "tests/bpf/reject", "tests/bpf/facts"]
        .iter()
        .flat_map(|d| objects_in(d))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn truncated_objects_give_clear_errors() {
    let mut problems = Vec::new();
    let mut tried = 0;
    for (name, bytes) in corpus() {
        let mut cuts: Vec<usize> = (0..64).collect();
        cuts.extend((1..32).map(|k| bytes.len() * k / 32));
        cuts.push(bytes.len() - 1);
        for cut in cuts {
            tried += 1;
            let what = format!("{name} cut to {cut} bytes");
            if let Some(obj) = load_bytes(&bytes[..cut], &what, &mut problems) {
                // Cuts that keep every section leave a loadable object; it must verify
                // cleanly either way.
                for v in verify_object(&obj, &quick()) {
                    if let Err(e) = check_verdict(&what, &v) {
                        problems.push(e);
                    }
                }
            }
        }
    }
    assert!(tried > 1000);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn corrupted_objects_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut problems = Vec::new();
    let (mut loaded, mut refused, mut changed) = (0, 0, 0);
    for (name, bytes) in corpus() {
        let original = load_elf(&bytes, Path::new("mutant.o")).ok();
        // A mutant whose code, maps and programs equal the original's verifies the same way;
        // only the others are worth the verifier's time.
        let same = |obj: &Object| {
            let code = |o: &Object| -> Vec<_> {
                o.functions
                    .iter()
                    .map(|f| (f.insns.clone(), f.relocs.clone()))
                    .collect()
            };
            original.as_ref().is_some_and(|o| {
                code(o) == code(obj) && o.maps == obj.maps && o.programs == obj.programs
            })
        };
        for round in 0..40 {
            let mut m = bytes.clone();
            let flips = 1 + rng.below(8);
            for _ in 0..flips {
                let at = rng.below(m.len() as u64) as usize;
                // Mostly small changes to one byte (off-by-one sizes, counts, indexes),
                // sometimes an arbitrary byte.
                m[at] = match rng.below(4) {
                    0 => m[at].wrapping_add(1),
                    1 => m[at].wrapping_sub(1),
                    2 => m[at] ^ (1 << rng.below(8)),
                    _ => rng.next() as u8,
                };
            }
            let what = format!("{name} mutation {round}");
            match load_bytes(&m, &what, &mut problems) {
                Some(obj) if same(&obj) => loaded += 1,
                Some(obj) => {
                    loaded += 1;
                    changed += 1;
                    let verdicts = catch_unwind(AssertUnwindSafe(|| verify_object(&obj, &quick())));
                    match verdicts {
                        Err(_) => problems.push(format!("{what}: verification panicked")),
                        Ok(vs) => {
                            for v in vs {
                                if let Err(e) = check_verdict(&what, &v) {
                                    problems.push(e);
                                }
                            }
                        }
                    }
                }
                None => refused += 1,
            }
        }
    }
    // Both paths were exercised.
    assert!(
        loaded > 100 && refused > 100 && changed > 30,
        "loaded {loaded} ({changed} with changed code), refused {refused}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// One random block of a random program; `Jump` is patched to a later block start.
enum Block {
    Code(Vec<Insn>),
    Jump {
        opcode: u8,
        dst: u8,
        imm: i32,
        to: usize,
    },
}

/// A random program shaped like real code, so that many reach the verifier and some pass:
/// registers set up first, then blocks of arithmetic, stack traffic, buffer reads (mostly
/// bounds-checked), helper calls and forward branches, with an occasional arbitrary
/// instruction, and a `return 0`. r6 holds the buffer and r7 its length.
fn random_program(rng: &mut Rng) -> Vec<u8> {
    const ALU: &[u8] = &[
        0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f, 0x77,
        0x7f, 0x87, 0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0x04, 0x0c, 0x14, 0x1c, 0x24,
        0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x94, 0x9c, 0xa4,
        0xac, 0xb4, 0xbc, 0xc4, 0xcc,
    ];
    const JUMPS: &[u8] = &[
        0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d,
        0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd, 0x16, 0x1e, 0x26, 0x56, 0x06,
    ];
    const SIZES: &[u8] = &[BPF_B, BPF_H, BPF_W, BPF_DW];
    let scratch = |rng: &mut Rng| [0u8, 3, 4, 5, 8, 9][rng.below(6) as usize];
    let small = |rng: &mut Rng| rng.below(64) as i32 - 8;

    let mut blocks = vec![Block::Code(vec![
        ins(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
        ins(BPF_ALU64 | BPF_MOV | BPF_X, 7, 2, 0, 0),
        ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
        ins(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 3),
        ins(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 4),
        ins(BPF_ALU64 | BPF_MOV | BPF_K, 5, 0, 0, 5),
        ins(BPF_ALU64 | BPF_MOV | BPF_K, 8, 0, 0, 8),
        ins(BPF_ALU64 | BPF_MOV | BPF_K, 9, 0, 0, 9),
    ])];
    let n = 1 + rng.below(12) as usize;
    for _ in 0..n {
        let block = match rng.below(9) {
            0 | 1 => {
                let op = ALU[rng.below(ALU.len() as u64) as usize];
                let imm = if op & 0xf0 == BPF_DIV || op & 0xf0 == BPF_MOD {
                    1 + rng.below(9) as i32
                } else if matches!(op & 0xf0, BPF_LSH | BPF_RSH | BPF_ARSH) {
                    rng.below(32) as i32
                } else {
                    small(rng)
                };
                let src = scratch(rng);
                Block::Code(vec![ins(op, scratch(rng), src, 0, imm)])
            }
            2 => {
                // A stack store and load of one slot, usually inside the frame.
                let size = SIZES[rng.below(4) as usize];
                let off = if rng.below(8) == 0 {
                    -(rng.below(600) as i16)
                } else {
                    -8 * (1 + rng.below(64) as i16)
                };
                let r = scratch(rng);
                Block::Code(vec![
                    ins(BPF_STX | BPF_MEM | size, 10, r, off, 0),
                    ins(BPF_LDX | BPF_MEM | size, scratch(rng), 10, off, 0),
                ])
            }
            3 => {
                // A buffer read, bounds-checked unless unlucky.
                let off = rng.below(24) as i16;
                let size = SIZES[rng.below(4) as usize];
                let width = match size {
                    BPF_B => 1,
                    BPF_H => 2,
                    BPF_W => 4,
                    _ => 8,
                };
                let mut code = Vec::new();
                if rng.below(6) != 0 {
                    code.push(ins(
                        BPF_JMP | BPF_JLT | BPF_K,
                        7,
                        0,
                        1,
                        i32::from(off) + width,
                    ));
                }
                code.push(ins(BPF_LDX | BPF_MEM | size, scratch(rng), 6, off, 0));
                Block::Code(code)
            }
            4 => {
                let id = [5, 7, 8, 14, 6, 1, 4][rng.below(7) as usize];
                Block::Code(vec![ins(BPF_JMP | BPF_CALL, 0, 0, 0, id)])
            }
            5 | 6 => Block::Jump {
                opcode: JUMPS[rng.below(JUMPS.len() as u64) as usize],
                dst: scratch(rng),
                imm: small(rng),
                to: 0,
            },
            7 => Block::Code(vec![
                ins(
                    BPF_LD | BPF_IMM | BPF_DW,
                    scratch(rng),
                    0,
                    0,
                    rng.next() as i32,
                ),
                ins(0, 0, 0, 0, rng.next() as i32),
            ]),
            _ => {
                // Anything at all: structural validation must explain it.
                let r = rng.next();
                Block::Code(vec![ins(
                    r as u8,
                    (r >> 8) as u8 & 0x0f,
                    (r >> 12) as u8 & 0x0f,
                    (r >> 16) as i16,
                    (r >> 32) as i32,
                )])
            }
        };
        blocks.push(block);
    }
    blocks.push(Block::Code(vec![
        ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
        ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    ]));
    // Jumps go forward to a later block start (the last block at the farthest).
    let count = blocks.len();
    for (b, block) in blocks.iter_mut().enumerate() {
        if let Block::Jump { to, .. } = block {
            *to = b + 1 + rng.below((count - b - 1) as u64) as usize;
        }
    }
    let len = |b: &Block| match b {
        Block::Code(c) => c.len(),
        Block::Jump { .. } => 1,
    };
    let starts: Vec<usize> = blocks
        .iter()
        .scan(0, |pc, b| {
            let s = *pc;
            *pc += len(b);
            Some(s)
        })
        .collect();
    let mut insns = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        match block {
            Block::Code(c) => insns.extend_from_slice(c),
            Block::Jump {
                opcode,
                dst,
                imm,
                to,
            } => {
                let off = (starts[*to] - starts[b] - 1) as i16;
                insns.push(ins(*opcode, *dst, 3, off, *imm));
            }
        }
    }
    encode(&insns)
}

#[test]
fn random_bytecode_never_panics() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut problems = Vec::new();
    let (mut verified, mut refused, mut invalid) = (0, 0, 0);
    for n in 0..3000 {
        let bytes = random_program(&mut rng);
        let what = format!("random program {n} ({})", hex::encode(&bytes));
        let loaded = catch_unwind(|| load_raw(&bytes, Path::new("random.bin"), "random"));
        let obj = match loaded {
            Err(_) => {
                problems.push(format!("{what}: the raw loader panicked"));
                continue;
            }
            Ok(Err(e)) => {
                invalid += 1;
                if e.location.insn.is_none() && !e.message.contains("empty") {
                    problems.push(format!("{what}: the error names no instruction: {e}"));
                }
                continue;
            }
            Ok(Ok(obj)) => obj,
        };
        let v = verify_program(&obj, 0, &quick());
        if v.verified {
            verified += 1;
        } else {
            refused += 1;
        }
        if let Err(e) = check_verdict(&what, &v) {
            problems.push(e);
        }
    }
    assert!(
        verified > 50 && refused > 300 && invalid > 300,
        "verified {verified}, refused {refused}, invalid {invalid}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn entirely_random_bytes_are_refused_clearly() {
    let mut rng = Rng(42);
    for n in 0..500 {
        let len = rng.below(200) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let r = catch_unwind(|| load_raw(&bytes, Path::new("noise.bin"), "noise"));
        let Ok(r) = r else {
            panic!("noise {n}: the raw loader panicked");
        };
        if let Ok(obj) = r {
            check_verdict("noise", &verify_program(&obj, 0, &quick())).unwrap();
        }
        let r = catch_unwind(|| load_elf(&bytes, Path::new("noise.o")));
        assert!(matches!(r, Ok(Err(_))), "noise {n}: {r:?}");
    }
}

#[test]
fn a_program_over_the_instruction_limit_is_refused_before_analysis() {
    let obj = load("tests/bpf/xdp_parse.o");
    let prog = program_index(&obj, "xdp_reflect");
    let opts = VerifyOptions {
        max_instructions: 100,
        ..VerifyOptions::default()
    };
    let v = verify_program(&obj, prog, &opts);
    assert!(!v.verified);
    assert_eq!(v.instructions, 113);
    assert_eq!(v.verify_time, Duration::ZERO, "no analysis ran");
    let [d] = v.diagnostics.as_slice() else {
        panic!("{:#?}", v.diagnostics)
    };
    assert_eq!(d.program, "xdp_reflect");
    assert_eq!(d.insn, None);
    assert_eq!(
        d.message,
        "the program has 113 instructions with its subprograms; the verifier's limit is 100"
    );
    // At the limit, it is analysed.
    let at_limit = VerifyOptions {
        max_instructions: 113,
        ..VerifyOptions::default()
    };
    assert!(verify_program(&obj, prog, &at_limit).verified);
}

/// Threads of this process whose name starts with `prefix` (Linux truncates names to 15
/// bytes).
fn threads_named(prefix: &str) -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .filter(|c| c.trim_end().starts_with(prefix))
        .count()
}

#[test]
fn the_time_limit_ends_a_long_analysis() {
    // Three nested loops around 200 instructions: a small CFG but a long fixpoint (tens of
    // seconds in a debug build, seconds optimised).
    let mut obj = workload::generated_loops(200, 3);
    // A name no other test's verifier thread has: the thread is "bpf2c-verify-<name>".
    obj.programs[0].name = "Zdeadline".to_string();
    let thread = "bpf2c-verify-Zd";
    let opts = VerifyOptions {
        time_limit: Duration::from_millis(50),
        ..VerifyOptions::default()
    };
    let start = Instant::now();
    let v = verify_program(&obj, 0, &opts);
    let returned = start.elapsed();
    assert!(!v.verified);
    assert!(
        returned < Duration::from_secs(1),
        "returned after {returned:?}"
    );
    let [d] = v.diagnostics.as_slice() else {
        panic!("{:#?}", v.diagnostics)
    };
    assert_eq!(d.program, "Zdeadline");
    assert_eq!(
        d.message,
        "verification did not finish within the time limit of 50 ms; the program is too \
         complex to verify in that time"
    );
    // The analysis thread stops at the deadline instead of running to the end.
    let stopped = Instant::now();
    while threads_named(thread) > 0 {
        assert!(
            stopped.elapsed() < Duration::from_millis(500),
            "the analysis thread is still running"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The generated workload is realistic code that verifies (the bench and the cost example
/// verify the 10,000-instruction version).
#[test]
fn the_generated_workload_verifies() {
    let obj = workload::generated_program(400);
    assert!(obj.functions[0].insns.len() >= 400);
    let v = verify_program(&obj, 0, &VerifyOptions::default());
    assert!(v.verified, "{:#?}", v.diagnostics);
    let calls = v
        .facts
        .unwrap()
        .insns
        .values()
        .filter(|f| f.map_call.is_some())
        .count();
    assert!(calls > 15, "{calls} map calls");
}

/// Memory has a limit too: the watchdog stops an analysis whose process grows past it, and
/// the program is refused with a message naming the limit (a generated program of a few
/// thousand instructions needs tens of MiB; the limit here is 1 MiB).
#[test]
fn the_memory_limit_ends_a_large_analysis() {
    let obj = workload::generated_program(3000);
    let opts = VerifyOptions {
        max_memory: 1 << 20,
        ..VerifyOptions::default()
    };
    let v = verify_program(&obj, 0, &opts);
    assert!(!v.verified);
    let [d] = v.diagnostics.as_slice() else {
        panic!("{:#?}", v.diagnostics)
    };
    assert_eq!(
        d.message,
        "verification needed more than 1 MiB of memory, the verifier's limit; the program is \
         too complex to verify"
    );
    // With the default limit the same program verifies.
    assert!(verify_program(&obj, 0, &VerifyOptions::default()).verified);
}
