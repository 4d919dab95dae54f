/* The few system facts helpers report, read the way the kernel's helpers read them. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#include <stdint.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "bpf2c_rt.h"

uint64_t bpf2c_rt_ktime_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t bpf2c_rt_thread_id(void)
{
#if defined(__linux__)
    /* gettid() itself needs glibc 2.30; the system call works everywhere. */
    return (uint32_t)syscall(SYS_gettid);
#else
    return (uint32_t)getpid();
#endif
}

uint64_t bpf2c_rt_boottime_ns(void)
{
    struct timespec ts;
#if defined(CLOCK_BOOTTIME)
    if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
        return 0;
#else
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
#endif
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
