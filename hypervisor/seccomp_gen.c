/* hx_seccomp_gen OUT: writes the monitor's seccomp allowlist
 * (seccomp_policy.c) as a BPF program for hxrun to embed (seccomp_blob.S).
 * Runs at build time. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_policy.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hx_seccomp_gen OUT\n");
        return 2;
    }
    scmp_filter_ctx ctx = hx_seccomp_policy();
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = !ctx || fd < 0 ? -1 : seccomp_export_bpf(ctx, fd);
    if (ctx)
        seccomp_release(ctx);
    if (fd >= 0 && close(fd) && !rc)
        rc = -1;
    if (rc) {
        fprintf(stderr, "hx_seccomp_gen: cannot write %s\n", argv[1]);
        unlink(argv[1]);
        return 1;
    }
    return 0;
}
