#!/usr/bin/env bash
# Rebuilds the committed eBPF objects: every tests/bpf/*.c, tests/bpf/reject/*.c,
# tests/bpf/facts/*.c, tests/bpf/opt/*.c, tests/bpf/kdiff/*.c, tests/bpf/bench/*.c and
# examples/*/bpf/*.c becomes the .o next to it.
# Objects are committed so tests never need clang, and they must be
# byte-identical when rebuilt from the same sources with the same clang: the script compiles
# from the repository root with relative paths and pins the recorded compilation directory.
#
# A source whose name ends in `_be.c` is compiled for big-endian eBPF (-target bpfeb).
#
# Usage: scripts/build-bpf-objects.sh [file.c ...]   (default: every source)
# Environment: CLANG (default clang-19), EXTRA_CFLAGS (appended), BPF_OUT_DIR (write each object
# to BPF_OUT_DIR/<source path>.o instead of next to its source, e.g. to compare a fresh build with
# the committed objects).
set -euo pipefail

CLANG="${CLANG:-clang-19}"
if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "error: '$CLANG' not found; install clang (14 or later) or set CLANG=/path/to/clang" >&2
    exit 1
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Multiarch include directory for <asm/types.h>, which <linux/bpf.h> needs.
multiarch="$(gcc -print-multiarch 2>/dev/null || true)"
includes=()
if [ -n "$multiarch" ] && [ -d "/usr/include/$multiarch" ]; then
    includes+=("-I/usr/include/$multiarch")
fi

if [ "$#" -gt 0 ]; then
    sources=("$@")
else
    shopt -s nullglob
    sources=(tests/bpf/*.c tests/bpf/reject/*.c tests/bpf/facts/*.c tests/bpf/opt/*.c tests/bpf/kdiff/*.c
             tests/bpf/bench/*.c examples/*/bpf/*.c)
    shopt -u nullglob
fi
if [ "${#sources[@]}" -eq 0 ]; then
    echo "error: no eBPF C sources found under tests/bpf (and reject/, facts/, opt/) or examples/*/bpf" >&2
    exit 1
fi

for src in "${sources[@]}"; do
    # Relative paths keep the object independent of where the repository is checked out.
    src="$(realpath --relative-to="$root" "$src")"
    out="${src%.c}.o"
    if [ -n "${BPF_OUT_DIR:-}" ]; then
        out="$BPF_OUT_DIR/$out"
        mkdir -p "$(dirname "$out")"
    fi
    target=bpf
    case "$src" in
        *_be.c) target=bpfeb ;;
    esac
    echo "  CC  $out (-target $target)"
    # shellcheck disable=SC2086
    "$CLANG" -target "$target" -O2 -g -mcpu=v3 \
        -fdebug-compilation-dir=. -fdebug-prefix-map="$root"=. \
        -Wall -Wno-unused-function \
        "${includes[@]}" -I"$(dirname "$src")" \
        ${EXTRA_CFLAGS:-} \
        -c "$src" -o "$out"
done
