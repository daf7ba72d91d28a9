/* The table is included the way hypervisor/syscall_names.c includes it; the
 * third column (where) is kept as a string: "none" is the one that means
 * unsupported. */
#include "syscall_table.h"

#include <stddef.h>
#include <string.h>

struct entry {
    const char *name;
    const char *where;
};

/* By its path from here, so that builds without -Isyscalls (the unit
 * tests) find it too. */
#define SC(nr, name, sub, fmt) [nr] = {#name, #sub},
static const struct entry table[] = {
#include "../syscalls/table.h"
};
#undef SC

const char *hx_sys_name(uint64_t nr)
{
    return nr < sizeof(table) / sizeof(table[0]) ? table[nr].name : NULL;
}

int hx_sys_supported(uint64_t nr)
{
    if (nr >= sizeof(table) / sizeof(table[0]) || !table[nr].name)
        return 0;
    return strcmp(table[nr].where, "none") != 0;
}
