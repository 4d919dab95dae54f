//! Compiles the runtime's C part: the trace_printk formatter, the clock and thread-id
//! readers, the tight loop of run_repeat and the prandom helper's generator, against the
//! ABI header of bpf2c-abi.

fn main() {
    const SOURCES: [&str; 4] = [
        "csrc/printk.c",
        "csrc/sys.c",
        "csrc/run.c",
        "csrc/prandom.c",
    ];
    for path in SOURCES.iter().chain(&["csrc/bpf2c_rt.h"]) {
        println!("cargo:rerun-if-changed={path}");
    }
    let abi_include = bpf2c_abi::include_dir();
    println!(
        "cargo:rerun-if-changed={}",
        abi_include.join("bpf2c.h").display()
    );
    cc::Build::new()
        .files(SOURCES)
        .include(&abi_include)
        .include("csrc")
        .flag_if_supported("-std=c11")
        .warnings(true)
        .extra_warnings(true)
        .compile("bpf2c_runtime_c");
}
