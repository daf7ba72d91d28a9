/* POSIX shared memory across processes: shm_open and mmap MAP_SHARED seen
 * alike by a parent and its child, through a mapping made before the fork
 * and through the name opened again; an object a child made and the parent
 * opens after; O_EXCL, sizes, modes, /dev/shm's listing, shm_unlink. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char name[64], name2[64];

static int in_dev_shm(const char *n)
{
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d)))
        found |= !strcmp(e->d_name, n + 1);
    if (d)
        closedir(d);
    return found;
}

/* The child: reads what the parent wrote, writes back through its
 * inherited mapping and through a mapping of its own, and makes a second
 * object. Its exit status says what failed. */
static int child(char *inherited)
{
    int fd = shm_open(name, O_RDWR, 0);
    if (fd < 0)
        return 10;
    char *mine = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mine == MAP_FAILED)
        return 11;
    if (strcmp(mine, "from the parent") || strcmp(inherited, "from the parent"))
        return 12;
    strcpy(mine + 100, "by name in the child");
    strcpy(inherited + 200, "inherited in the child");
    strcpy(mine + 5000, "second page");
    int fd2 = shm_open(name2, O_RDWR | O_CREAT | O_EXCL, 0640);
    if (fd2 < 0 || write(fd2, "made by the child", 17) != 17)
        return 13;
    return 0;
}

/* MAP_SHARED|MAP_ANONYMOUS memory and a memfd, shared with a child. */
static int anonymous_and_memfd(void)
{
    char *anon = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int mfd = memfd_create("hx-test", MFD_CLOEXEC);
    if (anon == MAP_FAILED || priv == MAP_FAILED || mfd < 0 || ftruncate(mfd, 8192) < 0)
        return 2;
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    if (m == MAP_FAILED)
        return 2;
    strcpy(anon, "parent");
    strcpy(priv, "parent");
    strcpy(m, "parent");
    char link[64], target[128] = "";
    snprintf(link, sizeof(link), "/proc/self/fd/%d", mfd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    printf("memfd is %.*s\n", (int)(n > 0 ? n : 0), target);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int ok = !strcmp(anon, "parent") && !strcmp(m, "parent");
        strcpy(anon, "child");
        anon[8192] = 42;
        strcpy(priv, "child");
        strcpy(m + 4096, "mapped by the child");
        ok &= pwrite(mfd, "written", 7, 100) == 7;
        _exit(ok ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    char buf[16] = "";
    pread(mfd, buf, 7, 100);
    printf("child: exit %d; anonymous shared '%s' %d, private '%s'\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, anon, anon[8192], priv);
    printf("memfd: mapped '%s', pread '%s', in the mapping '%s'\n", m + 4096, buf, m + 100);
    struct stat st;
    fstat(mfd, &st);
    printf("memfd size %lld, regular: %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    return 0;
}

int main(void)
{
    umask(022);
    snprintf(name, sizeof(name), "/hx-proc-shm-%d", (int)getpid());
    snprintf(name2, sizeof(name2), "/hx-proc-shm2-%d", (int)getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0666);
    printf("shm_open O_CREAT|O_EXCL: %s\n", fd < 0 ? errname(errno) : "ok");
    if (fd < 0)
        return 1;
    errno = 0;
    printf("again with O_EXCL: %s\n",
           shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0666) < 0 ? errname(errno) : "opened");
    printf("ftruncate 8192: %d\n", ftruncate(fd, 8192));
    struct stat st;
    fstat(fd, &st);
    printf("size %lld, mode %o (umask 022)\n", (long long)st.st_size, st.st_mode & 07777);
    printf("listed in /dev/shm: %d\n", in_dev_shm(name));
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return 1;
    strcpy(p, "from the parent");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(child(p));
    int status;
    waitpid(pid, &status, 0);
    printf("child: exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    printf("parent sees: '%s' '%s' '%s'\n", p + 100, p + 200, p + 5000);
    char buf[32] = "";
    int fd2 = shm_open(name2, O_RDONLY, 0);
    if (fd2 >= 0 && fstat(fd2, &st) == 0)
        printf("the child's object: %zd bytes, mode %o, '%.*s'\n", read(fd2, buf, sizeof(buf)),
               st.st_mode & 07777, 17, buf);
    else
        printf("the child's object: %s\n", errname(errno));
    printf("shm_unlink both: %d %d\n", shm_unlink(name), shm_unlink(name2));
    errno = 0;
    printf("open after unlink: %s\n", shm_open(name, O_RDWR, 0) < 0 ? errname(errno) : "opened");
    errno = 0;
    printf("unlink again: %s\n", shm_unlink(name) < 0 ? errname(errno) : "ok");
    printf("listed in /dev/shm: %d\n", in_dev_shm(name));
    strcpy(p + 300, "still mapped");
    printf("the mapping outlives the name: '%s'\n", p + 300);
    return anonymous_and_memfd();
}
