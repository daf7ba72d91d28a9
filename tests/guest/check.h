/* Helpers the guest test programs share: errno names and the one-line
 * reports their output is made of. Each program prints what it sees, and
 * run.sh compares the native run with the run under hxrun, so a helper here
 * must print the same text for the same result on both. Included by the
 * programs of tests/guest (and tests/confine) after their system headers,
 * and built with each of run.sh's compilers (musl-gcc, gcc; static,
 * dynamic, PIE): plain C11 and POSIX. */
#ifndef HX_TESTS_GUEST_CHECK_H
#define HX_TESTS_GUEST_CHECK_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Linux's errno values by name (EWOULDBLOCK, EDEADLOCK and ENOTSUP are
 * other names of EAGAIN, EDEADLK and EOPNOTSUPP). */
#define CHECK_ERRNOS(X)                                                                            \
    X(EPERM)                                                                                       \
    X(ENOENT)                                                                                      \
    X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) X(ENOEXEC) X(EBADF) X(ECHILD) X(EAGAIN) X(ENOMEM)   \
        X(EACCES) X(EFAULT) X(ENOTBLK) X(EBUSY) X(EEXIST) X(EXDEV) X(ENODEV) X(ENOTDIR) X(EISDIR)  \
            X(EINVAL) X(ENFILE) X(EMFILE) X(ENOTTY) X(ETXTBSY) X(EFBIG) X(ENOSPC) X(ESPIPE)        \
                X(EROFS) X(EMLINK) X(EPIPE) X(EDOM) X(ERANGE) X(EDEADLK) X(ENAMETOOLONG) X(ENOLCK) \
                    X(ENOSYS) X(ENOTEMPTY) X(ELOOP) X(ENOMSG) X(EIDRM) X(ENODATA) X(ETIME)         \
                        X(EPROTO) X(EBADMSG) X(EOVERFLOW) X(EILSEQ) X(ENOTSOCK) X(EDESTADDRREQ)    \
                            X(EMSGSIZE) X(EPROTOTYPE) X(ENOPROTOOPT) X(EPROTONOSUPPORT)            \
                                X(ESOCKTNOSUPPORT) X(EOPNOTSUPP) X(EPFNOSUPPORT) X(EAFNOSUPPORT)   \
                                    X(EADDRINUSE) X(EADDRNOTAVAIL) X(ENETDOWN) X(ENETUNREACH)      \
                                        X(ENETRESET) X(ECONNABORTED) X(ECONNRESET) X(ENOBUFS)      \
                                            X(EISCONN) X(ENOTCONN) X(ESHUTDOWN) X(ETOOMANYREFS)    \
                                                X(ETIMEDOUT) X(ECONNREFUSED) X(EHOSTDOWN)          \
                                                    X(EHOSTUNREACH) X(EALREADY) X(EINPROGRESS)     \
                                                        X(ESTALE) X(EDQUOT) X(ECANCELED)           \
                                                            X(EOWNERDEAD) X(ENOTRECOVERABLE)

/* The name of errno value e ("0" for none), or "errno N" for a value this
 * list lacks. */
static inline const char *errname(int e)
{
#define CHECK_ERRNO_CASE(name)                                                                     \
    case name:                                                                                     \
        return #name;
    switch (e) {
    case 0:
        return "0";
        CHECK_ERRNOS(CHECK_ERRNO_CASE)
    }
#undef CHECK_ERRNO_CASE
    static char buf[sizeof("errno -2147483648")];
    snprintf(buf, sizeof(buf), "errno %d", e);
    return buf;
}

static inline const char *yn(int cond)
{
    return cond ? "yes" : "no";
}

/* "what: yes" or "what: no". */
static inline void yes(const char *what, int cond)
{
    printf("%s: %s\n", what, yn(cond));
}

/* "what: ok" for a non-negative result, else "what: -1 ENAME"; clears
 * errno, so that the next report starts afresh. Returns r. */
static inline long ok(const char *what, long r)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: ok\n", what);
    errno = 0;
    return r;
}

/* ok(), printing a non-negative result's value. */
static inline long val(const char *what, long r)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: %ld\n", what, r);
    errno = 0;
    return r;
}

/* "what: ok", or "what: -1 ENAME (N)" with errno's number; errno is left
 * as the call set it. Returns r. */
static inline long ok_errno(const char *what, long r)
{
    if (r < 0)
        printf("%s: -1 %s (%d)\n", what, errname(errno), errno);
    else
        printf("%s: ok\n", what);
    return r;
}

/* ok_errno(), printing a non-negative result's value. */
static inline long val_errno(const char *what, long r)
{
    if (r < 0)
        printf("%s: -1 %s (%d)\n", what, errname(errno), errno);
    else
        printf("%s: %ld\n", what, r);
    return r;
}

/* Creates or truncates the file at path with the contents s. */
static inline void put(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
        printf("put %s: failed %s\n", path, errname(errno));
    if (fd >= 0)
        close(fd);
}

/* Sleeps ms milliseconds, through signals. */
static inline void msleep(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0)
        ;
}

static inline long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

#endif
