/* hxrewrite: patches the syscall instructions of a program or shared
 * library into fastcalls into the hx kernel (DESIGN.md section 7).
 *
 *   hxrewrite [-v] PROGRAM [-o OUT]      OUT defaults to PROGRAM.fast
 *
 * Prints how many syscall sites it found, patched and left, and why each
 * was left (-v lists them with their addresses). Exit status 0 on success,
 * 2 on bad input or a problem of hxrewrite itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_rewrite.h"

#define EXIT_BAD 2

static void usage(FILE *f)
{
    fprintf(f, "usage: hxrewrite [-v] PROGRAM [-o OUT]\n"
               "  -o OUT  write the rewritten file to OUT (default PROGRAM.fast)\n"
               "  -v      list every site left as a syscall, with its address and reason\n");
}

int main(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--") == 0 && i + 1 < argc && !in) {
            in = argv[++i];
        } else if (argv[i][0] == '-' || in) {
            fprintf(stderr, "hxrewrite: unexpected argument: %s\n", argv[i]);
            usage(stderr);
            return EXIT_BAD;
        } else {
            in = argv[i];
        }
    }
    if (!in) {
        usage(stderr);
        return EXIT_BAD;
    }
    char def[4096];
    if (!out) {
        if (snprintf(def, sizeof(def), "%s.fast", in) >= (int)sizeof(def)) {
            fprintf(stderr, "hxrewrite: %s: name too long\n", in);
            return EXIT_BAD;
        }
        out = def;
    }
    struct hx_rewrite_stats st;
    char err[512];
    if (verbose)
        printf("%s: sites left as syscall:\n", in);
    if (hx_rewrite_file(in, out, verbose ? stdout : NULL, &st, err, sizeof(err))) {
        fflush(stdout);
        fprintf(stderr, "hxrewrite: %s: %s\n", in, err);
        return EXIT_BAD;
    }
    printf("%s: %zu syscall sites found, %zu patched, %zu left\n", in, st.found, st.patched,
           st.found - st.patched);
    for (unsigned k = 1; k < HX_LEAVE_COUNT; k++)
        if (st.left[k])
            printf("  %zu left: %s\n", st.left[k], hx_leave_text(k));
    printf("wrote %s\n", out);
    return fflush(stdout) ? EXIT_BAD : 0;
}
