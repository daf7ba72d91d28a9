/* The ld.so.cache reader. Layout from glibc's sysdeps/generic/dl-cache.h:
 *
 *   old (optional): "ld.so-1.7.0", u32 nlibs, nlibs x {i32 flags; u32 key, value}
 *   new, 8-aligned: "glibc-ld.so.cache" "1.1", u32 nlibs, u32 len_strings,
 *       u8 flags, u8[3], u32 extension_offset, u32[3],
 *       nlibs x {i32 flags; u32 key, value; u32 osversion; u64 hwcap}
 *
 * key and value are offsets of the library's name and path from the start of
 * the new header. x86-64 libraries are flagged FLAG_X8664_LIB64 |
 * FLAG_ELF_LIBC6. */
#include "ldcache.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define OLD_HEADER 16 /* magic, padding, nlibs */
#define OLD_ENTRY 12
#define NEW_HEADER 48
#define NEW_ENTRY 24
#define FLAGS_X86_64_LIBC6 0x0303

static uint32_t u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The string at offset off of the new section [base, base + len), or NULL. */
static const char *string_at(const unsigned char *base, size_t len, uint32_t off)
{
    if (off >= len || !memchr(base + off, 0, len - off))
        return NULL;
    return (const char *)base + off;
}

/* Directories whose cache entries DF_1_NODEFLIB excludes. */
static int in_default_dir(const char *path)
{
    return strncmp(path, "/lib/", 5) == 0 || strncmp(path, "/usr/lib/", 9) == 0 ||
           strncmp(path, "/lib64/", 7) == 0;
}

int hx_ldcache_lookup_mem(const unsigned char *data, size_t size, const char *name, int nodeflib,
                          char *out, size_t outlen)
{
    size_t off = 0;
    if (size >= OLD_HEADER && memcmp(data, OLD_MAGIC, sizeof(OLD_MAGIC) - 1) == 0) {
        uint64_t nold = u32(data + 12);
        if (nold > (size - OLD_HEADER) / OLD_ENTRY)
            return -1;
        off = (OLD_HEADER + (size_t)nold * OLD_ENTRY + 7) & ~(size_t)7;
    }
    if (off > size || size - off < NEW_HEADER ||
        memcmp(data + off, NEW_MAGIC, sizeof(NEW_MAGIC) - 1) != 0)
        return -1;
    const unsigned char *base = data + off;
    size_t len = size - off;
    uint64_t n = u32(base + 20);
    if (n > (len - NEW_HEADER) / NEW_ENTRY)
        return -1;
    /* Several entries may share a name (hwcaps variants): the one without
     * hwcaps requirements is what every x86-64 CPU loads. */
    const char *fallback = NULL;
    for (uint64_t i = 0; i < n; i++) {
        const unsigned char *e = base + NEW_HEADER + i * NEW_ENTRY;
        if ((uint32_t)u32(e) != FLAGS_X86_64_LIBC6)
            continue;
        const char *key = string_at(base, len, u32(e + 4));
        const char *value = string_at(base, len, u32(e + 8));
        if (!key || !value || strcmp(key, name) != 0 || (nodeflib && in_default_dir(value)))
            continue;
        if (u64(e + 16) == 0) {
            fallback = value;
            break;
        }
        if (!fallback)
            fallback = value;
    }
    if (!fallback || strlen(fallback) >= outlen)
        return -1;
    strcpy(out, fallback);
    return 0;
}

int hx_ldcache_lookup(const char *cache_path, const char *name, int nodeflib, char *out,
                      size_t outlen)
{
    int fd = open(cache_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
        close(fd);
        return -1;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -1;
    int rc = hx_ldcache_lookup_mem(p, (size_t)st.st_size, name, nodeflib, out, outlen);
    munmap(p, (size_t)st.st_size);
    return rc;
}
