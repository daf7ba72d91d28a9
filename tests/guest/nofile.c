/* RLIMIT_NOFILE: new fds stop at the soft limit with EMFILE, the limit
 * can be lowered below open fds and raised up to the hard one, and the fd
 * table holds more than a thousand files when the limit allows. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *err(int e)
{
    switch (e) {
    case 0:
        return "ok";
    case EMFILE:
        return "EMFILE";
    case ENFILE:
        return "ENFILE";
    case EBADF:
        return "EBADF";
    case EINVAL:
        return "EINVAL";
    case EPERM:
        return "EPERM";
    }
    return strerror(e);
}

static int set_nofile(rlim_t cur, rlim_t max)
{
    struct rlimit rl = {cur, max};
    return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? errno : 0;
}

/* Opens path until it fails: how many opened, the highest fd, the errno. */
static int fill(const char *path, int *highest, int *e, int max)
{
    int n = 0;
    *highest = -1;
    *e = 0;
    while (n < max) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            *e = errno;
            break;
        }
        if (fd > *highest)
            *highest = fd;
        n++;
    }
    return n;
}

static void close_from(int lo, int hi)
{
    for (int fd = lo; fd <= hi; fd++)
        close(fd);
}

int main(void)
{
    struct rlimit orig;
    getrlimit(RLIMIT_NOFILE, &orig);
    int base = open("/dev/null", O_RDONLY); /* the lowest free fd */
    close(base);

    /* The soft limit: EMFILE once every fd below it is taken. */
    printf("set cur 64: %s\n", err(set_nofile(64, orig.rlim_max)));
    int highest, e;
    fill("/dev/null", &highest, &e, 100000);
    printf("guest files up to the limit: highest = limit - 1: %s, then %s\n",
           highest == 63 ? "yes" : "no", err(e));
    close_from(base, 63);
    fill("/etc/passwd", &highest, &e, 100000);
    printf("host files up to the limit: highest = limit - 1: %s, then %s\n",
           highest == 63 ? "yes" : "no", err(e));
    errno = 0;
    printf("pipe at the limit: %s\n", err(pipe((int[2]){0}) < 0 ? errno : 0));
    printf("dup2 to the limit: %s\n", err(dup2(0, 64) < 0 ? errno : 0));
    printf("F_DUPFD at the limit: %s\n", err(fcntl(0, F_DUPFD, 64) < 0 ? errno : 0));
    close_from(base, 63);

    /* Lowering it below an open fd: the fd stays, new ones stop lower. */
    int high = fcntl(0, F_DUPFD, 40);
    printf("dup at 40: %s\n", high == 40 ? "yes" : "no");
    printf("set cur 20 below fd 40: %s\n", err(set_nofile(20, orig.rlim_max)));
    printf("fd 40 still open: %s\n", fcntl(40, F_GETFD) >= 0 ? "yes" : "no");
    printf("dup2 to 30: %s\n", err(dup2(0, 30) < 0 ? errno : 0));
    fill("/dev/null", &highest, &e, 100000);
    printf("fill to 20: highest 19: %s, then %s\n", highest == 19 ? "yes" : "no", err(e));
    close_from(base, 40);

    /* Errors: soft above hard, hard above fs.nr_open. */
    printf("cur above max: %s\n", err(set_nofile(orig.rlim_max, orig.rlim_max - 1)));
    printf("max above nr_open: %s\n", err(set_nofile(64, (1u << 20) + 1)));
    struct rlimit got;
    prlimit(0, RLIMIT_NOFILE, NULL, &got);
    printf("prlimit reads cur 20: %s\n", got.rlim_cur == 20 ? "yes" : "no");

    /* More than a thousand at once, when the hard limit lets us. */
    rlim_t want = 3000;
    if (orig.rlim_max >= want) {
        struct rlimit rl = {want, orig.rlim_max};
        printf("prlimit cur 3000: %s\n", err(prlimit(0, RLIMIT_NOFILE, &rl, NULL) ? errno : 0));
        int n = fill("/dev/null", &highest, &e, 1500);
        n += fill("/etc/passwd", &highest, &e, 1500);
        printf("opened more than 2900: %s, highest fd 2999: %s\n", n > 2900 ? "yes" : "no",
               highest == 2999 ? "yes" : "no");
        printf("then: %s\n", err(open("/dev/null", O_RDONLY) < 0 ? errno : 0));
        char buf[5] = "";
        printf("read from the last: %s\n",
               pread(highest, buf, 4, 0) == 4 && !strcmp(buf, "root") ? "yes" : "no");
        close_from(base, 2999);
    } else {
        printf("hard limit below 3000: not tried\n");
    }

    /* Lowering the hard limit: raising it again needs CAP_SYS_RESOURCE,
     * which root in a container may lack (not compared for root). */
    printf("lower max: %s\n", err(set_nofile(20, 100)));
    int r = set_nofile(20, 200);
    if (geteuid() != 0)
        printf("raise max again: %s\n", err(r));
    return 0;
}
