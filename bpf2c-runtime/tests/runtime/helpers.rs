//! The non-map helpers, custom helpers, callx, tail calls, the loop budget and XDP runs
//! (tests/modules/helpers.c).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bpf2c_runtime::{Errno, Instance, Options, RunError, UpdateFlags};

use crate::common::{errno_ret, set_u64, traced, u64_at};

fn host_add(options: Options) -> Options {
    options.helper(1000, "host_add", |call| {
        let [a, b, ..] = call.args();
        a.wrapping_add(b)
    })
}

fn helpers_instance(options: Options) -> (Instance, bpf2c_runtime::TraceCapture) {
    traced("helpers", host_add(options))
}

/// SplitMix64, written out independently of the runtime's generator.
fn splitmix(seed: u64, n: usize) -> Vec<u32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 32) as u32
        })
        .collect()
}

fn run(inst: &Instance, prog: &str, buf: &mut [u8]) -> Result<u64, RunError> {
    inst.run_raw(&inst.program(prog).unwrap(), buf)
}

#[test]
fn clock_random_cpu_and_pid_helpers() {
    let (inst, _) = helpers_instance(Options::default().cpu_slots(2).prandom_seed(42));
    let mut a = [0u8; 48];
    run(&inst, "info", &mut a).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let mut b = [0u8; 48];
    run(&inst, "info", &mut b).unwrap();

    let (t0, t1, t2) = (u64_at(&a, 0), u64_at(&a, 5), u64_at(&b, 0));
    assert!(t0 > 0 && t1 >= t0, "monotonic within a run: {t0} {t1}");
    assert!(
        t2 - t0 >= 20_000_000,
        "20 ms passed between runs: {}",
        t2 - t0
    );

    // The seeded generator hands out SplitMix64's sequence in call order.
    let expected = splitmix(42, 4);
    let got: Vec<u32> = [u64_at(&a, 1), u64_at(&a, 2), u64_at(&b, 1), u64_at(&b, 2)]
        .iter()
        .map(|&v| {
            assert!(v <= u32::MAX as u64);
            v as u32
        })
        .collect();
    assert_eq!(got, expected);

    assert!(u64_at(&a, 3) < 2);
    let pid_tgid = u64_at(&a, 4);
    assert_eq!(pid_tgid >> 32, std::process::id() as u64);
    let thread_self = std::fs::read_link("/proc/thread-self").unwrap();
    let tid: u64 = thread_self
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(pid_tgid & 0xffff_ffff, tid);
}

#[test]
fn trace_printk_output_is_captured_with_linux_return_values() {
    let (inst, capture) = helpers_instance(Options::default());
    let mut buf = [0u8; 32];
    run(&inst, "printk", &mut buf).unwrap();
    // bytes written: "a=-5 b=7 c=beef\n" and "name=bpf2c pct=100%"
    assert_eq!(u64_at(&buf, 0), 16);
    assert_eq!(u64_at(&buf, 1), 19);
    assert_eq!(u64_at(&buf, 2), errno_ret(22), "%f is refused");
    assert_eq!(
        u64_at(&buf, 3),
        errno_ret(22),
        "format without NUL is refused"
    );
    let records = capture.take();
    let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(texts, ["a=-5 b=7 c=beef", "name=bpf2c pct=100%"]);
    assert!(records.iter().all(|r| r.program == "printk"));
}

#[test]
fn trace_printk_can_go_to_a_callback_or_nowhere() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let lines = lines.clone();
        bpf2c_runtime::TraceSink::Callback(Arc::new(move |e| {
            lines
                .lock()
                .unwrap()
                .push(format!("{}@{}: {}", e.program, e.cpu, e.text))
        }))
    };
    // One CPU slot, so the slot in the lines is certain.
    let options = Options::default().cpu_slots(1).trace_sink(sink);
    let inst = crate::common::instance("helpers", host_add(options));
    run(&inst, "printk", &mut [0u8; 32]).unwrap();
    assert_eq!(
        *lines.lock().unwrap(),
        ["printk@0: a=-5 b=7 c=beef", "printk@0: name=bpf2c pct=100%"]
    );
    let quiet = crate::common::instance(
        "helpers",
        host_add(Options::default().trace_sink(bpf2c_runtime::TraceSink::Discard)),
    );
    let mut buf = [0u8; 32];
    run(&quiet, "printk", &mut buf).unwrap();
    assert_eq!(u64_at(&buf, 0), 16, "discarded lines are still formatted");
}

