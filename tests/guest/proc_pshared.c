/* Process-shared synchronisation across a fork, in memory both processes
 * map from /dev/shm: a semaphore ping-pong (sem_init pshared=1), a named
 * semaphore (sem_open), a mutex and condition variable and a barrier with
 * PTHREAD_PROCESS_SHARED. Each blocks in one process until the other acts,
 * so the wakes cross processes (under hxrun, VMs). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define ROUNDS 20

struct shared {
    sem_t ping, pong;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_barrier_t barrier;
    int flag, turns[2 * ROUNDS], nturns;
};

static struct shared *map_shared(void)
{
    char name[64];
    snprintf(name, sizeof(name), "/hx-pshared-%d", (int)getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, sizeof(struct shared)) < 0)
        return NULL;
    struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    shm_unlink(name);
    close(fd);
    return s == MAP_FAILED ? NULL : s;
}

static void init(struct shared *s)
{
    sem_init(&s->ping, 1, 0);
    sem_init(&s->pong, 1, 0);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&s->lock, &ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&s->cond, &ca);
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&s->barrier, &ba, 2);
}

static int child(struct shared *s, sem_t *named)
{
    for (int i = 0; i < ROUNDS; i++) {
        if (sem_wait(&s->ping))
            return 10;
        s->turns[s->nturns++] = 1;
        sem_post(&s->pong);
    }
    /* Waits for the parent's flag under the shared mutex. */
    pthread_mutex_lock(&s->lock);
    while (!s->flag)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
    if (sem_wait(named))
        return 11;
    int r = pthread_barrier_wait(&s->barrier);
    return r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : 12;
}

int main(void)
{
    struct shared *s = map_shared();
    if (!s) {
        printf("shared memory: %s\n", errname(errno));
        return 1;
    }
    init(s);
    char name[64];
    snprintf(name, sizeof(name), "/hx-pshared-sem-%d", (int)getpid());
    sem_t *named = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    printf("sem_open: %s\n", named == SEM_FAILED ? errname(errno) : "ok");
    if (named == SEM_FAILED)
        return 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(child(s, named));
    for (int i = 0; i < ROUNDS; i++) {
        s->turns[s->nturns++] = 0;
        sem_post(&s->ping);
        if (sem_wait(&s->pong))
            return 1;
    }
    int alternate = 1;
    for (int i = 0; i < 2 * ROUNDS; i++)
        alternate &= s->turns[i] == i % 2;
    printf("ping-pong: %d turns, alternating: %s\n", s->nturns, alternate ? "yes" : "no");
    pthread_mutex_lock(&s->lock);
    s->flag = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    sem_post(named);
    int r = pthread_barrier_wait(&s->barrier);
    printf("barrier: %s\n", r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD ? "passed" : "failed");
    int status;
    waitpid(pid, &status, 0);
    printf("child: exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    int v = -1;
    sem_getvalue(named, &v);
    printf("named semaphore value: %d, unlink: %d\n", v, sem_unlink(name));
    return 0;
}
