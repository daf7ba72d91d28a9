/* What the dynamic section says about loading an object: the libraries it
 * needs, where to look for them, and its own name. */
#ifndef HX_LOADER_ELF_DYN_H
#define HX_LOADER_ELF_DYN_H

#include <stddef.h>

#include "elf_load.h"

struct hx_dyn {
    char **needed; /* DT_NEEDED, in order */
    size_t nneeded;
    char *rpath;   /* DT_RPATH, NULL when absent */
    char *runpath; /* DT_RUNPATH, NULL when absent */
    char *soname;  /* DT_SONAME, NULL when absent */
    int nodeflib;  /* DF_1_NODEFLIB: no cache or default directories for its needs */
};

/* Reads e's PT_DYNAMIC. An object without one (static) gives an empty
 * result. Returns 0, or -1 when out of memory or the section is malformed. */
int hx_dyn_read(const struct hx_elf *e, struct hx_dyn *d);
void hx_dyn_free(struct hx_dyn *d);

#endif
