/* hxscan: lists the system calls a program (with its interpreter and shared
 * libraries) can make, and which of them hx does not support.
 *
 *   hxscan [--json] [--trim FILE] [--] PROGRAM
 *
 * Exit status: 0 when every system call found is supported, 1 when some are
 * not, 2 on bad input or a problem of hxscan itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_code.h"
#include "libpath.h"
#include "report.h"
#include "scan.h"

#define EXIT_BAD 2

static void usage(FILE *f)
{
    fprintf(f, "usage: hxscan [--json] [--trim FILE] [--] PROGRAM\n"
               "  --json       print the result as one JSON object\n"
               "  --trim FILE  also write the system calls found to FILE, one name per line\n");
}

/* Decodes every object of s into sc. The program must decode; a library
 * that does not is reported on stderr and left out. Returns 0, or -1 after
 * printing why. */
static int decode_objects(const struct hx_objset *s, struct hx_scan *sc)
{
    struct hx_disasm d;
    char err[256];
    if (hx_disasm_open(&d, err, sizeof(err))) {
        fprintf(stderr, "hxscan: %s\n", err);
        return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        struct hx_code c;
        hx_code_init(&c, s->v[i].path);
        err[0] = 0;
        if (hx_code_from_elf(&c, &s->v[i].elf, err, sizeof(err)) || hx_code_decode(&c, &d)) {
            if (!err[0])
                snprintf(err, sizeof(err), "out of memory");
            fprintf(stderr, "hxscan: %s: %s\n", s->v[i].path, err);
            hx_code_free(&c);
            if (i == 0) {
                hx_disasm_close(&d);
                return -1;
            }
            continue;
        }
        if (hx_scan_add(sc, &c)) {
            fprintf(stderr, "hxscan: out of memory\n");
            hx_disasm_close(&d);
            return -1;
        }
    }
    hx_disasm_close(&d);
    return 0;
}

static int write_trim(const struct hx_report *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "hxscan: %s: %s\n", path, strerror(errno));
        return -1;
    }
    hx_report_trim(r, f);
    if (fclose(f) != 0) {
        fprintf(stderr, "hxscan: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int json = 0, i = 1;
    const char *trim = NULL;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--trim") == 0 && i + 1 < argc) {
            trim = argv[++i];
        } else if (strncmp(argv[i], "--trim=", 7) == 0 && argv[i][7]) {
            trim = argv[i] + 7;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "hxscan: unknown option or missing argument: %s\n", argv[i]);
            usage(stderr);
            return EXIT_BAD;
        }
    }
    if (i != argc - 1) {
        usage(stderr);
        return EXIT_BAD;
    }
    const char *program = argv[i];

    struct hx_libs_config cfg;
    hx_libs_default(&cfg);
    struct hx_objset set;
    char err[256];
    if (hx_objset_load(&set, program, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "hxscan: %s: %s\n", program, err);
        return EXIT_BAD;
    }
    for (size_t k = 0; k < set.nmissing; k++)
        fprintf(stderr, "hxscan: warning: %s: %s (not scanned)\n", set.missing[k].name,
                set.missing[k].reason);

    struct hx_scan sc;
    hx_scan_init(&sc);
    struct hx_report r = {0};
    int status = EXIT_BAD;
    if (decode_objects(&set, &sc))
        goto out;
    if (hx_scan_run(&sc) || hx_report_init(&r, program, &sc, set.missing, set.nmissing)) {
        fprintf(stderr, "hxscan: out of memory\n");
        goto out;
    }
    if (json)
        hx_report_json(&r, stdout);
    else
        hx_report_text(&r, stdout);
    if (trim && write_trim(&r, trim))
        goto out;
    if (fflush(stdout) != 0) {
        fprintf(stderr, "hxscan: stdout: %s\n", strerror(errno));
        goto out;
    }
    status = r.nunsupported ? 1 : 0;
out:
    hx_report_free(&r);
    hx_scan_free(&sc);
    hx_objset_free(&set);
    return status;
}
