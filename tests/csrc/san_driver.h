/* The step table of san_driver.c, which the Rust test generates. */
#ifndef BPF2C_SAN_DRIVER_H
#define BPF2C_SAN_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "bpf2c.h"

/* A run of `program` over `data` (when program is non-NULL), or an update of map `map`
 * with key `data` and value `value`. Each module keeps its maps across its steps. */
typedef struct drv_step {
    const bpf2c_module_t *module;
    const char *program;
    const char *map;
    const uint8_t *data;
    size_t data_size;
    const uint8_t *value;
    size_t value_size;
} drv_step_t;

extern const drv_step_t drv_steps[];
extern const size_t drv_step_count;

#endif
