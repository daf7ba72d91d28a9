/*
 * locks: file locks seen from a single process, in the current directory.
 *
 * POSIX record locks (F_SETLK/F_GETLK) belong to the process: its own locks
 * never conflict with each other, F_GETLK reports F_UNLCK for them, and
 * closing ANY descriptor of the file drops them all.  Open-file-description
 * locks (F_OFD_*) belong to the open file description, so two open() calls
 * of one file conflict with each other even in one process, and they
 * conflict with the process's POSIX locks (F_GETLK then reports l_pid -1).
 * flock() locks also belong to the open file description, and on Linux
 * they are independent of the record locks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "check.h"

#define F "locks.tmp"

static const char *type_name(short t)
{
    switch (t) {
    case F_RDLCK:
        return "F_RDLCK";
    case F_WRLCK:
        return "F_WRLCK";
    case F_UNLCK:
        return "F_UNLCK";
    }
    return "?";
}

static long lk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    return fcntl(fd, cmd, &fl);
}

/* F_GETLK or F_OFD_GETLK for TYPE over [start, start+len): prints the
 * conflicting lock, if any.  l_pid is printed as "ours", "-1" or "other". */
static void getlk(const char *what, int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    if (fcntl(fd, cmd, &fl) < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        errno = 0;
        return;
    }
    if (fl.l_type == F_UNLCK) {
        printf("%s: F_UNLCK\n", what);
        return;
    }
    const char *pid = fl.l_pid == getpid() ? "ours" : fl.l_pid == -1 ? "-1" : "other";
    printf("%s: %s start %lld len %lld whence %d pid %s\n", what, type_name(fl.l_type),
           (long long)fl.l_start, (long long)fl.l_len, fl.l_whence, pid);
}

static void posix_locks(void)
{
    int a = open(F, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(a, "0123456789abcdefghij", 20) != 20)
        printf("write: %s\n", errname(errno));
    int b = open(F, O_RDWR);

    ok("F_SETLK write lock 0..10 on a", lk(a, F_SETLK, F_WRLCK, 0, 10));
    getlk("F_GETLK write 0..20 on a (own lock)", a, F_GETLK, F_WRLCK, 0, 20);
    getlk("F_GETLK write 0..20 on b (same process)", b, F_GETLK, F_WRLCK, 0, 20);
    ok("F_SETLK write lock 5..15 on b (same process)", lk(b, F_SETLK, F_WRLCK, 5, 10));
    ok("F_SETLK read lock over it (conversion)", lk(a, F_SETLK, F_RDLCK, 0, 20));
    ok("F_SETLKW write lock, whole file (no conflict, no wait)", lk(a, F_SETLKW, F_WRLCK, 0, 0));
    getlk("F_OFD_GETLK write 0..20 on b (sees the POSIX lock)", b, F_OFD_GETLK, F_WRLCK, 0, 20);
    getlk("F_OFD_GETLK read 100..1 on b (whole-file lock)", b, F_OFD_GETLK, F_RDLCK, 100, 1);
    ok("F_SETLK unlock all", lk(a, F_SETLK, F_UNLCK, 0, 0));
    getlk("F_OFD_GETLK after unlock", b, F_OFD_GETLK, F_WRLCK, 0, 0);

    /* Closing another descriptor of the file releases the process's locks. */
    ok("F_SETLK write lock 0..4 on a", lk(a, F_SETLK, F_WRLCK, 0, 4));
    getlk("F_OFD_GETLK on b before closing c", b, F_OFD_GETLK, F_WRLCK, 0, 0);
    int c = open(F, O_RDONLY);
    close(c);
    getlk("F_OFD_GETLK on b after closing c", b, F_OFD_GETLK, F_WRLCK, 0, 0);

    /* Errors. */
    int ro = open(F, O_RDONLY), wo = open(F, O_WRONLY);
    ok("F_SETLK write lock on an O_RDONLY fd", lk(ro, F_SETLK, F_WRLCK, 0, 1));
    ok("F_SETLK read lock on an O_WRONLY fd", lk(wo, F_SETLK, F_RDLCK, 0, 1));
    ok("F_SETLK bad l_type", lk(a, F_SETLK, 42, 0, 1));
    ok("F_GETLK bad l_type", lk(a, F_GETLK, 42, 0, 1));
    ok("F_GETLK F_UNLCK", lk(a, F_GETLK, F_UNLCK, 0, 1));
    ok("F_SETLK negative start", lk(a, F_SETLK, F_WRLCK, -5, 1));
    ok("F_SETLK negative length (locks the bytes before start)", lk(a, F_SETLK, F_WRLCK, 5, -3));
    getlk("F_OFD_GETLK finds it", b, F_OFD_GETLK, F_WRLCK, 0, 0);
    ok("F_SETLK unlock it", lk(a, F_SETLK, F_UNLCK, 2, 3));
    ok("F_SETLK on a closed fd", lk(c, F_SETLK, F_WRLCK, 0, 1));
    ok("F_GETLK with a bad pointer", fcntl(a, F_GETLK, (struct flock *)8));
    close(ro); /* this drops all of the process's POSIX locks */
    close(wo);
    close(a);
    close(b);
}

