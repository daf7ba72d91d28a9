/* Threads and the scheduler (see sched.h). Everything here runs at CPL3:
 * a switch is a kernel-stack swap plus wrfsbase and xsave/xrstor, and the
 * idle CPU is one blocking hypercall, so threads that sleep and wake each
 * other never enter CPL0 or exit the VM. */
#include "sched.h"

#include "heap.h"
#include "signal.h"
#include "uapi/errno.h"

#define KSTACK_SIZE (32u << 10)
#define SLICE_NS 10000000ll /* a spinning thread's turn before preemption */
#define MAX_HOSTWAIT 256

struct thread *current, *all_threads;
int nthreads;
static struct thread first;
static struct thread *runq_head, *runq_tail;
static struct thread *zombie;     /* dead, its stack still in use until the switch */
static struct ktimer *timers;     /* armed, sorted by when */
static struct ktimer *cpu_timers; /* armed CPU-time timers, sorted by when */
static int64_t slice_end;
static int64_t dead_cpu_ns; /* CPU time of threads already freed */
static int host_waiters;    /* blocked threads with host fds */

extern uint64_t hx_kstack_cur;
extern char hx_kstack_top[], hx_thread_start[];
void hx_switch(uint64_t *save_sp, uint64_t sp);

static void xsave_to(uint8_t *area)
{
    uint32_t lo = (uint32_t)boot->xcr0, hi = (uint32_t)(boot->xcr0 >> 32);
    __asm__ volatile("xsave64 (%0)" ::"r"(area), "a"(lo), "d"(hi) : "memory");
}

static void xrstor_from(const uint8_t *area)
{
    uint32_t lo = (uint32_t)boot->xcr0, hi = (uint32_t)(boot->xcr0 >> 32);
    __asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"(lo), "d"(hi) : "memory");
}

static int thread_alloc_state(struct thread *t)
{
    t->xsave_alloc = kmalloc(boot->xsave_size + 64);
    t->siginfo = kmalloc((NSIG + 1) * sizeof(struct ksiginfo));
    if (!t->xsave_alloc || !t->siginfo)
        return -1;
    t->xsave = (uint8_t *)(((uint64_t)t->xsave_alloc + 63) & ~63ull);
    return 0;
}

void sched_init(void)
{
    first.tid = boot->pid;
    first.state = T_RUNNABLE;
    first.kstack_top = (uint64_t)hx_kstack_top;
    first.altstack.flags = SS_DISABLE;
    if (thread_alloc_state(&first))
        kpanic("no memory for the first thread");
    current = all_threads = &first;
    nthreads = 1;
    first.run_start = clock_monotonic_ns();
}

static void timer_publish(void);

void sched_fork_child(void)
{
    struct thread *me = current;
    int64_t now = clock_monotonic_ns();
    while (all_threads) {
        struct thread *t = all_threads;
        all_threads = t->all_next;
        if (t == me)
            continue;
        if (t->kstack)
            kfree(t->kstack, KSTACK_SIZE);
        kfree(t->xsave_alloc, boot->xsave_size + 64);
        kfree(t->siginfo, (NSIG + 1) * sizeof(struct ksiginfo));
        if (t != &first)
            kfree(t, sizeof(*t));
    }
    me->all_next = NULL;
    all_threads = me;
    nthreads = 1;
    runq_head = runq_tail = NULL;
    zombie = NULL;
    host_waiters = 0;
    me->tid = boot->pid;
    me->cpu_ns = 0;
    me->run_start = now;
    dead_cpu_ns = 0;
    timer_publish();
}

struct thread *thread_new(void)
{
    static int next_tid;
    struct thread *t = kmalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->kstack = kmalloc(KSTACK_SIZE);
    if (!t->kstack || thread_alloc_state(t)) {
        if (t->kstack)
            kfree(t->kstack, KSTACK_SIZE);
        if (t->xsave_alloc)
            kfree(t->xsave_alloc, boot->xsave_size + 64);
        if (t->siginfo)
            kfree(t->siginfo, (NSIG + 1) * sizeof(struct ksiginfo));
        kfree(t, sizeof(*t));
        return NULL;
    }
    if (!next_tid)
        next_tid = boot->pid + 1;
    t->tid = next_tid++;
    t->state = T_BLOCKED; /* until sched_enqueue */
    t->kstack_top = ((uint64_t)t->kstack + KSTACK_SIZE) & ~15ull;
    /* What hx_switch pops: six callee-saved registers, then the return
     * address hx_thread_start. */
    uint64_t *sp = (uint64_t *)t->kstack_top - 8;
    sp[6] = (uint64_t)hx_thread_start;
    t->ksp = (uint64_t)sp;
    t->all_next = all_threads;
    all_threads = t;
    nthreads++;
    return t;
}

