/* Names and strace formats of every system call, from syscalls/table.h. */
#include "syscall_names.h"

#include <stddef.h>

#define SC(nr, name, sub, fmt) [nr] = {#name, fmt},
static const struct hx_syscall_info table[] = {
#include "table.h"
};
#undef SC

const struct hx_syscall_info *hx_syscall_info(uint64_t nr)
{
    if (nr >= sizeof(table) / sizeof(table[0]) || !table[nr].name)
        return NULL;
    return &table[nr];
}