#[test]
fn custom_helpers_are_called_with_their_arguments() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let options = {
        let seen = seen.clone();
        Options::default().helper(1000, "host_add", move |call| {
            let [a, b, ..] = call.args();
            let hits = call.map("hits").unwrap();
            seen.lock()
                .unwrap()
                .push((call.program().to_string(), hits.name().to_string()));
            a * 100 + b
        })
    };
    let (inst, _) = traced("helpers", options);
    let mut buf = [0u8; 16];
    set_u64(&mut buf, 0, 3);
    set_u64(&mut buf, 1, 4);
    assert_eq!(run(&inst, "custom", &mut buf).unwrap(), 304);
    assert_eq!(
        *seen.lock().unwrap(),
        [("custom".to_string(), "hits".to_string())]
    );
}

#[test]
fn a_panicking_helper_stops_the_run_with_an_error() {
    let options = Options::default().helper(1000, "host_add", |call| {
        if call.args()[0] == 13 {
            panic!("unlucky argument");
        }
        1
    });
    let (inst, _) = traced("helpers", options);
    let mut buf = [0u8; 16];
    set_u64(&mut buf, 0, 13);
    let e = run(&inst, "custom", &mut buf).unwrap_err();
    assert_eq!(
        e.to_string(),
        "program 'custom': helper 'host_add' panicked: unlucky argument"
    );
    set_u64(&mut buf, 0, 1);
    assert_eq!(
        run(&inst, "custom", &mut buf).unwrap(),
        1,
        "the instance still works"
    );
}

#[test]
fn a_panicking_trace_sink_stops_the_run_with_an_error() {
    let sink = bpf2c_runtime::TraceSink::Callback(Arc::new(|_| panic!("sink is broken")));
    let inst = crate::common::instance("helpers", host_add(Options::default().trace_sink(sink)));
    let e = run(&inst, "printk", &mut [0u8; 32]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "program 'printk': helper 'bpf_trace_printk (trace sink)' panicked: sink is broken"
    );
}

#[test]
fn callx_dispatches_any_available_helper_by_id() {
    let (inst, _) = helpers_instance(Options::default().prandom_seed(7));
    let mut buf = [0u8; 32];
    set_u64(&mut buf, 0, 7);
    assert_eq!(
        run(&inst, "callx", &mut buf).unwrap(),
        splitmix(7, 1)[0] as u64
    );
    // The host helper is reachable by id too.
    set_u64(&mut buf, 0, 1000);
    set_u64(&mut buf, 1, 40);
    set_u64(&mut buf, 2, 2);
    assert_eq!(run(&inst, "callx", &mut buf).unwrap(), 42);
    // A standard helper the module does not list (pid_tgid is listed; map_delete is not).
    set_u64(&mut buf, 0, 3);
    set_u64(&mut buf, 1, 0);
    assert_eq!(run(&inst, "callx", &mut buf).unwrap(), errno_ret(22));

    set_u64(&mut buf, 0, 9999);
    let e = run(&inst, "callx", &mut buf).unwrap_err();
    assert_eq!(
        e,
        RunError::BadHelper {
            program: "callx".into(),
            helper_id: Some(9999)
        }
    );
    assert_eq!(
        e.to_string(),
        "program 'callx': called unknown helper 9999 through callx"
    );
    assert!(inst.has_helper(1000) && inst.has_helper(14) && !inst.has_helper(9999));
}

fn hits(inst: &Instance) -> Vec<u64> {
    let m = inst.map("hits").unwrap();
    (0..3u32)
        .map(|i| {
            u64::from_ne_bytes(
                m.lookup(&i.to_ne_bytes()).unwrap().unwrap()[..8]
                    .try_into()
                    .unwrap(),
            )
        })
        .collect()
}

