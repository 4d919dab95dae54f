/* The runtime's tight loop for Instance::run_repeat: one program, the same context, many
 * runs, with nothing between two runs but resetting the invocation. Benchmarks then measure
 * the program instead of the Rust bookkeeping around a single run. The loop is the ABI
 * header's, which modules may also carry (BPF2C_DEFINE_RUN_LOOP), so both copies agree. */
#include "bpf2c.h"
#include "bpf2c_rt.h"

BPF2C_DEFINE_RUN_LOOP(bpf2c_rt_run_loop)
