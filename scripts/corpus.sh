#!/bin/sh
# Verifies every object of a corpus directory with `cargo bpf2c verify` and compares the
# verdicts with the reference verifier's (DIR/reference.jsonl, one line per program).
# Then runs the packet programs the reference verifies on an IPv4/TCP packet and counts them.
#
#   scripts/corpus.sh DIR [--timeout SECONDS] [--jobs N] [--json OUT] [--no-run]
#
# Builds the release CLI first; the comparison itself is scripts/corpus.py.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 DIR [--timeout S] [--jobs N] [--json OUT]" >&2; exit 2; }
cargo build --quiet --release -p cargo-bpf2c --manifest-path "$root/Cargo.toml"
exec python3 "$root/scripts/corpus.py" --bin "$root/target/release/cargo-bpf2c" "$@"
