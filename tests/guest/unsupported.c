/*
 * unsupported: system call numbers Linux itself answers with ENOSYS --
 * never-assigned numbers, out-of-range numbers, and calls removed long ago
 * whose slots stay reserved.  Each must fail cleanly and the program must
 * carry on.  (Implemented-but-refused calls such as acct() are avoided:
 * their answer depends on privileges and kernel configuration.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"

static void try(const char *what, long nr)
{
    errno = 0;
    long r = syscall(nr, 0L, 0L, 0L, 0L, 0L, 0L);
    printf("syscall %ld (%s): %ld %s\n", nr, what, r, errname(errno));
}

int main(void)
{
    try("create_module, removed", 174);
    try("get_kernel_syms, removed", 177);
    try("query_module, removed", 178);
    try("nfsservctl, removed", 180);
    try("getpmsg, never implemented", 181);
    try("afs_syscall, never implemented", 183);
    try("tuxcall, never implemented", 184);
    try("security, never implemented", 185);
    try("vserver, never implemented", 236);
    /* 335 and 336 looked free but are uretprobe/uprobe since 6.11 and
     * raise SIGILL when called directly, so stay mid-gap. */
    try("unassigned, gap before pidfd_send_signal", 400);
    try("unassigned, gap before pidfd_send_signal", 423);
    try("past the end of the table", 1000);
    try("far past the end of the table", 100000);
    try("negative", -1);
    printf("still running\n");
    return 0;
}
