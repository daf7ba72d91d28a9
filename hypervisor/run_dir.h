/* The run's own directory on the host, and its janitor (run_dir.c). */
#ifndef HX_RUN_DIR_H
#define HX_RUN_DIR_H

#include <stdint.h>
#include <sys/types.h>

/* Makes the run's directory, holding "tmp" and "shm" (mode 1777), and
 * starts the janitor that removes it when the run ends: in the top, as it
 * starts, before guest RAM and threads. title and title_size: where the
 * process's arguments lie, which the janitor's copy overwrites with its
 * own name. bound: when not 0, the bytes the directory may hold (a tmpfs
 * of the run's own, when this process may mount one). Its path, or NULL
 * with errno. */
const char *hx_run_dir_make(char *title, size_t title_size, uint64_t bound);

/* The run's directory (the top's, in every process of the run), or NULL.
 * The first call waits for the janitor to be on its own. */
const char *hx_run_dir(void);

/* In a new monitor (a fork's child): only the top holds the janitor's
 * pipe. */
void hx_run_dir_forked(void);

/* At the top's own end: removes the directory at once (the janitor would
 * a moment later). */
void hx_run_dir_remove(void);

#endif