#[test]
fn tail_calls_chain_fail_softly_and_stop_at_the_limit() {
    let (inst, _) = helpers_instance(Options::default());
    let jmp = inst.map("jmp").unwrap();
    jmp.set_program(0, "tail_a").unwrap();
    jmp.set_program(2, "tail_self").unwrap();
    jmp.set_program(3, "xdp_swap").unwrap();

    // A chain: tail_entry hands over to tail_a with the same context.
    let mut buf = [0u8; 24];
    assert_eq!(run(&inst, "tail_entry", &mut buf).unwrap(), 0xa);
    assert_eq!(u64_at(&buf, 2), 0xa);
    assert_eq!(hits(&inst), [1, 1, 0]);

    // Failures return an error to the program, which carries on.
    for (index, errno) in [(1u64, 2i64), (10, 2), (3, 22)] {
        let mut buf = [0u8; 24];
        set_u64(&mut buf, 0, index);
        assert_eq!(
            run(&inst, "tail_entry", &mut buf).unwrap(),
            7,
            "index {index}"
        );
        assert_eq!(u64_at(&buf, 1), errno_ret(errno), "index {index}");
    }

    // 1 + 33 runs of tail_self; the 34th tail call fails with E2BIG.
    let mut buf = [0u8; 24];
    assert_eq!(run(&inst, "tail_self", &mut buf).unwrap(), 0x5e1f);
    assert_eq!(u64_at(&buf, 1), errno_ret(7));
    assert_eq!(hits(&inst)[2], 34);

    // The host can read back and clear slots.
    assert_eq!(
        jmp.lookup(&0u32.to_ne_bytes()).unwrap(),
        Some(5u32.to_ne_bytes().to_vec())
    );
    jmp.delete(&0u32.to_ne_bytes()).unwrap();
    assert_eq!(
        jmp.delete(&0u32.to_ne_bytes()).unwrap_err().errno(),
        Errno::ENOENT
    );
    let mut buf = [0u8; 24];
    assert_eq!(run(&inst, "tail_entry", &mut buf).unwrap(), 7);
    assert_eq!(u64_at(&buf, 1), errno_ret(2));
    // Raw updates take a program index; only BPF_ANY, as in Linux.
    jmp.update(&1u32.to_ne_bytes(), &5u32.to_ne_bytes(), UpdateFlags::Any)
        .unwrap();
    assert_eq!(
        jmp.update(
            &1u32.to_ne_bytes(),
            &5u32.to_ne_bytes(),
            UpdateFlags::NoExist
        )
        .unwrap_err()
        .errno(),
        Errno::EINVAL
    );
    assert_eq!(
        jmp.update(&1u32.to_ne_bytes(), &99u32.to_ne_bytes(), UpdateFlags::Any)
            .unwrap_err()
            .errno(),
        Errno::EINVAL
    );
    assert_eq!(
        jmp.set_program(0, "missing").unwrap_err().to_string(),
        "map 'jmp': no program named 'missing' (EINVAL)"
    );
    assert_eq!(jmp.entries().len(), 3);
}

#[test]
fn the_loop_budget_stops_endless_loops_and_names_the_place() {
    let (inst, _) = helpers_instance(Options::default().loop_budget(1000));
    let mut buf = [0u8; 8];
    set_u64(&mut buf, 0, 1000);
    assert_eq!(run(&inst, "spin", &mut buf).unwrap(), 1000);
    set_u64(&mut buf, 0, 1001);
    let e = run(&inst, "spin", &mut buf).unwrap_err();
    assert_eq!(
        e,
        RunError::LoopBudget {
            program: "spin".into(),
            function: "spin_inner".into(),
            instruction: 5,
            budget: 1000
        }
    );
    assert_eq!(
        e.to_string(),
        "program 'spin': loop budget of 1000 back-edges exhausted in function 'spin_inner' \
         at instruction 5"
    );
    // Each run starts with a full budget.
    set_u64(&mut buf, 0, 999);
    assert_eq!(run(&inst, "spin", &mut buf).unwrap(), 999);

    let (default, _) = helpers_instance(Options::default());
    set_u64(&mut buf, 0, u64::MAX);
    let e = run(&default, "spin", &mut buf).unwrap_err();
    assert!(matches!(e, RunError::LoopBudget { budget, .. } if budget == 1 << 24));
}

