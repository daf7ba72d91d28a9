/*
 * escape: the guest side of tests/confine/run.sh.  It tries to reach a host
 * file outside its mounts and to change read-only mounts, and checks each
 * result against what Linux gives for the same layout built with bind
 * mounts in a fresh root (a chroot-like sandbox).  One line per check:
 *
 *     PASS LABEL: RESULT
 *     FAIL LABEL: got RESULT, want EXPECTED -- WHY
 *
 * then "checks: N".  The exit status is 0 however many checks fail: the
 * script counts the lines and checks the host afterwards.
 *
 *   escape confined TREE   run as hxrun --no-host-root -v TREE/host/mnt:/data
 *                          -v TREE/host/ro:/ro:ro -v TREE/work:TREE/work,
 *                          cwd TREE/work
 *   escape hostroot TREE   run as hxrun -v TREE/host/ro:/ro:ro, cwd TREE/work
 *
 * TREE is the host path of the test tree (see run.sh): host/outside/secret.txt
 * is the file to protect; host/mnt has inside.txt and the symlinks
 *   abs -> TREE/host/outside/secret.txt    absdir -> TREE/host/outside
 *   a -> b,  b -> ../outside/secret.txt    up -> ..        loop -> loop
 * host/ro has file.txt and an empty directory sub.
 *
 * Why the errors are what they are: in the guest, "/" is the guest's root
 * and ".." of the root is the root, as in a chroot.  Absolute symlink
 * targets are guest paths.  So every way out of /data lands on a guest path
 * such as /outside/secret.txt or TREE/host/outside/secret.txt, which does
 * not exist there (ENOENT) -- with --no-host-root nothing of the host but
 * the mounts, the program and /dev, /proc, /tmp is visible.  O_NOFOLLOW on
 * a final symlink is ELOOP; O_CREAT|O_EXCL on an existing symlink is EEXIST
 * (it never follows).  openat2's RESOLVE_BENEATH refuses ".." above the
 * starting directory and absolute symlinks with EXDEV, RESOLVE_NO_SYMLINKS
 * refuses any symlink with ELOOP, and RESOLVE_IN_ROOT resolves them inside
 * the starting directory (ENOENT here).  rename and link between two
 * mounts are EXDEV (checked before the read-only test); any change under a
 * read-only mount is EROFS; a shared writable map of an O_RDONLY descriptor
 * is EACCES whatever the mount.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../guest/check.h"

#define OK 0 /* "want" for success */
#define RESOLVE_NO_XDEV_ 0x01
#define RESOLVE_NO_SYMLINKS_ 0x04
#define RESOLVE_BENEATH_ 0x08
#define RESOLVE_IN_ROOT_ 0x10

struct open_how_ {
    uint64_t flags, mode, resolve;
};

static int checks;
static char tree[2048];

/* check LABEL with the result R of a call (negative: failed with errno)
 * against WANT (OK or an errno). */
static void check(const char *label, long r, int want, const char *why)
{
    int got = r < 0 ? errno : OK;
    checks++;
    if (got == want)
        printf("PASS %s: %s\n", label, errname(got));
    else
        printf("FAIL %s: got %s, want %s -- %s\n", label, errname(got), errname(want), why);
    errno = 0;
}

/* Opens PATH with FLAGS (mode 0644) and closes it again. */
static long try_open(const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    if (fd >= 0)
        close(fd);
    return fd;
}

static long try_openat(int dirfd, const char *path, int flags)
{
    int fd = openat(dirfd, path, flags, 0644);
    if (fd >= 0)
        close(fd);
    return fd;
}

/* Opens PATH read-only and requires both success and CONTENT. */
static void check_read(const char *label, const char *path, const char *content)
{
    char buf[256] = {0};
    checks++;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("FAIL %s: got %s, want ok and its content\n", label, errname(errno));
        errno = 0;
        return;
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n >= 0 && strcmp(buf, content) == 0)
        printf("PASS %s: read\n", label);
    else
        printf("FAIL %s: read back something else (%zd bytes)\n", label, n);
}

