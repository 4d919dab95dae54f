/* bpf_get_prandom_u32 for the runtime's helper: the header's generator, so that the helper
 * and calls the translator inlined step one state in one way. */
#include "bpf2c.h"
#include "bpf2c_rt.h"

uint64_t bpf2c_rt_prandom_u32(bpf2c_prandom_t *g)
{
    return bpf2c_prandom_u32(g);
}