struct thread *thread_by_tid(int tid)
{
    for (struct thread *t = all_threads; t; t = t->all_next)
        if (t->tid == tid && t->state != T_DEAD)
            return t;
    return NULL;
}

static void free_thread(struct thread *t)
{
    struct thread **p = &all_threads;
    while (*p != t)
        p = &(*p)->all_next;
    *p = t->all_next;
    dead_cpu_ns += t->cpu_ns;
    kfree(t->kstack, KSTACK_SIZE);
    kfree(t->xsave_alloc, boot->xsave_size + 64);
    kfree(t->siginfo, (NSIG + 1) * sizeof(struct ksiginfo));
    kfree(t, sizeof(*t));
}

static void runq_push(struct thread *t)
{
    t->run_next = NULL;
    if (runq_tail)
        runq_tail->run_next = t;
    else
        runq_head = t;
    runq_tail = t;
}

static struct thread *runq_pop(void)
{
    struct thread *t = runq_head;
    if (t) {
        runq_head = t->run_next;
        if (!runq_head)
            runq_tail = NULL;
    }
    return t;
}

/* ---- Timers and the shared deadline ----------------------------------- */

void ktimer_arm(struct ktimer *t, int64_t when)
{
    ktimer_cancel(t);
    struct ktimer **p = t->cpu ? &cpu_timers : &timers;
    while (*p && (*p)->when <= when)
        p = &(*p)->next;
    t->when = when;
    t->next = *p;
    *p = t;
    t->armed = 1;
    timer_publish();
}