static void ofd_locks(void)
{
    int a = open(F, O_RDWR), b = open(F, O_RDWR);
    ok("F_OFD_SETLK write lock 0..10 on a", lk(a, F_OFD_SETLK, F_WRLCK, 0, 10));
    getlk("F_OFD_GETLK write 0..20 on a (own lock)", a, F_OFD_GETLK, F_WRLCK, 0, 20);
    getlk("F_OFD_GETLK write 5..20 on b", b, F_OFD_GETLK, F_WRLCK, 5, 20);
    getlk("F_OFD_GETLK read 10..5 on b (just past it)", b, F_OFD_GETLK, F_RDLCK, 10, 5);
    ok("F_OFD_SETLK write lock on b (conflict)", lk(b, F_OFD_SETLK, F_WRLCK, 0, 1));
    ok("F_OFD_SETLK read lock on b (conflict)", lk(b, F_OFD_SETLK, F_RDLCK, 9, 1));
    ok("F_OFD_SETLK read lock 10..10 on b", lk(b, F_OFD_SETLK, F_RDLCK, 10, 10));
    getlk("F_GETLK write 0..0 on b (POSIX view)", b, F_GETLK, F_WRLCK, 0, 0);
    ok("F_SETLK POSIX write lock 0..1 (conflicts with the OFD lock)",
       lk(a, F_SETLK, F_WRLCK, 0, 1));
    ok("F_SETLK POSIX read lock 15..1 (shares the OFD read lock)", lk(a, F_SETLK, F_RDLCK, 15, 1));
    ok("F_SETLK unlock the POSIX lock", lk(a, F_SETLK, F_UNLCK, 0, 0));

    /* A dup shares the description, and its locks. */
    int dupa = dup(a);
    getlk("F_OFD_GETLK write on a dup of a", dupa, F_OFD_GETLK, F_WRLCK, 0, 10);
    ok("F_OFD_SETLK unlock through the dup", lk(dupa, F_OFD_SETLK, F_UNLCK, 0, 10));
    getlk("F_OFD_GETLK write 0..10 on b after unlock", b, F_OFD_GETLK, F_WRLCK, 0, 10);
    ok("F_OFD_SETLK write lock 0..10 on b now", lk(b, F_OFD_SETLK, F_WRLCK, 0, 10));
    close(dupa);

    /* Closing b (its only descriptor) releases its OFD locks. */
    getlk("F_OFD_GETLK on a before closing b", a, F_OFD_GETLK, F_WRLCK, 0, 0);
    close(b);
    getlk("F_OFD_GETLK on a after closing b", a, F_OFD_GETLK, F_WRLCK, 0, 0);

    /* OFD lock requests must have l_pid 0. */
    struct flock fl;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_pid = 1;
    ok("F_OFD_SETLK with l_pid 1", fcntl(a, F_OFD_SETLK, &fl));
    ok("F_OFD_SETLKW write lock (no conflict)", lk(a, F_OFD_SETLKW, F_WRLCK, 0, 0));
    ok("F_OFD_SETLK unlock", lk(a, F_OFD_SETLK, F_UNLCK, 0, 0));
    close(a);
}

static void flocks(void)
{
    int a = open(F, O_RDWR), b = open(F, O_RDONLY);
    ok("flock a LOCK_EX", flock(a, LOCK_EX));
    ok("flock a LOCK_EX again (already held)", flock(a, LOCK_EX | LOCK_NB));
    ok("flock b LOCK_EX|LOCK_NB (conflict)", flock(b, LOCK_EX | LOCK_NB));
    ok("flock b LOCK_SH|LOCK_NB (conflict)", flock(b, LOCK_SH | LOCK_NB));
    int dupa = dup(a);
    ok("flock dup of a LOCK_EX|LOCK_NB (same description)", flock(dupa, LOCK_EX | LOCK_NB));
    ok("flock a LOCK_SH (downgrade)", flock(a, LOCK_SH));
    ok("flock b LOCK_SH|LOCK_NB (shared)", flock(b, LOCK_SH | LOCK_NB));
    ok("flock a LOCK_EX|LOCK_NB (b shares)", flock(a, LOCK_EX | LOCK_NB));
    ok("flock b LOCK_UN", flock(b, LOCK_UN));
    ok("flock a LOCK_EX|LOCK_NB (upgrade)", flock(a, LOCK_EX | LOCK_NB));

    /* flock and record locks do not interact on Linux. */
    ok("F_OFD_SETLK read lock on b while a holds flock LOCK_EX", lk(b, F_OFD_SETLK, F_RDLCK, 0, 0));
    ok("F_OFD_SETLK unlock b", lk(b, F_OFD_SETLK, F_UNLCK, 0, 0));
    ok("F_SETLK write lock while a holds flock LOCK_EX", lk(a, F_SETLK, F_WRLCK, 0, 0));
    ok("F_SETLK unlock", lk(a, F_SETLK, F_UNLCK, 0, 0));

    ok("flock a LOCK_UN", flock(a, LOCK_UN));
    ok("flock a LOCK_UN again", flock(a, LOCK_UN));
    ok("flock b LOCK_EX|LOCK_NB after unlock (O_RDONLY is enough)", flock(b, LOCK_EX | LOCK_NB));
    ok("flock a LOCK_SH|LOCK_NB (conflict)", flock(a, LOCK_SH | LOCK_NB));
    close(b);
    ok("flock a LOCK_SH|LOCK_NB after closing b", flock(a, LOCK_SH | LOCK_NB));
    ok("flock bad operation", flock(a, 0));
    ok("flock LOCK_SH|LOCK_EX", flock(a, LOCK_SH | LOCK_EX));
    ok("flock closed fd", flock(b, LOCK_EX));
    close(dupa);
    close(a);
    ok("unlink", unlink(F));
}

int main(void)
{
    posix_locks();
    ofd_locks();
    flocks();
    return 0;
}
