#!/usr/bin/env bash
# Asks the running Linux kernel's verifier about every program of the given eBPF objects, one
# program at a time, and prints `<object> <program> accept` or
# `<object> <program> refuse <insn>: <reason>`. Used to record, in test sources, that our
# verdicts match the kernel's (docs/verification.md, "Checked against Linux"); the tests
# themselves never need the kernel.
# Needs root, libbpf (libbpf-dev) and a C compiler. Usage: scripts/kernel-verdicts.sh OBJ...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${CC:-cc}" -O2 -Wall -Wextra -Werror -o "$tmp/kernel-verdicts" "$root/scripts/kernel-verdicts.c" -lbpf
for obj in "$@"; do
    "$tmp/kernel-verdicts" "$obj" | sed "s|^|$obj |"
done
