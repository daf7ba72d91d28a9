/* libFuzzer harness for the rewriter on mutated ELF files: what `hxscan
 * FILE` does to one object (sections, symbols, eh_frame, relocations, the
 * dynamic section, decoding, the scan and its report) and what `hxrewrite
 * FILE -o OUT` does (the same analysis, the patch plan, the new segment,
 * the written file). A file hxrewrite wrote must load (hx_elf_open) as
 * rewritten, and must not be rewritten twice. Files live in a private
 * temporary directory, removed at exit. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_code.h"
#include "elf_dyn.h"
#include "elf_load.h"
#include "elf_rewrite.h"
#include "hx/abi.h"
#include "report.h"
#include "scan.h"

static char dir[256], in_path[280], out_path[280];
static FILE *sink; /* /dev/null: the reports are produced, not read */

static void remove_dir(void)
{
    unlink(in_path);
    unlink(out_path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    if (!tmp || strlen(tmp) > 200)
        tmp = "/tmp";
    snprintf(dir, sizeof(dir), "%s/hx-fuzz-rw.XXXXXX", tmp);
    sink = fopen("/dev/null", "w");
    if (!mkdtemp(dir) || !sink) {
        perror("fuzz_rewrite: setup");
        exit(1);
    }
    snprintf(in_path, sizeof(in_path), "%s/in", dir);
    snprintf(out_path, sizeof(out_path), "%s/out", dir);
    atexit(remove_dir);
    return 0;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_rewrite: %s\n", what);
        abort();
    }
}

/* hxscan on the object alone (no libraries: they would come from the
 * host). */
static void scan(const uint8_t *data, size_t size)
{
    struct hx_elf e;
    char err[256];
    if (hx_elf_parse(data, size, &e, err, sizeof(err)))
        return;
    struct hx_dyn dyn;
    if (hx_dyn_read(&e, &dyn) == 0)
        hx_dyn_free(&dyn);
    struct hx_disasm d;
    if (hx_disasm_open(&d, err, sizeof(err)))
        return;
    struct hx_code c;
    struct hx_scan sc;
    struct hx_report r = {0};
    hx_scan_init(&sc);
    hx_code_init(&c, "fuzz");
    if (hx_code_from_elf(&c, &e, err, sizeof(err)) || hx_code_decode(&c, &d)) {
        hx_code_free(&c);
    } else if (hx_scan_add(&sc, &c) == 0 && hx_scan_run(&sc) == 0 &&
               hx_report_init(&r, "fuzz", &sc, NULL, 0) == 0) {
        hx_report_text(&r, sink);
        hx_report_json(&r, sink);
        hx_report_trim(&r, sink);
    }
    hx_report_free(&r);
    hx_scan_free(&sc);
    hx_disasm_close(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that ASan sees any read past the file. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    scan(copy, size);
    free(copy);

    int fd = open(in_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (fd < 0)
        return 0;
    ssize_t w = write(fd, data, size);
    close(fd);
    if (w != (ssize_t)size) {
        unlink(in_path);
        return 0;
    }
    struct hx_rewrite_stats st;
    char err[512];
    if (hx_rewrite_file(in_path, out_path, sink, &st, err, sizeof(err)) == 0) {
        check(st.patched <= st.found, "more sites patched than found");
        struct hx_elf e;
        int rc = hx_elf_open(out_path, &e, err, sizeof(err));
        if (rc)
            fprintf(stderr, "fuzz_rewrite: rewritten file refused: %s\n", err);
        check(rc == 0, "hxrun would refuse what hxrewrite wrote");
        check(e.fastcall == HX_FASTCALL_VERSION, "the rewritten file lacks its note");
        hx_elf_close(&e);
        check(hx_rewrite_file(out_path, in_path, NULL, &st, err, sizeof(err)) != 0,
              "a rewritten file was rewritten again");
    } else {
        check(err[0] && memchr(err, 0, sizeof(err)), "a reason for the refusal");
    }
    /* libFuzzer may end without running atexit: leave nothing behind. */
    unlink(out_path);
    unlink(in_path);
    return 0;
}
