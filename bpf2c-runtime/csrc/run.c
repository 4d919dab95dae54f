/* The runtime's tight loop for Instance::run_repeat: one program, the same context, many
 * runs, with nothing between two runs but resetting the invocation. Benchmarks then measure
 * the program instead of the Rust bookkeeping around a single run. */
#include "bpf2c.h"
#include "bpf2c_rt.h"

uint64_t bpf2c_rt_run_loop(bpf2c_function_fn function, uint64_t r1, uint64_t r2,
                           bpf2c_invocation_t *inv, uint64_t loop_budget, uint64_t runs,
                           uint64_t *last_r0)
{
    uint64_t r0 = 0, done = 0;
    /* A run that returns without unwinding leaves the unwind fields and the tail-call target
     * as they were (they are set only on the way to an unwind, which leaves this loop), so
     * they are reset once; the budget and the tail-call count (which a failed tail call
     * raises, as in Linux) are reset for every run. */
    inv->unwind = BPF2C_UNWIND_NONE;
    inv->unwind_pc = 0;
    inv->unwind_function = 0;
    inv->tail_call_target = -1;
    while (done < runs) {
        inv->loop_budget = loop_budget;
        inv->tail_call_count = 0;
        r0 = function(r1, r2, 0, 0, 0, inv);
        done++;
        /* A tail call, an exhausted budget or a failed helper: the caller finishes this run. */
        if (inv->unwind != BPF2C_UNWIND_NONE)
            break;
    }
    *last_r0 = r0;
    return done;
}
