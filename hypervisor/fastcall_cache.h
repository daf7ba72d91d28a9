/* hxrun --fastcall: the program, its interpreter and its libraries
 * rewritten by hxrewrite's code on first use into a cache directory, and
 * the guest given the rewritten bytes under the original paths. */
#ifndef HX_FASTCALL_CACHE_H
#define HX_FASTCALL_CACHE_H

#include <sys/types.h>

#include "vm.h"

/* Rewrites (or finds in the cache) every object prog runs with. An object
 * that cannot be rewritten runs as it is, after a warning. Returns 0, or
 * -1 after printing why fastcalls are off for this run (the run goes on). */
int hx_fastcall_prepare(const struct hx_options *opt, const char *prog);

/* The file to load for path: its rewritten copy, or path itself. */
const char *hx_fastcall_path(const char *path);

/* Called with every host fd the guest opens read-only: when it is one of
 * the rewritten objects, the same fd number now reads the rewritten copy.
 * Returns fd, or a negative errno. */
long hx_fastcall_reopen(long fd, int flags);

/* Whether host fd fd reads one of this run's rewritten copies (as
 * hx_fastcall_reopen made it), which are read-only files in the cache. */
int hx_fastcall_is_copy(int fd);

/* Whether the directory dev/ino is this run's fastcall cache, which hostfs
 * keeps from the guest: the guest must not change what later runs run. */
int hx_fastcall_cache_is(dev_t dev, ino_t ino);

#endif
