/* Linux clocks and time values (include/uapi/linux/time.h,
 * include/vdso/time64.h, include/uapi/asm-generic/param.h). */
#ifndef HX_UAPI_TIME_H
#define HX_UAPI_TIME_H

#include <stdint.h>

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define CLOCK_TAI 11
/* clock_nanosleep, timer_settime */
#define TIMER_ABSTIME 1

/* Nanoseconds in a second (Linux's NSEC_PER_SEC). */
#define NSEC_PER_SEC 1000000000ll
/* USER_HZ: the unit of times() and /proc's tick counts. */
#define USER_HZ 100

/* struct timespec on x86-64. */
struct timespec64 {
    int64_t sec, nsec;
};

#endif
