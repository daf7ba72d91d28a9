/* Lookups in glibc's /etc/ld.so.cache ("glibc-ld.so.cache1.1" format, alone
 * or after the old "ld.so-1.7.0" table), as ld.so does them. */
#ifndef HX_LOADER_LDCACHE_H
#define HX_LOADER_LDCACHE_H

#include <stddef.h>

/* Finds the x86-64 library called name in the cache file at cache_path,
 * copying its path to out. Entries of directories a caller with
 * DF_1_NODEFLIB may not use are skipped when nodeflib is set. Returns 0, or
 * -1 when the file is missing, malformed, or has no such entry. */
int hx_ldcache_lookup(const char *cache_path, const char *name, int nodeflib, char *out,
                      size_t outlen);

/* The same on a cache image already in memory (for tests). */
int hx_ldcache_lookup_mem(const unsigned char *data, size_t size, const char *name, int nodeflib,
                          char *out, size_t outlen);

#endif
