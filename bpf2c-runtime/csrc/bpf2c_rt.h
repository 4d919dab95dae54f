/* Private to the bpf2c runtime: the C functions its Rust side calls. */
#ifndef BPF2C_RT_H
#define BPF2C_RT_H

#include <stddef.h>
#include <stdint.h>

#include "bpf2c.h"

/* Formats a bpf_trace_printk line into buf (NUL-terminated, truncated to buf_size - 1 bytes).
 * Returns the bytes written, or -22 (-EINVAL) for a format Linux would refuse. */
int64_t bpf2c_rt_format_printk(char *buf, size_t buf_size, const char *fmt, uint64_t fmt_size,
                               uint64_t a1, uint64_t a2, uint64_t a3);

/* CLOCK_MONOTONIC in nanoseconds, the clock bpf_ktime_get_ns reads. */
uint64_t bpf2c_rt_ktime_ns(void);
/* CLOCK_BOOTTIME in nanoseconds (time spent suspended included): bpf_ktime_get_boot_ns. */
uint64_t bpf2c_rt_boottime_ns(void);

/* The calling thread's id as the kernel knows it (the "pid" half of pid_tgid). */
uint32_t bpf2c_rt_thread_id(void);

/* Runs `function` up to `runs` times with r1, r2 and a reset invocation, stopping after a
 * run that leaves inv->unwind set. Returns the runs made; *last_r0 is the last one's r0. */
uint64_t bpf2c_rt_run_loop(bpf2c_function_fn function, uint64_t r1, uint64_t r2,
                           bpf2c_invocation_t *inv, uint64_t loop_budget, uint64_t runs,
                           uint64_t *last_r0);

/* One bpf_get_prandom_u32 draw from g: the helper's side of the generator inlined calls step. */
uint64_t bpf2c_rt_prandom_u32(bpf2c_prandom_t *g);

#endif
