/*
 * random: getrandom and the AT_RANDOM bytes the loader puts on the stack.
 * Random bytes are never printed, only whether they look random.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Prints what getrandom returned: the count, or the errno name. */
static void get(const char *what, unsigned char *buf, size_t n, unsigned flags)
{
    memset(buf, 0, n);
    errno = 0;
    ssize_t r = getrandom(buf, n, flags);
    if (r < 0)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: %zd\n", what, r);
}

int main(void)
{
    unsigned char a[16], b[16], big[256];

    get("getrandom(16)", a, sizeof(a), 0);
    yes("16 bytes not all zero", !all_zero(a, sizeof(a)));
    get("getrandom(16) again", b, sizeof(b), 0);
    yes("two calls differ", memcmp(a, b, sizeof(a)) != 0);

    get("getrandom(256)", big, sizeof(big), 0);
    yes("256 bytes not all zero", !all_zero(big, sizeof(big)));
    /* Each 16-byte slice should differ from the one before it. */
    int repeats = 0;
    for (size_t i = 16; i < sizeof(big); i += 16)
        repeats += memcmp(big + i, big + i - 16, 16) == 0;
    yes("no repeated 16-byte slices", repeats == 0);

    get("getrandom(16, GRND_NONBLOCK)", a, sizeof(a), GRND_NONBLOCK);
    yes("nonblocking bytes not all zero", !all_zero(a, sizeof(a)));

    get("getrandom(0)", a, 0, 0);
    get("getrandom(16, bad flags)", a, sizeof(a), 0x1000);
    /* The kernel must reject a bad buffer, not fault: raw syscall so
     * libc cannot second-guess the pointer. */
    errno = 0;
    long r = syscall(SYS_getrandom, (void *)8, 16, 0);
    printf("getrandom(bad pointer): %ld %s\n", r, errname(errno));

    const unsigned char *at = (const unsigned char *)getauxval(AT_RANDOM);
    yes("AT_RANDOM present", at != NULL);
    yes("AT_RANDOM bytes not all zero", at && !all_zero(at, 16));
    yes("AT_RANDOM differs from getrandom output", at && memcmp(at, b, 16) != 0);
    return 0;
}
