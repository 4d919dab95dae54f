/* The case table shared by harness.c and the table each test generates. */
#ifndef BPF2C_TEST_HARNESS_H
#define BPF2C_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "bpf2c.h"

typedef struct harness_case {
    const char *name;
    const bpf2c_module_t *module;
    const uint8_t *memory;
    size_t memory_size;
} harness_case_t;

extern const harness_case_t harness_cases[];
extern const size_t harness_case_count;

#endif
