/*
 * The native side of benches/workloads.rs: calls a natively compiled workload `runs` times
 * through a function pointer, as the runtime's run loop calls a translated program, so both
 * sides pay one indirect call per run.
 */
#include <stdint.h>

typedef long (*bench_workload_fn)(unsigned char *mem, unsigned long len);

uint64_t bench_native_repeat(bench_workload_fn f, unsigned char *mem, unsigned long len,
                             uint64_t runs, long *last);

uint64_t bench_native_repeat(bench_workload_fn f, unsigned char *mem, unsigned long len,
                             uint64_t runs, long *last)
{
    long r = 0;
    for (uint64_t i = 0; i < runs; i++)
        r = f(mem, len);
    *last = r;
    return runs;
}
