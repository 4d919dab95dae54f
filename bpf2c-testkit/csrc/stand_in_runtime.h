/* The step table of stand_in_runtime.c, which the Rust tests generate through
 * bpf2c_testkit::stand_in. */
#ifndef BPF2C_STAND_IN_RUNTIME_H
#define BPF2C_STAND_IN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "bpf2c.h"

/* What a step does. */
enum drv_step_kind {
    DRV_RUN,     /* run `program` (the module's first when NULL) over `data` on `cpu` */
    DRV_UPDATE,  /* update map `map` with key `data` and value `value` */
    DRV_DUMP,    /* print every element of the module's maps */
    DRV_COMPARE, /* tell whether the maps of `module` and `other` hold the same bytes */
};

/* The helpers an instance offers, chosen by the first step that names its module. */
enum drv_helper_set {
    DRV_HELPERS_RUNTIME,     /* the stand-ins for bpf2c-runtime's helpers */
    DRV_HELPERS_CONFORMANCE, /* only helper 5, returning its first argument (the
                                conformance suite's plugin); any other unwinds */
};

/* Each module keeps one instance, and so its maps, across all its steps. */
typedef struct drv_step {
    uint32_t kind;
    const bpf2c_module_t *module;
    uint32_t helper_set;
    const char *program;
    const char *map;
    const uint8_t *data;
    size_t data_size;
    const uint8_t *value;
    size_t value_size;
    uint32_t cpu;                             /* 0 or 1: per-CPU maps have two slots */
    uint32_t ingress_ifindex, rx_queue_index; /* the XDP context of a run */
    const bpf2c_module_t *other;              /* DRV_COMPARE */
} drv_step_t;

extern const drv_step_t drv_steps[];
extern const size_t drv_step_count;

#endif
