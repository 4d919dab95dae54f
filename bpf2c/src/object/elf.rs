//! ELF objects as clang emits them for `-target bpf`.
