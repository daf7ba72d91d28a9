#ifndef HX_SYSCALL_NAMES_H
#define HX_SYSCALL_NAMES_H

#include <stdint.h>

struct hx_syscall_info {
    const char *name;
    const char *fmt; /* strace argument format, see syscalls/table.h */
};

/* NULL for numbers Linux does not define. */
const struct hx_syscall_info *hx_syscall_info(uint64_t nr);

#endif
