/* The objects a program runs with: the program, its interpreter, and every
 * shared library it needs, transitively, found the way the interpreter finds
 * them (glibc's ld.so or musl's), in the order they are loaded. */
#ifndef HX_LOADER_LIBPATH_H
#define HX_LOADER_LIBPATH_H

#include <stddef.h>
#include <sys/types.h>

#include "elf_dyn.h"
#include "elf_load.h"

struct hx_object {
    char *path;   /* as opened */
    char *needed; /* the DT_NEEDED name it was loaded for; NULL for program and interpreter */
    long loader;  /* index of the object whose DT_NEEDED loaded it, -1 */
    struct hx_elf elf;
    struct hx_dyn dyn;
    dev_t dev;
    ino_t ino;
};

struct hx_missing {
    char *name;   /* the DT_NEEDED name, or the interpreter path */
    char *reason; /* "not found", or why the file found cannot be used */
};

/* Where libraries are searched; hx_libs_default() gives the system's. */
struct hx_libs_config {
    const char *ld_so_cache;       /* glibc's cache file */
    const char *musl_path_file;    /* musl's search path file */
    const char *const *glibc_dirs; /* NULL-terminated default directories */
    const char *musl_dirs;         /* musl's default, colon-separated */
    const char *ld_library_path;   /* LD_LIBRARY_PATH, or NULL */
};

struct hx_objset {
    struct hx_object *v; /* [0] is the program */
    size_t n, cap;
    struct hx_missing *missing;
    size_t nmissing, capmissing;
    int musl; /* the interpreter is musl's */
};

void hx_libs_default(struct hx_libs_config *cfg);

/* Opens the program and every object it loads. Returns 0, or the program's
 * own open error (HX_ELF_NOTFOUND or HX_ELF_NOEXEC, reason in err, set
 * empty). Libraries that cannot be found or used are listed in missing. */
int hx_objset_load(struct hx_objset *s, const char *program, const struct hx_libs_config *cfg,
                   char *err, size_t errlen);
void hx_objset_free(struct hx_objset *s);

/* Replaces $ORIGIN, ${ORIGIN}, $LIB and $PLATFORM in a search path with
 * their values for an object in directory origin. Returns a new string, or
 * NULL when out of memory. */
char *hx_expand_origin(const char *path, const char *origin);

#endif