static long openat2_(int dirfd, const char *path, uint64_t resolve)
{
    struct open_how_ how = {O_RDONLY, 0, resolve};
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    if (fd >= 0)
        close((int)fd);
    return fd;
}

/* openat2 of PATH beneath DIRFD with FLAGS (mode 0644), closed again. */
static long openat2_flags(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
    struct open_how_ how = {flags, flags & O_CREAT ? 0644 : 0, resolve};
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    if (fd >= 0)
        close((int)fd);
    return fd;
}

/* Hard links of an open descriptor, the two ways Linux has. */
static long link_fd_empty(int fd, const char *to)
{
    return linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH);
}

static long link_fd_proc(int fd, const char *to)
{
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, self, AT_FDCWD, to, AT_SYMLINK_FOLLOW);
}

static long touch_times(const char *path)
{
    struct timespec ts[2] = {{1, 0}, {1, 0}};
    return utimensat(AT_FDCWD, path, ts, 0);
}

static void path_of(char *out, size_t n, const char *prefix, const char *suffix)
{
    snprintf(out, n, "%s%s%s", prefix, tree, suffix);
}

/* Ways out of /data, by name and by descriptor. */
static void escapes(void)
{
    const char *why_root = "'..' of the guest root is the root; /outside does not exist";
    const char *why_abs = "absolute symlink targets are guest paths; TREE is not in the guest";
    char p[4096];

    check_read("sanity: read /data/inside.txt", "/data/inside.txt", "inside\n");
    struct stat st;
    check("sanity: lstat /data/abs", lstat("/data/abs", &st), OK,
          "the symlink itself is in the mount");
    check("/etc/passwd is not visible", try_open("/etc/passwd", O_RDONLY), ENOENT,
          "--no-host-root hides the host root");
    path_of(p, sizeof(p), "", "/host/outside/secret.txt");
    check("open the host path of secret.txt", try_open(p, O_RDONLY), ENOENT,
          "--no-host-root: the tree is not in the guest");
    check("open /data/../outside/secret.txt", try_open("/data/../outside/secret.txt", O_RDONLY),
          ENOENT, why_root);
    check("open /data/../../../../outside/secret.txt",
          try_open("/data/../../../../outside/secret.txt", O_RDONLY), ENOENT, why_root);
    path_of(p, sizeof(p), "/data/../../../../..", "/host/outside/secret.txt");
    check("open /data/../../../../..TREE/host/outside/secret.txt", try_open(p, O_RDONLY), ENOENT,
          why_abs);
    check("open /data/abs", try_open("/data/abs", O_RDONLY), ENOENT, why_abs);
    check("open /data/a (a -> b -> ../outside/secret.txt)", try_open("/data/a", O_RDONLY), ENOENT,
          why_root);
    check("open /data/up/outside/secret.txt (up -> ..)",
          try_open("/data/up/outside/secret.txt", O_RDONLY), ENOENT, why_root);
    check("open /data/absdir/secret.txt", try_open("/data/absdir/secret.txt", O_RDONLY), ENOENT,
          why_abs);
    check("sanity: open /data/up/data/up/data/inside.txt",
          try_open("/data/up/data/up/data/inside.txt", O_RDONLY), OK,
          "up -> .. leads to the guest root, which holds data/");
    check("open ../host/outside/secret.txt from the cwd",
          try_open("../host/outside/secret.txt", O_RDONLY), ENOENT,
          "the cwd's parent in the guest holds no host/ directory");
    check("open /proc/self/root/outside/secret.txt",
          try_open("/proc/self/root/outside/secret.txt", O_RDONLY), ENOENT,
          "/proc/self/root is the guest root");
    path_of(p, sizeof(p), "/proc/self/root", "/host/outside/secret.txt");
    check("open /proc/self/rootTREE/host/outside/secret.txt", try_open(p, O_RDONLY), ENOENT,
          "/proc/self/root is the guest root");

    int data = open("/data", O_RDONLY | O_DIRECTORY);
    check("sanity: open /data O_DIRECTORY", data, OK, "the mount point");
    check("openat(/data, ../outside/secret.txt)",
          try_openat(data, "../outside/secret.txt", O_RDONLY), ENOENT, why_root);
    snprintf(p, sizeof(p), "/proc/self/fd/%d/../outside/secret.txt", data);
    check("open /proc/self/fd/DATA/../outside/secret.txt", try_open(p, O_RDONLY), ENOENT, why_root);

    /* ELOOP: O_NOFOLLOW on a final symlink, and a loop. */
    check("open /data/abs O_NOFOLLOW", try_open("/data/abs", O_RDONLY | O_NOFOLLOW), ELOOP,
          "O_NOFOLLOW and the last component is a symlink");
    check("open /data/a O_NOFOLLOW", try_open("/data/a", O_RDONLY | O_NOFOLLOW), ELOOP,
          "O_NOFOLLOW and the last component is a symlink");
    check("open /data/loop", try_open("/data/loop", O_RDONLY), ELOOP, "loop -> loop");

    /* openat2 resolution restrictions, relative to /data. */
    check("openat2(/data, inside.txt, RESOLVE_BENEATH)",
          openat2_(data, "inside.txt", RESOLVE_BENEATH_), OK, "stays beneath");
    check("openat2(/data, ../outside/secret.txt, RESOLVE_BENEATH)",
          openat2_(data, "../outside/secret.txt", RESOLVE_BENEATH_), EXDEV,
          "RESOLVE_BENEATH refuses .. above the start with EXDEV");
    check("openat2(/data, abs, RESOLVE_BENEATH)", openat2_(data, "abs", RESOLVE_BENEATH_), EXDEV,
          "RESOLVE_BENEATH refuses absolute symlinks with EXDEV");
    check("openat2(/data, a, RESOLVE_BENEATH)", openat2_(data, "a", RESOLVE_BENEATH_), EXDEV,
          "the chain leaves through ..: EXDEV");
    check("openat2(/data, a, RESOLVE_NO_SYMLINKS)", openat2_(data, "a", RESOLVE_NO_SYMLINKS_),
          ELOOP, "RESOLVE_NO_SYMLINKS refuses every symlink with ELOOP");
    check("openat2(/data, abs, RESOLVE_IN_ROOT)", openat2_(data, "abs", RESOLVE_IN_ROOT_), ENOENT,
          "resolved as /data/TREE/host/outside/secret.txt");
    check("openat2(/data, a, RESOLVE_IN_ROOT)", openat2_(data, "a", RESOLVE_IN_ROOT_), ENOENT,
          "'..' is clamped at /data: /data/outside/secret.txt");

    /* Changes through the same paths. */
    check("open /data/abs O_WRONLY|O_TRUNC", try_open("/data/abs", O_WRONLY | O_TRUNC), ENOENT,
          why_abs);
    check("open /data/abs O_WRONLY|O_CREAT|O_EXCL",
          try_open("/data/abs", O_WRONLY | O_CREAT | O_EXCL), EEXIST,
          "O_EXCL never follows the final symlink, which exists");
    check("open /data/abs O_WRONLY|O_CREAT", try_open("/data/abs", O_WRONLY | O_CREAT), ENOENT,
          "follows to a guest path whose directory does not exist");
    check("open /data/a O_WRONLY|O_CREAT", try_open("/data/a", O_WRONLY | O_CREAT), ENOENT,
          "follows to /outside/secret.txt; /outside does not exist");
    check("open /data/../outside/secret.txt O_RDWR",
          try_open("/data/../outside/secret.txt", O_RDWR), ENOENT, why_root);
    check("unlink /data/../outside/secret.txt", unlink("/data/../outside/secret.txt"), ENOENT,
          why_root);
    check("unlink /data/absdir/secret.txt", unlink("/data/absdir/secret.txt"), ENOENT, why_abs);
    check("unlink /data/up/outside/secret.txt", unlink("/data/up/outside/secret.txt"), ENOENT,
          why_root);
    check("rename /data/absdir/secret.txt -> /data/stolen",
          rename("/data/absdir/secret.txt", "/data/stolen"), ENOENT, why_abs);
    check("rename /data/up/outside/secret.txt -> /data/stolen",
          rename("/data/up/outside/secret.txt", "/data/stolen"), ENOENT, why_root);
    check("rename /data/inside.txt -> /data/absdir/planted",
          rename("/data/inside.txt", "/data/absdir/planted"), ENOENT, why_abs);
    check("link /data/absdir/secret.txt -> /data/hl", link("/data/absdir/secret.txt", "/data/hl"),
          ENOENT, why_abs);
    check("linkat /data/abs -> /data/hl AT_SYMLINK_FOLLOW",
          linkat(AT_FDCWD, "/data/abs", AT_FDCWD, "/data/hl", AT_SYMLINK_FOLLOW), ENOENT, why_abs);
    check("truncate /data/abs", truncate("/data/abs", 0), ENOENT, why_abs);
    check("truncate /data/a", truncate("/data/a", 0), ENOENT, why_root);
    check("chmod /data/abs", chmod("/data/abs", 0666), ENOENT, why_abs);
    check("utimensat /data/a", touch_times("/data/a"), ENOENT, why_root);
    check("mkdir /data/absdir/newdir", mkdir("/data/absdir/newdir", 0755), ENOENT, why_abs);
    check("symlink x -> /data/up/outside/planted", symlink("x", "/data/up/outside/planted"), ENOENT,
          why_root);

    /* Between mounts. */
    int fd = open("made-in-cwd", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    check("sanity: create made-in-cwd in the cwd", fd, OK, "the cwd is mounted read-write");
    if (fd >= 0) {
        if (write(fd, "cwd\n", 4) != 4)
            printf("write made-in-cwd: %s\n", errname(errno));
        close(fd);
    }
    check("rename /data/inside.txt -> cwd", rename("/data/inside.txt", "moved"), EXDEV,
          "rename between two mounts");
    check("link /data/inside.txt -> cwd", link("/data/inside.txt", "hl"), EXDEV,
          "link between two mounts");
    check("rename cwd file -> /data", rename("made-in-cwd", "/data/moved"), EXDEV,
          "rename between two mounts");
    close(data);
}

/* A read-only mount: every change is EROFS and nothing changes. */
static void read_only(void)
{
    const char *why = "the mount is read-only";
    check_read("sanity: read /ro/file.txt", "/ro/file.txt", "readonly\n");
    check("open /ro/file.txt O_WRONLY", try_open("/ro/file.txt", O_WRONLY), EROFS, why);
    check("open /ro/file.txt O_RDWR", try_open("/ro/file.txt", O_RDWR), EROFS, why);
    check("open /ro/file.txt O_WRONLY|O_APPEND", try_open("/ro/file.txt", O_WRONLY | O_APPEND),
          EROFS, why);
    check("open /ro/file.txt O_RDONLY|O_TRUNC", try_open("/ro/file.txt", O_RDONLY | O_TRUNC), EROFS,
          why);
    check("open /ro/new O_WRONLY|O_CREAT", try_open("/ro/new", O_WRONLY | O_CREAT), EROFS, why);
    check("open /ro/file.txt O_CREAT|O_EXCL", try_open("/ro/file.txt", O_WRONLY | O_CREAT | O_EXCL),
          EEXIST, "the name exists: EEXIST comes before EROFS");
    check("unlink /ro/file.txt", unlink("/ro/file.txt"), EROFS, why);
    check("rename /ro/file.txt -> /ro/renamed", rename("/ro/file.txt", "/ro/renamed"), EROFS, why);
    check("rename /ro/file.txt -> cwd", rename("/ro/file.txt", "from-ro"), EXDEV,
          "between mounts: EXDEV is checked first");
    check("link /ro/file.txt -> /ro/hl", link("/ro/file.txt", "/ro/hl"), EROFS, why);
    check("symlink x -> /ro/l", symlink("x", "/ro/l"), EROFS, why);
    check("mkdir /ro/d", mkdir("/ro/d", 0755), EROFS, why);
    check("rmdir /ro/sub", rmdir("/ro/sub"), EROFS, why);
    check("truncate /ro/file.txt", truncate("/ro/file.txt", 0), EROFS, why);
    check("chmod /ro/file.txt", chmod("/ro/file.txt", 0600), EROFS, why);
    check("chown /ro/file.txt to its owner", chown("/ro/file.txt", getuid(), getgid()), EROFS, why);
    check("utimensat /ro/file.txt", touch_times("/ro/file.txt"), EROFS, why);
    check("access /ro/file.txt W_OK", access("/ro/file.txt", W_OK), EROFS, why);
    check("access /ro/file.txt R_OK", access("/ro/file.txt", R_OK), OK, "reading is allowed");
    int fd = open("/ro/file.txt", O_RDONLY);
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check("mmap /ro/file.txt MAP_SHARED PROT_WRITE", p == MAP_FAILED ? -1 : 0, EACCES,
          "the descriptor is read-only");
    if (p != MAP_FAILED)
        munmap(p, 4096);
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    check("mmap /ro/file.txt MAP_PRIVATE PROT_WRITE", p == MAP_FAILED ? -1 : 0, OK,
          "private copies are allowed");
    if (p != MAP_FAILED) {
        memcpy(p, "CHANGED", 7);
        munmap(p, 4096);
    }
    check("write to an O_RDONLY fd of /ro/file.txt", write(fd, "x", 1), EBADF,
          "the descriptor is read-only");
    close(fd);
    struct statvfs sv;
    /* A read-only file's descriptor linked into a writable mount would be
     * writable there (issue 12, hole 1). */
    fd = open("/ro/file.txt", O_RDONLY);
    check("linkat(fd of /ro/file.txt, AT_EMPTY_PATH) into the cwd", link_fd_empty(fd, "from-ro"),
          EXDEV, "a link between two mounts, by descriptor");
    check("linkat(/proc/self/fd/N of /ro/file.txt, AT_SYMLINK_FOLLOW) into the cwd",
          link_fd_proc(fd, "from-ro"), EXDEV, "a link between two mounts, by descriptor");
    check("linkat(fd of /ro/file.txt, AT_EMPTY_PATH) into /ro", link_fd_empty(fd, "/ro/hl"), EROFS,
          why);
    close(fd);
    check("statvfs /ro", statvfs("/ro", &sv), OK, "statfs works on any mount");
    check("statvfs /ro has ST_RDONLY", sv.f_flag & ST_RDONLY ? 0 : (errno = EINVAL, -1), OK,
          "a read-only mount says so");
}

/* The host root is visible but read-only (no --no-host-root). */
static void host_root(void)
{
    const char *why = "the host root is mounted read-only";
    char p[4096], q[4096];
    path_of(p, sizeof(p), "", "/host/outside/secret.txt");
    check_read("read the host path of secret.txt", p, "secret\n");
    check_read("read ../host/outside/secret.txt from the cwd", "../host/outside/secret.txt",
               "secret\n");
    check("open /etc/passwd", try_open("/etc/passwd", O_RDONLY), OK, "the host root is visible");
    check("open secret.txt O_WRONLY", try_open(p, O_WRONLY), EROFS, why);
    check("open secret.txt O_RDWR|O_TRUNC", try_open(p, O_RDWR | O_TRUNC), EROFS, why);
    check("open ../host/outside/secret.txt O_WRONLY",
          try_open("../host/outside/secret.txt", O_WRONLY), EROFS, why);
    path_of(q, sizeof(q), "", "/host/outside/new");
    check("create TREE/host/outside/new", try_open(q, O_WRONLY | O_CREAT), EROFS, why);
    check("unlink secret.txt", unlink(p), EROFS, why);
    path_of(q, sizeof(q), "", "/host/outside/renamed");
    check("rename secret.txt within the host root", rename(p, q), EROFS, why);
    check("rename secret.txt into the cwd", rename(p, "stolen"), EXDEV,
          "between mounts: EXDEV is checked first");
    check("link secret.txt into the cwd", link(p, "stolen"), EXDEV, "link between two mounts");
    int rfd = open(p, O_RDONLY);
    check("linkat(fd of secret.txt, AT_EMPTY_PATH) into the cwd", link_fd_empty(rfd, "stolen"),
          EXDEV, "a link between two mounts, by descriptor");
    check("linkat(/proc/self/fd/N of secret.txt, AT_SYMLINK_FOLLOW) into the cwd",
          link_fd_proc(rfd, "stolen"), EXDEV, "a link between two mounts, by descriptor");
    close(rfd);
    /* The guest's own /proc and /tmp, however they are named: openat2
     * beneath "/" reaches the same files as a plain open (issue 12, hole
     * 6: the host's /proc of hxrun itself was reachable this way). */
    int root = open("/", O_PATH | O_DIRECTORY);
    char a[512] = {0}, b[512] = {0};
    int f1 = open("/proc/self/cmdline", O_RDONLY);
    int f2 =
        (int)syscall(SYS_openat2, root, "proc/self/cmdline",
                     &(struct open_how_){O_RDONLY, 0, RESOLVE_BENEATH_}, sizeof(struct open_how_));
    ssize_t n1 = f1 >= 0 ? read(f1, a, sizeof(a) - 1) : -1;
    ssize_t n2 = f2 >= 0 ? read(f2, b, sizeof(b) - 1) : -1;
    check("openat2(/, proc/self/cmdline, RESOLVE_BENEATH) is the program's own",
          n1 > 0 && n1 == n2 && !memcmp(a, b, (size_t)n1) ? 0 : (errno = EINVAL, -1), OK,
          "/proc is the guest's");
    if (f1 >= 0)
        close(f1);
    if (f2 >= 0)
        close(f2);
    f1 = open("/tmp/escape-guest-tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f1 >= 0)
        close(f1);
    check("openat2(/, tmp/escape-guest-tmp, RESOLVE_BENEATH) finds the guest's /tmp",
          openat2_flags(root, "tmp/escape-guest-tmp", O_RDONLY, RESOLVE_BENEATH_), OK,
          "/tmp is the guest's");
    unlink("/tmp/escape-guest-tmp");
    close(root);
    check("truncate secret.txt", truncate(p, 0), EROFS, why);
    check("chmod secret.txt", chmod(p, 0666), EROFS, why);
    check("utimensat secret.txt", touch_times(p), EROFS, why);
    check("access secret.txt W_OK", access(p, W_OK), EROFS, why);
    int fd = open("made-in-cwd", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    check("sanity: create made-in-cwd in the cwd", fd, OK, "the cwd is mounted read-write");
    if (fd >= 0) {
        if (write(fd, "cwd\n", 4) != 4)
            printf("write made-in-cwd: %s\n", errname(errno));
        close(fd);
    }
}

/* AF_UNIX paths are guest paths: bind and connect are confined exactly as
 * open is (the host tree check afterwards sees no socket file appear). */
static long unix_call(const char *path, int do_bind)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    long r = do_bind ? bind(s, (struct sockaddr *)&a, sizeof(a))
                     : connect(s, (struct sockaddr *)&a, sizeof(a));
    int e = errno;
    close(s);
    errno = e;
    return r;
}

static void sockets(void)
{
    const char *why = "symlinks resolve inside the guest's mounts";
    check("bind /data/absdir/x.sock", unix_call("/data/absdir/x.sock", 1), ENOENT, why);
    check("bind /data/up/outside/x.sock", unix_call("/data/up/outside/x.sock", 1), ENOENT, why);
    check("bind /data/../outside/x.sock", unix_call("/data/../outside/x.sock", 1), ENOENT, why);
    check("connect /data/abs", unix_call("/data/abs", 0), ENOENT, why);
    check("connect /data/a", unix_call("/data/a", 0), ENOENT, why);
    check("bind /ro/x.sock", unix_call("/ro/x.sock", 1), EROFS, "a read-only mount");
}

/* Read-only mounts nested in a writable one (issue 12, holes 2 and 3):
 * /rw is TREE/nest (read-write), /rw/nest is TREE/nest/sub and /rw/par/in
 * is TREE/nest/par/in, both read-only. A read-only mount protects its
 * host directory however the guest reaches it: through the outer mount's
 * path (/rw/sub), beneath an outer directory with openat2, or after
 * renaming a parent. (Linux's bind mounts protect only the mounted path;
 * hx follows the host directory, which is what ":ro" asks for.) */
static void nested(void)
{
    const char *why = "the host directory is mounted read-only";
    check_read("sanity: read /rw/nest/f", "/rw/nest/f", "ro\n");
    check("open /rw/nest/f O_RDWR", try_open("/rw/nest/f", O_RDWR), EROFS, why);
    check("open /rw/sub/f O_RDWR (the same directory)", try_open("/rw/sub/f", O_RDWR), EROFS, why);
    check("create /rw/sub/new", try_open("/rw/sub/new", O_WRONLY | O_CREAT), EROFS, why);
    int rw = open("/rw", O_PATH | O_DIRECTORY);
    check("sanity: openat2(/rw, sub/f, O_RDONLY, RESOLVE_BENEATH)",
          openat2_flags(rw, "sub/f", O_RDONLY, RESOLVE_BENEATH_), OK, "reading is allowed");
    check("openat2(/rw, sub/f, O_RDWR, RESOLVE_BENEATH)",
          openat2_flags(rw, "sub/f", O_RDWR, RESOLVE_BENEATH_), EROFS, why);
    check("openat2(/rw, nest/f, O_WRONLY|O_TRUNC, RESOLVE_IN_ROOT)",
          openat2_flags(rw, "nest/f", O_WRONLY | O_TRUNC, RESOLVE_IN_ROOT_), EROFS, why);
    check("openat2(/rw, par/in/new, O_CREAT, RESOLVE_BENEATH)",
          openat2_flags(rw, "par/in/new", O_WRONLY | O_CREAT, RESOLVE_BENEATH_), EROFS, why);
    check("openat2(/rw, sub/../sub/f, O_RDWR, RESOLVE_BENEATH)",
          openat2_flags(rw, "sub/../sub/f", O_RDWR, RESOLVE_BENEATH_), EROFS, why);
    check("openat2(/rw, ../rw/sub/f, RESOLVE_BENEATH)",
          openat2_flags(rw, "../rw/sub/f", O_RDONLY, RESOLVE_BENEATH_), EXDEV,
          "\"..\" above the start");
    check("openat2(/rw, sub/f, RESOLVE_BENEATH|RESOLVE_NO_XDEV)",
          openat2_flags(rw, "sub/f", O_RDONLY, RESOLVE_BENEATH_ | RESOLVE_NO_XDEV_), EXDEV,
          "sub is another mount's directory");
    int sub = open("/rw/sub", O_PATH | O_DIRECTORY);
    check("openat2(/rw/sub, f, RESOLVE_BENEATH|RESOLVE_NO_XDEV)",
          openat2_flags(sub, "f", O_RDONLY, RESOLVE_BENEATH_ | RESOLVE_NO_XDEV_), OK,
          "the start is that mount's directory");
    close(sub);
    close(rw);
    check("rename /rw/nest (a mount point)", rename("/rw/nest", "/rw/moved"), EBUSY,
          "a mount point cannot be moved");
    check("rename /rw/sub (a mounted directory)", rename("/rw/sub", "/rw/moved"), EBUSY,
          "a mounted directory cannot be moved");
    check("sanity: rename /rw/par -> /rw/par2", rename("/rw/par", "/rw/par2"), OK,
          "/rw is read-write");
    check("create /rw/par2/in/g after the rename", try_open("/rw/par2/in/g", O_WRONLY | O_CREAT),
          EROFS, why);
    check("open /rw/par2/in/h O_RDWR after the rename", try_open("/rw/par2/in/h", O_RDWR), EROFS,
          why);
    check("sanity: rename /rw/par2 -> /rw/par", rename("/rw/par2", "/rw/par"), OK,
          "/rw is read-write");
    /* /ro2 is /ro's host directory mounted again, read-write: the
     * read-only mount protects that directory at this mount point too. */
    check_read("sanity: read /ro2/file.txt", "/ro2/file.txt", "readonly\n");
    check("open /ro2/file.txt O_RDWR (/ro mounted again)", try_open("/ro2/file.txt", O_RDWR), EROFS,
          why);
    check("create /ro2/new (/ro mounted again)", try_open("/ro2/new", O_WRONLY | O_CREAT), EROFS,
          why);
    check("mkdir /ro2/d (/ro mounted again)", mkdir("/ro2/d", 0755), EROFS, why);
}

/* The run's directory (a RAM /tmp and /dev/shm, on the host) is removed
 * when the run ends, whatever the program left there: symlinks to the
 * files to protect (which must survive, untouched), a directory it made
 * unreadable, a deep tree. run.sh checks the host afterwards. */
static void run_dir(void)
{
    char p[4096];
    path_of(p, sizeof(p), "", "/host/outside/secret.txt");
    check("symlink /tmp/abs -> TREE/host/outside/secret.txt", symlink(p, "/tmp/abs"), OK,
          "the run's /tmp is read-write");
    path_of(p, sizeof(p), "", "/host/outside");
    check("symlink /dev/shm/absdir -> TREE/host/outside", symlink(p, "/dev/shm/absdir"), OK,
          "the run's /dev/shm is read-write");
    check("open /tmp/abs", try_open("/tmp/abs", O_RDONLY), ENOENT,
          "the target is a guest path, outside every mount");
    check("mkdir /tmp/locked/in", mkdir("/tmp/locked", 0700) | mkdir("/tmp/locked/in", 0700), OK,
          "the run's /tmp is read-write");
    int fd = open("/tmp/locked/in/f", O_WRONLY | O_CREAT, 0600);
    check("create /tmp/locked/in/f", fd, OK, "the run's /tmp is read-write");
    if (fd >= 0)
        close(fd);
    check("chmod /tmp/locked/in 0, /tmp/locked 0",
          chmod("/tmp/locked/in", 0) | chmod("/tmp/locked", 0), OK, "the owner may");
    long r = 0;
    strcpy(p, "/tmp/deep");
    for (int i = 0; i < 100 && r == 0; i++) {
        r = mkdir(p, 0755);
        strcat(p, "/d");
    }
    check("mkdir /tmp/deep/d/d/... 100 deep", r, OK, "the run's /tmp is read-write");
}

int main(int argc, char **argv)
{
    if (argc != 3 || strlen(argv[2]) >= sizeof(tree)) {
        fprintf(stderr, "usage: escape confined|hostroot TREE\n");
        return 2;
    }
    snprintf(tree, sizeof(tree), "%s", argv[2]);
    if (strcmp(argv[1], "confined") == 0) {
        escapes();
        read_only();
        sockets();
        nested();
        run_dir();
    } else {
        host_root();
        read_only();
    }
    printf("checks: %d\n", checks);
    return 0;
}
