/* Names of the x86-64 system calls and whether hx implements them, from the
 * kernel's table (syscalls/table.h). */
#ifndef HX_REWRITER_SYSCALL_TABLE_H
#define HX_REWRITER_SYSCALL_TABLE_H

#include <stdint.h>

/* The name of system call nr, or NULL when the table has none. */
const char *hx_sys_name(uint64_t nr);

/* Whether hx handles nr: implemented, or "quiet" (-ENOSYS on purpose, as a
 * Linux kernel without the feature answers). Unknown numbers are not. */
int hx_sys_supported(uint64_t nr);

#endif
