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

/* The name of errno value e ("0" for none), or "errno N" for a value this
 * list lacks. EWOULDBLOCK, EDEADLOCK and ENOTSUP are other names of EAGAIN,
 * EDEADLK and EOPNOTSUPP. */
static inline const char *errname(int e)
{
#define CHECK_ERRNO(name)                                                                          \
    {                                                                                              \
        name, #name                                                                                \
    }
    static const struct {
        int e;
        const char *name;
    } names[] = {
        CHECK_ERRNO(EPERM),           CHECK_ERRNO(ENOENT),       CHECK_ERRNO(ESRCH),
        CHECK_ERRNO(EINTR),           CHECK_ERRNO(EIO),          CHECK_ERRNO(ENXIO),
        CHECK_ERRNO(E2BIG),           CHECK_ERRNO(ENOEXEC),      CHECK_ERRNO(EBADF),
        CHECK_ERRNO(ECHILD),          CHECK_ERRNO(EAGAIN),       CHECK_ERRNO(ENOMEM),
        CHECK_ERRNO(EACCES),          CHECK_ERRNO(EFAULT),       CHECK_ERRNO(ENOTBLK),
        CHECK_ERRNO(EBUSY),           CHECK_ERRNO(EEXIST),       CHECK_ERRNO(EXDEV),
        CHECK_ERRNO(ENODEV),          CHECK_ERRNO(ENOTDIR),      CHECK_ERRNO(EISDIR),
        CHECK_ERRNO(EINVAL),          CHECK_ERRNO(ENFILE),       CHECK_ERRNO(EMFILE),
        CHECK_ERRNO(ENOTTY),          CHECK_ERRNO(ETXTBSY),      CHECK_ERRNO(EFBIG),
        CHECK_ERRNO(ENOSPC),          CHECK_ERRNO(ESPIPE),       CHECK_ERRNO(EROFS),
        CHECK_ERRNO(EMLINK),          CHECK_ERRNO(EPIPE),        CHECK_ERRNO(EDOM),
        CHECK_ERRNO(ERANGE),          CHECK_ERRNO(EDEADLK),      CHECK_ERRNO(ENAMETOOLONG),
        CHECK_ERRNO(ENOLCK),          CHECK_ERRNO(ENOSYS),       CHECK_ERRNO(ENOTEMPTY),
        CHECK_ERRNO(ELOOP),           CHECK_ERRNO(ENOMSG),       CHECK_ERRNO(EIDRM),
        CHECK_ERRNO(ENODATA),         CHECK_ERRNO(ETIME),        CHECK_ERRNO(EPROTO),
        CHECK_ERRNO(EBADMSG),         CHECK_ERRNO(EOVERFLOW),    CHECK_ERRNO(EILSEQ),
        CHECK_ERRNO(ENOTSOCK),        CHECK_ERRNO(EDESTADDRREQ), CHECK_ERRNO(EMSGSIZE),
        CHECK_ERRNO(EPROTOTYPE),      CHECK_ERRNO(ENOPROTOOPT),  CHECK_ERRNO(EPROTONOSUPPORT),
        CHECK_ERRNO(ESOCKTNOSUPPORT), CHECK_ERRNO(EOPNOTSUPP),   CHECK_ERRNO(EPFNOSUPPORT),
        CHECK_ERRNO(EAFNOSUPPORT),    CHECK_ERRNO(EADDRINUSE),   CHECK_ERRNO(EADDRNOTAVAIL),
        CHECK_ERRNO(ENETDOWN),        CHECK_ERRNO(ENETUNREACH),  CHECK_ERRNO(ENETRESET),
        CHECK_ERRNO(ECONNABORTED),    CHECK_ERRNO(ECONNRESET),   CHECK_ERRNO(ENOBUFS),
        CHECK_ERRNO(EISCONN),         CHECK_ERRNO(ENOTCONN),     CHECK_ERRNO(ESHUTDOWN),
        CHECK_ERRNO(ETOOMANYREFS),    CHECK_ERRNO(ETIMEDOUT),    CHECK_ERRNO(ECONNREFUSED),
        CHECK_ERRNO(EHOSTDOWN),       CHECK_ERRNO(EHOSTUNREACH), CHECK_ERRNO(EALREADY),
        CHECK_ERRNO(EINPROGRESS),     CHECK_ERRNO(ESTALE),       CHECK_ERRNO(EDQUOT),
        CHECK_ERRNO(ECANCELED),       CHECK_ERRNO(EOWNERDEAD),   CHECK_ERRNO(ENOTRECOVERABLE),
    };
#undef CHECK_ERRNO
    if (e == 0)
        return "0";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].e == e)
            return names[i].name;
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
