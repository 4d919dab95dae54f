//! Compiles the runtime's C part: the trace_printk formatter, the clock and thread-id
//! readers, the tight loop of run_repeat, the prandom helper's generator, and the layout
//! table the ABI tests compare the Rust mirrors against.

fn main() {
    const SOURCES: [&str; 5] = [
        "csrc/printk.c",
        "csrc/sys.c",
        "csrc/layout.c",
        "csrc/run.c",
        "csrc/prandom.c",
    ];
    for path in SOURCES
        .iter()
        .chain(&["csrc/bpf2c_rt.h", "include/bpf2c.h"])
    {
        println!("cargo:rerun-if-changed={path}");
    }
    cc::Build::new()
        .files(SOURCES)
        .include("include")
        .include("csrc")
        .flag_if_supported("-std=c11")
        .warnings(true)
        .extra_warnings(true)
        .compile("bpf2c_runtime_c");
}
