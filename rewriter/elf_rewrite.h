/* Writing a rewritten ELF file: the original bytes with the patched sites,
 * plus one new loadable segment at the end holding the program header
 * table (moved there to make room for two more entries), hxrewrite's note,
 * the native-run guard of executables and the trampolines. Every original
 * segment keeps its file offset and address. Also the whole job of
 * rewriting one file, shared by hxrewrite and hxrun --fastcall. */
#ifndef HX_REWRITER_ELF_REWRITE_H
#define HX_REWRITER_ELF_REWRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "elf_load.h"
#include "patch.h"

/* Where the new segment goes and what it holds. */
struct hx_rewrite_layout {
    uint64_t offset, vaddr; /* the new segment, page aligned */
    size_t nphdr;           /* program headers after rewriting */
    uint64_t note, stub;    /* offsets in the segment; stub 0 when none */
    uint64_t note_size;     /* bytes of the notes at note */
    uint64_t tramp;         /* offset of the trampolines in the segment */
    int executable;         /* gets the native-run guard at e_entry */
};

/* Plans the new segment of e. Returns 0, or -1 with a reason in err. */
int hx_rewrite_layout(const struct hx_elf *e, struct hx_rewrite_layout *l, char *err,
                      size_t errlen);

/* Writes e with plan p applied to path (replacing it atomically: a
 * temporary file in the same directory, then rename), with mode.
 * Returns 0, or -1 with a reason in err. */
int hx_rewrite_write(const struct hx_elf *e, const struct hx_rewrite_layout *l,
                     const struct hx_patch_plan *p, const char *path, unsigned mode, char *err,
                     size_t errlen);

/* hx_rewrite_write into fd, an empty file (written at offsets; the caller
 * owns fd). Returns 0, or -1 with a reason in err. */
int hx_rewrite_write_fd(const struct hx_elf *e, const struct hx_rewrite_layout *l,
                        const struct hx_patch_plan *p, int fd, char *err, size_t errlen);

struct hx_rewrite_stats {
    size_t found, patched;
    size_t left[HX_LEAVE_COUNT];
};

/* Rewrites the file in into out. When verbose is set, lists every site
 * left as a syscall there, with its address and reason. Returns 0, or -1
 * with a reason in err. */
int hx_rewrite_file(const char *in, const char *out, FILE *verbose, struct hx_rewrite_stats *st,
                    char *err, size_t errlen);

/* hx_rewrite_file into fd, an empty file, instead of a path. */
int hx_rewrite_file_fd(const char *in, int fd, FILE *verbose, struct hx_rewrite_stats *st,
                       char *err, size_t errlen);

#endif
