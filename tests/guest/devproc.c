/*
 * devproc: the synthetic files programs rely on -- /dev/null, zero,
 * random, urandom, tty, stdin, stdout, stderr and fd/N; /proc/self/exe,
 * fd/, maps and status, /proc/cpuinfo, meminfo and sys/kernel; the CPU
 * lists in /sys.  Only facts that hold natively and in a 1-CPU VM are
 * printed: "readable: yes", never contents that depend on the machine.
 * stdin is devproc.stdin.  The /dev/stdout and /dev/stderr writes come
 * last and use O_APPEND: opening them reopens the file the runner gave,
 * with a new offset.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"

/* Reads all of PATH (up to N-1 bytes) into BUF; returns the length or -1. */
static long slurp(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t len = 0;
    ssize_t r;
    while (len + 1 < n && (r = read(fd, buf + len, n - 1 - len)) > 0)
        len += (size_t)r;
    close(fd);
    buf[len] = 0;
    return (long)len;
}

/* 1 if some line of TEXT starts with PREFIX. */
static int has_line(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, prefix, n) == 0)
            return 1;
    return 0;
}

/* The rest of the line of TEXT that starts with PREFIX, or "". */
static const char *line_value(const char *text, const char *prefix, char *out, size_t n)
{
    size_t len = strlen(prefix);
    out[0] = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, prefix, len) == 0) {
            p += len;
            while (*p == ' ' || *p == '\t')
                p++;
            size_t k = strcspn(p, "\n");
            if (k >= n)
                k = n - 1;
            memcpy(out, p, k);
            out[k] = 0;
            break;
        }
    return out;
}

static void char_dev(const char *path, unsigned maj, unsigned min)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        printf("stat %s: -1 %s\n", path, errname(errno));
        return;
    }
    printf("%s: char device %s, %u:%u %s\n", path, S_ISCHR(st.st_mode) ? "yes" : "no", maj, min,
           major(st.st_rdev) == maj && minor(st.st_rdev) == min ? "yes" : "no");
}

static void dev(void)
{
    char buf[64];
    int fd = open("/dev/null", O_RDWR);
    val("read /dev/null", read(fd, buf, sizeof(buf)));
    val("write /dev/null", write(fd, "discard", 7));
    val("lseek /dev/null", lseek(fd, 100, SEEK_SET));
    close(fd);

    memset(buf, 0xff, sizeof(buf));
    fd = open("/dev/zero", O_RDONLY);
    val("read /dev/zero 16", read(fd, buf, 16));
    int zero = 1;
    for (int i = 0; i < 16; i++)
        zero &= buf[i] == 0;
    yes("all zeros", zero);
    close(fd);
    fd = open("/dev/zero", O_WRONLY);
    val("write /dev/zero", write(fd, "x", 1));
    close(fd);

    const char *rnd[] = {"/dev/urandom", "/dev/random"};
    for (int k = 0; k < 2; k++) {
        unsigned char a[16], b[16];
        memset(a, 0, sizeof(a));
        memset(b, 0, sizeof(b));
        fd = open(rnd[k], O_RDONLY);
        char what[64];
        snprintf(what, sizeof(what), "read %s 16", rnd[k]);
        val(what, read(fd, a, 16));
        if (read(fd, b, 16) != 16)
            printf("second read: %s\n", errname(errno));
        close(fd);
        int nonzero = 0;
        for (int i = 0; i < 16; i++)
            nonzero |= a[i];
        snprintf(what, sizeof(what), "%s not all zero", rnd[k]);
        yes(what, nonzero);
        snprintf(what, sizeof(what), "%s two reads differ", rnd[k]);
        yes(what, memcmp(a, b, 16) != 0);
    }

    char_dev("/dev/null", 1, 3);
    char_dev("/dev/zero", 1, 5);
    char_dev("/dev/random", 1, 8);
    char_dev("/dev/urandom", 1, 9);
    char_dev("/dev/tty", 5, 0);
    struct stat st;
    yes("/dev is a directory", stat("/dev", &st) == 0 && S_ISDIR(st.st_mode));
    errno = 0;
    val("open /dev/no-such-device", open("/dev/no-such-device", O_RDONLY));

    /* /dev/stdin reopens the file on fd 0 (devproc.stdin) from offset 0. */
    fd = open("/dev/stdin", O_RDONLY);
    memset(buf, 0, sizeof(buf));
    val("read /dev/stdin", read(fd, buf, sizeof(buf) - 1));
    printf("content: %s", buf);
    close(fd);

    /* /dev/fd/N reopens the file on N. */
    int f = open("devproc.tmp", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(f, "through /dev/fd\n", 16) != 16)
        printf("write: %s\n", errname(errno));
    char path[64];
    snprintf(path, sizeof(path), "/dev/fd/%d", f);
    fd = open(path, O_RDONLY);
    memset(buf, 0, sizeof(buf));
    val("read /dev/fd/N", read(fd, buf, sizeof(buf) - 1));
    printf("content: %s", buf);
    yes("a new open file (own offset)",
        lseek(fd, 0, SEEK_CUR) == 16 && lseek(f, 0, SEEK_CUR) == 16 &&
            lseek(fd, 0, SEEK_SET) == 0 && lseek(f, 0, SEEK_CUR) == 16);
    close(fd);
    close(f);
}