void ktimer_cancel(struct ktimer *t)
{
    if (!t->armed)
        return;
    for (struct ktimer **p = t->cpu ? &cpu_timers : &timers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    t->armed = 0;
}

int64_t ktimer_rearm(struct ktimer *t, int64_t interval)
{
    int64_t now = t->cpu ? cpu_time_process() : clock_monotonic_ns();
    int64_t next = t->when + interval, missed = 0;
    if (next <= now) {
        missed = (now - next) / interval + 1;
        next += missed * interval;
    }
    ktimer_arm(t, next);
    return missed;
}

/* The earliest time something is due: a timer or a blocked thread's
 * deadline; 0 when nothing is. CPU-time timers count only while a thread
 * runs (the process's CPU clock moves at the wall clock's rate then). */
static int64_t next_deadline_when(int running)
{
    int64_t d = timers ? timers->when : 0;
    if (running && cpu_timers) {
        int64_t c = clock_monotonic_ns() + MAX(cpu_timers->when - cpu_time_process(), 0);
        if (!d || c < d)
            d = c;
    }
    for (struct thread *t = all_threads; t; t = t->all_next)
        if (t->state == T_BLOCKED && t->deadline && (!d || t->deadline < d))
            d = t->deadline;
    return d;
}

static int64_t next_deadline(void)
{
    return next_deadline_when(1);
}

/* Tells the monitor when to interrupt the running thread: when something
 * is due, when another thread should get the CPU, and now and then while
 * threads wait on host fds (those are only looked at by a host call). */
static void timer_publish(void)
{
    int64_t d = next_deadline();
    if ((runq_head || host_waiters) && (!d || slice_end < d))
        d = slice_end;
    boot->live.timer_deadline_ns = d;
    if (d && d < boot->live.timer_checked_ns)
        HC(timer_kick);
}

/* The host's clock and ours agree to within microseconds; a deadline the
 * monitor saw pass may still be that far ahead here. Wait it out at CPL3
 * rather than return early from a sleep. */
static int64_t now_past(int64_t d)
{
    int64_t now = clock_monotonic_ns();
    if (d && d > now && d - now < 200000) {
        while ((now = clock_monotonic_ns()) < d)
            __asm__ volatile("pause");
    }
    return now;
}

/* Wakes the threads whose deadline passed and fires due timers. Returns
 * whether it woke or fired anything. */
static int run_timers(void)
{
    int64_t now = now_past(next_deadline());
    int any = 0;
    for (struct thread *t = all_threads; t; t = t->all_next)
        if (t->state == T_BLOCKED && t->deadline && t->deadline <= now) {
            sched_wake(t, WAKE_TIMEOUT);
            any = 1;
        }
    while (timers && timers->when <= now) {
        struct ktimer *t = timers;
        timers = t->next;
        t->armed = 0;
        t->fire(t);
        any = 1;
    }
    int64_t cpu = cpu_time_process();
    while (cpu_timers && cpu_timers->when <= cpu) {
        struct ktimer *t = cpu_timers;
        cpu_timers = t->next;
        t->armed = 0;
        t->fire(t);
        any = 1;
    }
    return any;
}

/* ---- Host waits -------------------------------------------------------- */

/* Collects the host fds blocked threads wait for, waits on the host until
 * one is ready, the deadline (0: none; -1: do not wait) or a host signal,
 * and wakes the threads whose fds are ready. */
static void host_wait(int64_t deadline)
{
    static struct hostwait fds[MAX_HOSTWAIT];
    static struct thread *owner[MAX_HOSTWAIT];
    static int index[MAX_HOSTWAIT];
    int n = 0;
    for (struct thread *t = all_threads; t; t = t->all_next) {
        if (t->state != T_BLOCKED)
            continue;
        for (int i = 0; i < t->nhostwait && n < MAX_HOSTWAIT; i++, n++) {
            fds[n] = t->hostwait[i];
            fds[n].revents = 0;
            owner[n] = t;
            index[n] = i;
        }
    }
    boot->live.timer_deadline_ns = 0; /* this wait covers the deadline */
    int64_t start = clock_monotonic_ns();
    long r = host_io(fds, n, deadline == -1 ? 0 : deadline ? deadline : -1);
    /* Waiting is not CPU time for the thread that happens to be current. */
    current->run_start += clock_monotonic_ns() - start;
    if (r <= 0)
        return;
    /* All answers first: waking a thread forgets its array. */
    for (int i = 0; i < n; i++)
        owner[i]->hostwait[index[i]].revents = fds[i].revents;
    for (int i = 0; i < n; i++)
        if (fds[i].revents)
            sched_wake(owner[i], WAKE_EVENT);
}

static void take_host_signals(void)
{
    uint64_t bits = __atomic_exchange_n(&boot->live.host_signals, 0, __ATOMIC_SEQ_CST);
    for (int sig = 1; bits; sig++, bits >>= 1)
        if (bits & 1)
            signal_from_host(sig);
}

/* No thread can run: wait on the host for the first event. */
static void idle(void)
{
    if (boot->live.host_signals) {
        take_host_signals();
        return;
    }
    int64_t d = next_deadline_when(0);
    if (d && d <= clock_monotonic_ns() + 200000) {
        run_timers();
        return;
    }
    host_wait(d);
    take_host_signals();
    run_timers();
}

/* ---- Switching --------------------------------------------------------- */

static void after_switch(void)
{
    if (zombie && zombie != current) {
        free_thread(zombie);
        zombie = NULL;
    }
}

static void switch_to(struct thread *next)
{
    struct thread *prev = current;
    int64_t now = clock_monotonic_ns();
    slice_end = now + SLICE_NS;
    if (next == prev)
        return;
    kstats.switches++;
    prev->cpu_ns += now - prev->run_start;
    next->run_start = now;
    __asm__ volatile("rdfsbase %0" : "=r"(prev->fsbase));
    __asm__ volatile("rdgsbase %0" : "=r"(prev->gsbase));
    xsave_to(prev->xsave);
    current = next;
    hx_kstack_cur = next->kstack_top;
    __asm__ volatile("wrfsbase %0" ::"r"(next->fsbase));
    __asm__ volatile("wrgsbase %0" ::"r"(next->gsbase));
    xrstor_from(next->xsave);
    timer_publish();
    hx_switch(&prev->ksp, next->ksp);
    after_switch();
}

/* Runs the next runnable thread; returns when the current thread runs
 * again (at once, if it is runnable and alone). */
static void reschedule(void)
{
    for (;;) {
        struct thread *next = runq_pop();
        if (next) {
            switch_to(next);
            if (next == current)
                timer_publish();
            return;
        }
        if (current->state == T_RUNNABLE) {
            slice_end = clock_monotonic_ns() + SLICE_NS;
            timer_publish();
            return;
        }
        idle();
    }
}

void sched_enqueue(struct thread *t)
{
    t->state = T_RUNNABLE;
    runq_push(t);
    timer_publish();
}

void sched_wake(struct thread *t, enum wake_reason why)
{
    if (t->state != T_BLOCKED)
        return;
    t->wake = why;
    if (t->nhostwait)
        host_waiters--;
    t->nhostwait = 0;
    t->hostwait = NULL;
    t->io_wait = 0;
    sched_enqueue(t);
}

enum wake_reason sched_block(int64_t deadline, int interruptible)
{
    struct thread *t = current;
    t->wake = WAKE_NONE;
    t->interruptible = interruptible;
    if (interruptible && signal_wakes(t))
        return WAKE_SIGNAL;
    if (deadline && deadline <= clock_monotonic_ns())
        return WAKE_TIMEOUT;
    t->deadline = deadline;
    t->state = T_BLOCKED;
    if (t->nhostwait)
        host_waiters++;
    reschedule();
    t->deadline = 0;
    t->interruptible = 0;
    return t->wake;
}

void sched_yield(void)
{
    if (!runq_head)
        return;
    runq_push(current);
    reschedule();
}

void sched_exit_thread(void)
{
    struct thread *t = current;
    t->state = T_DEAD;
    nthreads--;
    t->cpu_ns += clock_monotonic_ns() - t->run_start;
    zombie = t;
    for (;;)
        reschedule(); /* never returns to a dead thread */
}

/* Entered through hx_thread_start by a new thread's first switch. */
void thread_first_run(void)
{
    after_switch();
    struct hx_uregs u = current->start;
    if (signal_deliverable())
        signal_deliver(&u);
    hx_resume(&u);
}

int sched_others_runnable(void)
{
    return runq_head != NULL;
}

void io_notify(void)
{
    for (struct thread *t = all_threads; t; t = t->all_next)
        if (t->state == T_BLOCKED && t->io_wait)
            sched_wake(t, WAKE_EVENT);
}

enum wake_reason io_block(int64_t deadline)
{
    current->io_wait = 1;
    enum wake_reason r = sched_block(deadline, 1);
    current->io_wait = 0;
    current->nhostwait = 0;
    current->hostwait = NULL;
    return r;
}

long host_fd_wait(int fd, int16_t events)
{
    struct hostwait w = {fd, events, 0};
    current->hostwait = &w;
    current->nhostwait = 1;
    if (io_block(0) == WAKE_SIGNAL)
        return -ERESTARTSYS;
    return w.revents;
}

long host_fd_ready(int fd, int16_t events)
{
    for (;;) {
        struct hostwait now = {fd, events, 0};
        long r = host_io(&now, 1, 0);
        if (r != 0)
            return r < 0 ? r : 0;
        r = host_fd_wait(fd, events);
        if (r != 0)
            return r < 0 ? r : 0;
    }
}

int64_t cpu_time_thread(void)
{
    return current->cpu_ns + clock_monotonic_ns() - current->run_start;
}

int64_t cpu_time_process(void)
{
    int64_t ns = dead_cpu_ns;
    for (struct thread *t = all_threads; t; t = t->all_next)
        ns += t == current ? cpu_time_thread() : t->cpu_ns;
    return ns;
}

/* ---- The monitor's interrupt ----------------------------------------- */

int irq_due(void)
{
    return hx_irq_pending || boot->live.host_signals;
}

void irq_process(void)
{
    hx_irq_pending = 0;
    take_host_signals();
    int woke = run_timers();
    if (host_waiters) {
        host_wait(-1);
        woke = 1;
    }
    if (runq_head && (woke || clock_monotonic_ns() >= slice_end))
        sched_yield();
    timer_publish();
}
