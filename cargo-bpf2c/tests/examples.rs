//! The example crates of this repository through `cargo bpf2c`, and built from clean by
//! cargo and run.

use std::process::Command;

use bpf2c_testkit::repo;

#[test]
fn the_examples_metadata_verifies_with_the_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-bpf2c"))
        .args([
            "bpf2c",
            "verify",
            "--message-format",
            "json",
            "--manifest-path",
        ])
        .arg(repo().join("Cargo.toml"))
        .args([
            "-p",
            "example-packet-counter",
            "-p",
            "example-rate-limiter",
            "-p",
            "example-plugin-host",
            "-p",
            "example-xdp-firewall",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verified: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|m| m["reason"] == "program-verdict" && m["verified"] == true)
        .map(|m| {
            format!(
                "{} {}",
                m["package"].as_str().unwrap(),
                m["program"].as_str().unwrap()
            )
        })
        .collect();
    // The plugins verify only because their package declares the host helpers they call.
    assert_eq!(
        verified,
        [
            "example-packet-counter count_packets",
            "example-rate-limiter limit_flows",
            "example-plugin-host audit_order",
            "example-plugin-host order_total",
            "example-xdp-firewall xdp_firewall",
        ]
    );
}

/// Builds the examples with a fresh target directory, as a new checkout would, and runs
/// them. Everything compiles from scratch (about a minute on two cores).
#[test]
fn examples_build_from_clean_and_run() {
    let target = tempfile::tempdir().unwrap();
    let cargo = env!("CARGO");
    let status = Command::new(cargo)
        .args([
            "build",
            "--offline",
            "-p",
            "example-packet-counter",
            "-p",
            "example-rate-limiter",
            "-p",
            "example-plugin-host",
            "-p",
            "example-xdp-firewall",
        ])
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", target.path())
        // As in bpf2c-build's tests: no rustc probe cache, stdin closed.
        .env("CARGO_CACHE_RUSTC_INFO", "0")
        .stdin(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let run = |name: &str| {
        let out = Command::new(target.path().join("debug").join(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run("example-packet-counter").contains("IPv4             11       2954\n"));
    assert!(run("example-rate-limiter").ends_with("total: 660 passed, 510 dropped, 3 flows\n"));
    assert!(run("example-plugin-host").contains("total: 141.00\n"));
}
