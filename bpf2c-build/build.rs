// Records the target this crate is built for, so that code compiled at run time (by
// `cargo bpf2c run`) targets the same machine as the process that loads it.
fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=BPF2C_HOST_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
