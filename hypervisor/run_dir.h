/* The run's own directory on the host (run_dir.c). */
#ifndef HX_RUN_DIR_H
#define HX_RUN_DIR_H

#include <stddef.h>

/* The run's directory, holding "tmp" and "shm" (mode 1777): made by the
 * top monitor the first time it is asked, with the janitor that removes it
 * when the run ends; a later process of the run has the top's. ram and
 * ram_size: guest RAM, which the janitor must not share. Its path, or
 * NULL with errno. */
const char *hx_run_dir(void *ram, size_t ram_size);

/* In a new monitor (a fork's child): only the top holds the janitor's
 * pipe. */
void hx_run_dir_forked(void);

/* At the top's own end: removes the directory at once (the janitor would
 * a moment later). */
void hx_run_dir_remove(void);

/* Where the process's arguments lie (from argv[0] to the end of the
 * last): the janitor writes its own name there. */
void hx_run_dir_title(char *area, size_t size);

#endif