static void proc_self(const char *argv0)
{
    char buf[4096], link[4096];
    ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);
    if (n < 0) {
        printf("readlink /proc/self/exe: -1 %s\n", errname(errno));
        link[0] = 0;
    } else {
        link[n] = 0;
        yes("readlink /proc/self/exe equals argv[0]", strcmp(link, argv0) == 0);
    }
    n = readlink("/proc/self", buf, sizeof(buf) - 1);
    buf[n < 0 ? 0 : n] = 0;
    yes("readlink /proc/self is the pid", n > 0 && atol(buf) == (long)getpid());

    /* /proc/self/fd */
    int f = open("devproc.tmp", O_RDONLY);
    int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    if (d < 0) {
        printf("open /proc/self/fd: -1 %s\n", errname(errno));
    } else {
        int seen[4] = {0}; /* 0, 1, 2, d */
        int seen_f = 0;
        long got;
        while ((got = syscall(SYS_getdents64, d, buf, sizeof(buf))) > 0)
            for (long off = 0; off < got;) {
                uint16_t reclen;
                memcpy(&reclen, buf + off + 16, sizeof(reclen));
                const char *name = buf + off + 19;
                if (isdigit((unsigned char)name[0])) {
                    int v = atoi(name);
                    if (v <= 2)
                        seen[v] = 1;
                    if (v == d)
                        seen[3] = 1;
                    if (v == f)
                        seen_f = 1;
                }
                off += reclen;
            }
        close(d);
        yes("/proc/self/fd lists 0 1 2", seen[0] && seen[1] && seen[2]);
        yes("/proc/self/fd lists its own dir fd", seen[3]);
        yes("/proc/self/fd lists an open file", seen_f);
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", f);
    n = readlink(path, link, sizeof(link) - 1);
    link[n < 0 ? 0 : n] = 0;
    size_t len = strlen(link);
    yes("readlink /proc/self/fd/N is the file's absolute path",
        link[0] == '/' && len > 12 && strcmp(link + len - 12, "/devproc.tmp") == 0);
    close(f);
    errno = 0;
    val("readlink /proc/self/fd/<closed>", readlink(path, link, sizeof(link)));

    static char maps[1 << 16];
    if (slurp("/proc/self/maps", maps, sizeof(maps)) < 0) {
        printf("read /proc/self/maps: -1 %s\n", errname(errno));
    } else {
        yes("/proc/self/maps names the program", strstr(maps, argv0) != NULL);
        yes("/proc/self/maps has [stack]", strstr(maps, "[stack]") != NULL);
        unsigned long lo, hi;
        char perms[8];
        yes("first line parses as a mapping",
            sscanf(maps, "%lx-%lx %7s", &lo, &hi, perms) == 3 && lo < hi);
    }

    if (slurp("/proc/self/status", buf, sizeof(buf)) < 0) {
        printf("read /proc/self/status: -1 %s\n", errname(errno));
    } else {
        char v[64], want[16];
        yes("status has a Name: line", has_line(buf, "Name:"));
        const char *base = strrchr(argv0, '/');
        base = base ? base + 1 : argv0;
        snprintf(want, sizeof(want), "%s", base); /* comm: 15 chars at most */
        yes("Name: is the program's name, cut to 15 chars",
            strcmp(line_value(buf, "Name:", v, sizeof(v)), want) == 0);
        yes("Pid: is getpid()", atol(line_value(buf, "Pid:", v, sizeof(v))) == (long)getpid());
    }
}

static void proc_sys(void)
{
    static char buf[1 << 16];
    long n = slurp("/proc/cpuinfo", buf, sizeof(buf));
    yes("/proc/cpuinfo has a processor line", n > 0 && has_line(buf, "processor"));
    n = slurp("/proc/meminfo", buf, sizeof(buf));
    yes("/proc/meminfo has MemTotal:", n > 0 && has_line(buf, "MemTotal:"));
    char v[64];
    yes("MemTotal is a number of kB",
        atol(line_value(buf, "MemTotal:", v, sizeof(v))) > 0 && strstr(v, " kB") != NULL);
    n = slurp("/proc/sys/kernel/ostype", buf, sizeof(buf));
    printf("/proc/sys/kernel/ostype: %s", n > 0 ? buf : "(unreadable)\n");
    struct utsname u;
    uname(&u);
    n = slurp("/proc/sys/kernel/osrelease", buf, sizeof(buf));
    buf[strcspn(buf, "\n")] = 0;
    yes("/proc/sys/kernel/osrelease is uname's release", n > 0 && strcmp(buf, u.release) == 0);
    const char *cpu[] = {"/sys/devices/system/cpu/online", "/sys/devices/system/cpu/possible"};
    for (int i = 0; i < 2; i++) {
        n = slurp(cpu[i], buf, sizeof(buf));
        printf("%s readable: %s\n", cpu[i], n > 0 ? "yes" : "no");
        yes("  starts with 0 and is a CPU list",
            n > 0 && buf[0] == '0' && strspn(buf, "0123456789,-\n") == (size_t)n);
    }
    errno = 0;
    val("open /proc/no-such-file", open("/proc/no-such-file", O_RDONLY));
    errno = 0;
    val("write /proc/sys/kernel/ostype", open("/proc/sys/kernel/ostype", O_WRONLY));
}

int main(int argc, char **argv)
{
    (void)argc;
    dev();
    proc_self(argv[0]);
    proc_sys();
    unlink("devproc.tmp");
    fflush(stdout);

    int fd = open("/dev/stdout", O_WRONLY | O_APPEND);
    if (fd < 0 || write(fd, "written via /dev/stdout\n", 24) != 24)
        printf("/dev/stdout: %s\n", errname(errno));
    close(fd);
    fd = open("/dev/stderr", O_WRONLY | O_APPEND);
    if (fd < 0 || write(fd, "written via /dev/stderr\n", 24) != 24)
        printf("/dev/stderr: %s\n", errname(errno));
    close(fd);
    return 0;
}
