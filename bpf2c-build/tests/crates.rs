//! Real crates using bpf2c-build, built with the real cargo, in one test binary so `cargo
//! test` links it once. Each file keeps its own module (`cargo test -p bpf2c-build --test
//! crates sources` selects one file's tests); they share one target directory, and so one
//! lock and one way of running cargo.

mod real_cargo {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    /// The crates' dependencies (bpf2c, the runtime, PREVAIL) build once into this
    /// directory, kept under `CARGO_TARGET_TMPDIR`, so only the first run pays for them.
    pub fn target_dir() -> PathBuf {
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("bpf2c-build-crates")
    }

    /// The tests share one target directory; running their cargo commands one test at a
    /// time keeps one from waiting on the other's lock halfway through its steps.
    static CARGO_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

    pub fn serial() -> std::sync::MutexGuard<'static, ()> {
        CARGO_LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `cargo <args>` in `dir`, offline, in the shared target directory, with none of the
    /// variables of this test run that would change what bpf2c-build does.
    pub fn cargo(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(args)
            .arg("--offline")
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", target_dir())
            .env_remove("BPF2C_NO_OPT")
            .env_remove("BPF2C_CLANG")
            .env_remove("RUSTFLAGS")
            .env("CARGO_TERM_COLOR", "never")
            // A nested cargo probes rustc with its source on stdin and caches the answer in
            // the target directory; with stdin closed and no cache, a probe that once read
            // stray input (seen once in a full `cargo test` run) cannot fail every later
            // build.
            .env("CARGO_CACHE_RUSTC_INFO", "0")
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// The manifest of crate `demo` in `dir`, depending on this repository's runtime and
    /// bpf2c-build by path, with the workspace's lock file, which pins every dependency to a
    /// version already downloaded.
    pub fn write_demo_manifest(dir: &Path) {
        let repo = bpf2c_testkit::repo();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nbpf2c-runtime = {{ path = \"{r}/bpf2c-runtime\" }}\n\n\
                 [build-dependencies]\nbpf2c-build = {{ path = \"{r}/bpf2c-build\" }}\n\n\
                 [workspace]\n",
                r = repo.display()
            ),
        )
        .unwrap();
        std::fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    }

    pub fn stderr(o: &Output) -> String {
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    /// Did this `cargo build -v` run demo's build script?
    pub fn ran_build_script(o: &Output) -> bool {
        stderr(o).lines().any(|l| {
            l.contains("Running") && l.contains("/build/demo-") && l.contains("build-script-build")
        })
    }
}

#[path = "rebuild.rs"]
mod rebuild;
#[path = "sources.rs"]
mod sources;