#[test]
fn xdp_programs_get_a_packet_context() {
    let (inst, _) = helpers_instance(Options::default());
    let prog = inst.program("xdp_swap").unwrap();
    let mut packet: Vec<u8> = (0..20).collect();
    assert_eq!(inst.run_xdp(&prog, &mut packet).unwrap(), 3);
    let mut expected: Vec<u8> = (6..12).chain(0..6).chain(12..20).collect();
    assert_eq!(packet, expected);
    assert_eq!(inst.run(&prog, &mut packet).unwrap(), 3);
    expected = (0..20).collect();
    assert_eq!(packet, expected);
    assert_eq!(inst.run_xdp(&prog, &mut [0u8; 10]).unwrap(), 1);
    assert_eq!(inst.run_xdp(&prog, &mut []).unwrap(), 1);
    // The verifier assumed packets of at most 65535 bytes; larger ones are refused.
    let mut jumbo = vec![0u8; 65536];
    assert_eq!(
        inst.run_xdp(&prog, &mut jumbo).unwrap_err().to_string(),
        "program 'xdp_swap': 65536 bytes of data is more than the 65535 bytes its program type allows"
    );
    assert_eq!(inst.run_xdp(&prog, &mut jumbo[..65535]).unwrap(), 3);

    let e = inst.run_raw(&prog, &mut packet).unwrap_err();
    assert_eq!(
        e.to_string(),
        "program 'xdp_swap' is of type xdp, this call runs raw programs"
    );
    let raw = inst.program("info").unwrap();
    assert!(matches!(
        inst.run_xdp(&raw, &mut packet),
        Err(RunError::WrongProgramType { .. })
    ));

    // 1001 runs swap the addresses an odd number of times.
    let stats = inst.run_repeat(&prog, &mut packet, 1001).unwrap();
    assert_eq!((stats.runs, stats.last_return), (1001, 3));
    assert!(stats.ns_per_run() > 0.0);
    assert_eq!(packet[..6], [6, 7, 8, 9, 10, 11]);

    // A hand-built context through the unsafe entry point.
    let mut bytes: Vec<u8> = (0..14).collect();
    let start = bytes.as_mut_ptr() as u64;
    let mut ctx = bpf2c_runtime::ffi::bpf2c_xdp_context_t {
        data: start,
        data_end: start + 14,
        data_meta: start,
        ..Default::default()
    };
    // SAFETY: an XDP context over `bytes`, which outlives the run.
    let r0 = unsafe { inst.run_with_context(&prog, &mut ctx as *mut _ as *mut _, 0) }.unwrap();
    assert_eq!(r0, 3);
    assert_eq!(bytes[0], 6);
}

#[test]
fn program_handles_belong_to_their_instance() {
    let (a, _) = helpers_instance(Options::default());
    let (b, _) = helpers_instance(Options::default());
    let prog = a.program("info").unwrap();
    assert_eq!(
        b.run_raw(&prog, &mut [0u8; 48]).unwrap_err(),
        RunError::ForeignProgram { program_index: 0 }
    );
    assert_eq!(a.programs().len(), 9);
    assert_eq!(a.programs()[8].section, "xdp");
}

/// run_repeat's C loop hands a run that tail calls, or runs out of budget, back to the
/// same handling a single run gets, and every run resets the invocation: the module's own
/// copy of the loop (its library exports one) and the runtime's (the same module through
/// `from_ptr`, which looks for no loop) alike.
#[test]
fn repeated_runs_finish_tail_calls_and_reset_the_budget_each_time() {
    let image = crate::common::image("helpers");
    assert!(image.has_own_run_loop());
    let own = Instance::new(image, host_add(Options::default().loop_budget(1000)))
        .unwrap_or_else(|e| panic!("{e}"));
    repeated_runs_reset_each_time(own);
    let raw = crate::common::raw_module("helpers");
    // SAFETY: a copy of the helpers module's header, whose tables and code stay loaded in
    // `raw`, which outlives the instance.
    let image = unsafe { bpf2c_runtime::ModuleImage::from_ptr(&raw.module) }.unwrap();
    assert!(!image.has_own_run_loop());
    let runtime_loop = Instance::new(image, host_add(Options::default().loop_budget(1000)))
        .unwrap_or_else(|e| panic!("{e}"));
    repeated_runs_reset_each_time(runtime_loop);
}

fn repeated_runs_reset_each_time(inst: Instance) {
    inst.map("jmp").unwrap().set_program(0, "tail_a").unwrap();
    let entry = inst.program("tail_entry").unwrap();
    let mut buf = [0u8; 24];
    let stats = inst.run_repeat(&entry, &mut buf, 500).unwrap();
    assert_eq!((stats.runs, stats.last_return), (500, 0xa));
    assert_eq!(
        hits(&inst),
        [500, 500, 0],
        "every run reached its tail-call target"
    );
    // Without a target, runs stay in the C loop and return 7 each time.
    set_u64(&mut buf, 0, 1);
    let stats = inst.run_repeat(&entry, &mut buf, 300).unwrap();
    assert_eq!((stats.runs, stats.last_return), (300, 7));
    assert_eq!(hits(&inst), [800, 500, 0]);

    // 1000 back-edges per run: each run gets a fresh budget, so 50 of them all succeed ...
    let spin = inst.program("spin").unwrap();
    let mut buf = [0u8; 8];
    set_u64(&mut buf, 0, 1000);
    assert_eq!(
        inst.run_repeat(&spin, &mut buf, 50).unwrap().last_return,
        1000
    );
    // ... and one more back-edge stops the first run with the error a single run gives.
    set_u64(&mut buf, 0, 1001);
    assert!(matches!(
        inst.run_repeat(&spin, &mut buf, 50),
        Err(RunError::LoopBudget { budget: 1000, .. })
    ));
}
