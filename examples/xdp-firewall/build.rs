// Verifies the eBPF objects declared in [package.metadata.bpf2c], compiles them into this
// crate, and writes their Rust bindings to OUT_DIR.
fn main() {
    bpf2c_build::Builder::from_manifest().run();
}
