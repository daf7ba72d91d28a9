/* libFuzzer harness for the ELF loader (loader/elf_load.c) and the dynamic
 * section reader hxrun shares with hxscan (loader/elf_dyn.c), on mutated
 * ELF files. What hxrun does with an accepted file is checked too: the
 * loader's description must let vm_image.c's load_image copy every segment
 * from the file without reading past it, the image span must hold every
 * segment, and the placement plan (loader/image_plan.c) must put every
 * region inside a planned image's span in the user half. A violated promise
 * aborts (a crash for libFuzzer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_dyn.h"
#include "elf_load.h"
#include "hx/abi.h"
#include "image_plan.h"

/* The largest image this harness copies out as load_image would. */
#define MAX_SPAN (16u << 20)

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_elf: the loader accepted a file that breaks: %s\n", what);
        abort();
    }
}

/* What hxrun relies on after hx_elf_parse returned 0. */
static void check_accepted(const struct hx_elf *e)
{
    check(e->nload > 0 && e->nload <= HX_ELF_MAX_LOAD, "segment count");
    check(e->lo < e->hi && e->hi <= HX_USER_TOP, "image span");
    check(memchr(e->interp, 0, sizeof(e->interp)) != NULL, "PT_INTERP terminated");
    for (size_t i = 0; i < e->nload; i++) {
        const struct hx_elf_seg *s = &e->load[i];
        check(s->filesz <= s->memsz, "filesz <= memsz");
        check(s->offset <= e->size && s->filesz <= e->size - s->offset, "segment inside file");
        check(s->vaddr >= e->lo && s->memsz <= e->hi - s->vaddr, "segment inside span");
    }
    /* The plan, as for a static program (an interpreter is a file of its
     * own, planned the same way). */
    static const struct hx_image_facts facts = {.hwcap = 1, .clktck = 100};
    struct hx_image_plan plan;
    if (hx_image_plan(e, NULL, &facts, &plan) == 0) {
        uint64_t lo = e->lo + plan.image[0].bias, hi = e->hi + plan.image[0].bias;
        check(plan.entry < HX_USER_TOP, "entry in the user half");
        check(hi <= HX_USER_TOP && lo < hi, "planned span in the user half");
        for (size_t i = 0; i < plan.nregions; i++) {
            const struct hx_image_region *r = &plan.region[i];
            check(r->image == 0 && r->len && r->va >= lo && r->len <= hi - r->va,
                  "region inside the planned span");
        }
    }
    uint64_t span = e->hi - e->lo;
    if (span > MAX_SPAN)
        return;
    /* vm_image.c's load_image, on a host buffer: ASan sees every byte. */
    uint8_t *img = malloc(span);
    if (!img)
        return;
    for (size_t i = 0; i < e->nload; i++) {
        const struct hx_elf_seg *s = &e->load[i];
        memcpy(img + (s->vaddr - e->lo), e->data + s->offset, s->filesz);
    }
    free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hx_elf e;
    char err[256];
    /* An exact-size copy, so that ASan sees any read past the file. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (hx_elf_parse(copy, size, &e, err, sizeof(err)) == 0) {
        check_accepted(&e);
        struct hx_dyn d;
        if (hx_dyn_read(&e, &d) == 0) {
            for (size_t i = 0; i < d.nneeded; i++)
                check(strlen(d.needed[i]) < 1u << 20, "DT_NEEDED string");
            hx_dyn_free(&d);
        }
    } else {
        check(memchr(err, 0, sizeof(err)) && err[0], "a reason for the refusal");
    }
    free(copy);

    /* hx_elf_open: the same bytes through a file (fstat, mmap). */
    int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
    if (fd >= 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (write(fd, data, size) == (ssize_t)size && hx_elf_open(path, &e, err, sizeof(err)) == 0)
            hx_elf_close(&e);
        close(fd);
    }
    return 0;
}
