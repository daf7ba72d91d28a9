/* The host side of the guest's scheduler: its one idle wait (HX_HC_WAIT),
 * the timer that interrupts a running guest when its published deadline
 * passes, and host signals (Ctrl-C, kill) forwarded to the program.
 *
 * The signals reach the vCPU thread, whose handler notes them, sets
 * kvm_run's immediate_exit (so a signal just before KVM_RUN is not lost)
 * and writes an eventfd every host wait includes (so one just before a wait
 * is not lost either). Their handler is not SA_RESTART: whatever host call
 * the monitor is blocked in for the guest (a read, a write to a full pipe,
 * connect, accept) ends with EINTR or a short count, and the guest sees
 * -EINTR, which its kernel restarts or reports as Linux would. A signal
 * that lands just before such a call starts cannot stop it, so until the
 * signal is handed to the guest a timer repeats it as KICK_SIGNAL every
 * POLL_NS. KVM_SET_SIGNAL_MASK would be the tidier tool, but under PVM a
 * vCPU run with a signal mask never takes an injected interrupt
 * (measured). A timer thread watches the deadline the guest writes into
 * shared memory; the guest only makes a hypercall when it moves the
 * deadline before the thread's next look. */
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hcall.h"

#define TICK_SIGNAL SIGURG  /* a standard signal: never queues up */
#define KICK_SIGNAL SIGALRM /* the same, for the kick timer */
#define POLL_NS 10000000ll  /* how often the timer thread looks, at most */
#define GUARD_NS 3000000000ll
#define GUARD_MAX_NS 30000000000ll

/* The host signals that are the program's: those a user or another host
 * process sends hxrun, and those the host kernel sends it for the
 * program's sake (SIGCHLD for a child process's VM, SIGCONT after a stop,
 * SIGWINCH, SIGXFSZ for a write past RLIMIT_FSIZE). The others are the
 * monitor's own (its timers, faults, seccomp's SIGSYS) or cannot be caught;
 * other processes of the run send those wrapped in HX_SIG_WRAP. */
static const int forwarded[] = {SIGINT,  SIGTERM, SIGHUP,   SIGQUIT,  SIGUSR1, SIGUSR2,
                                SIGCHLD, SIGCONT, SIGWINCH, SIGXCPU,  SIGXFSZ, SIGVTALRM,
                                SIGPROF, SIGIO,   SIGPWR,   SIGSTKFLT};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))
static volatile uint64_t host_pending; /* bit N-1: signal N arrived */
static int kick_fd = -1;               /* wakes the timer thread */
static int signal_fd = -1;             /* readable once a forwarded signal arrived */
static pthread_t vcpu_thread;
static struct kvm_run *vcpu_run;
static struct hx_vm *vcpu_vm;
static volatile uint64_t runs_at_signal; /* vm->kvm_runs then */
static timer_t kick_timer;
static volatile sig_atomic_t kick_armed;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000ll + t.tv_nsec;
}

static struct hx_live *live_area;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    vcpu_run->immediate_exit = 1;
    if (sig != TICK_SIGNAL && sig != KICK_SIGNAL) {
        int code = si->si_code, status = si->si_status;
        uint64_t value = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
        if (sig == HX_SIG_WRAP) {
            /* Another process of the run: the program's signal inside. */
            sig = hx_wrapped_signo(si);
            code = hx_wrapped_code(si);
            if (sig < 1 || sig > 64)
                goto out;
        }
        /* The sender, as the program's siginfo names it (before the bit,
         * which the guest reads first). */
        live_area->host_signal_pid[sig - 1] = si->si_pid;
        live_area->host_signal_uid[sig - 1] = si->si_uid;
        live_area->host_signal_code[sig - 1] = code;
        live_area->host_signal_status[sig - 1] = sig == SIGCHLD ? status : 0;
        live_area->host_signal_value[sig - 1] = value;
        /* Where the vCPU was when the first of them came: the guard does
         * not blame the guest for the host call it was then in. */
        if (!__atomic_fetch_or(&host_pending, 1ull << (sig - 1), __ATOMIC_SEQ_CST))
            runs_at_signal = vcpu_vm->kvm_runs;
        uint64_t one = 1;
        if (write(signal_fd, &one, sizeof(one)) < 0) {
            /* full: a wake is already pending */
        }
        struct itimerspec every = {{0, POLL_NS}, {0, POLL_NS}};
        if (!kick_armed && timer_settime(kick_timer, 0, &every, NULL) == 0)
            kick_armed = 1;
    }
out:
    errno = saved;
}

static void *timer_main(void *arg)
{
    struct hx_vm *vm = arg;
    struct hx_live *live = &vm->boot->live;
    int64_t fired_for = 0, fired_at = 0, signal_seen = 0, charged = 0, last = now_ns();
    uint64_t runs_seen = 0;
    for (;;) {
        int64_t now = now_ns(), d = live->timer_deadline_ns;
        /* The wedged-guest guard: the user's Ctrl-C or kill must end the
         * run even when the guest leaves the signal untaken, in the monitor
         * or in the guest's mailbox, whatever the vCPU is doing. GUARD_NS
         * of such time ends the run. Time the vCPU spends in the one host
         * call that began before the guest could see the signal (a long
         * write to disk: blocking calls end at the signal) does not count,
         * but GUARD_MAX_NS after the signal the run ends anyway. A signal
         * the guest took is the program's, as on Linux: held blocked, it
         * stays pending. */
        /* Signals whose default is to do nothing (a child's SIGCHLD, a
         * SIGWINCH) end nothing: a guest slow to take them is not wedged. */
        const uint64_t harmless = 1ull << (SIGCHLD - 1) | 1ull << (SIGCONT - 1) |
                                  1ull << (SIGWINCH - 1) | 1ull << (SIGURG - 1);
        uint64_t untaken = live->host_signals, sigs = (host_pending | untaken) & ~harmless;
        if (!sigs) {
            signal_seen = 0;
        } else if (!signal_seen) {
            signal_seen = now;
            charged = 0;
            runs_seen = runs_at_signal;
        } else {
            int first_call = vm->in_service && !vm->in_hcall && vm->kvm_runs == runs_seen;
            /* A look this late means the whole process was stopped
             * (SIGSTOP, a stop signal's default action): not the guest's. */
            int stopped = now - last > 100 * POLL_NS;
            if (!first_call && !stopped)
                charged += now - last;
            if (stopped)
                signal_seen += now - last;
            if (charged > GUARD_NS || now - signal_seen > GUARD_MAX_NS) {
                fprintf(stderr,
                        "hxrun: the guest did not take signal %d within %lld s; ending it\n",
                        __builtin_ctzll(sigs) + 1, (long long)(charged / 1000000000ll));
                _exit(128 + __builtin_ctzll(sigs) + 1);
            }
        }
        last = now;
        /* Once per deadline: the guest writes a new one when it has acted.
         * While it waits in the host, that wait covers the deadline. An
         * interrupt that lands on the kernel's way back to the program is
         * only noted there, so one that changed nothing comes again, and
         * so does one for a host signal still untaken. */
        int retry = now - fired_at > POLL_NS;
        if (!vm->in_hcall && ((d && d <= now && (d != fired_for || retry)) ||
                              (untaken && now - signal_seen > POLL_NS && retry))) {
            fired_for = d;
            fired_at = now;
            __atomic_store_n(&vm->irq_pending, 1, __ATOMIC_SEQ_CST);
            pthread_kill(vcpu_thread, TICK_SIGNAL);
        }
        int64_t next = now + POLL_NS;
        if (d > now && d < next)
            next = d;
        live->timer_checked_ns = next;
        /* A deadline written after the read above but before next is
         * announced with a kick. */
        d = live->timer_deadline_ns;
        if (d && d < next && d != fired_for)
            next = d > now ? d : now;
        int64_t wait = next - now_ns();
        struct timespec ts = {wait > 0 ? wait / 1000000000ll : 0,
                              wait > 0 ? wait % 1000000000ll : 0};
        struct pollfd p = {kick_fd, POLLIN, 0};
        if (ppoll(&p, 1, &ts, NULL) > 0) {
            uint64_t v;
            if (read(kick_fd, &v, sizeof(v)) < 0)
                continue;
        }
    }
    return NULL;
}

/* The host objects the vCPU thread's signals and the timer thread use:
 * at the start, and again in a fork's child, which must not share the
 * parent's (eventfds are shared across fork; POSIX timers are not
 * inherited). */
static int sched_objects(struct hx_vm *vm)
{
    vcpu_thread = pthread_self();
    vcpu_run = vm->run;
    vcpu_vm = vm;
    live_area = &vm->boot->live;
    kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    signal_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (kick_fd < 0 || signal_fd < 0) {
        perror("hxrun: eventfd");
        return 1;
    }
    kick_fd = hx_high_fd(kick_fd);
    signal_fd = hx_high_fd(signal_fd);
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL; /* the timer thread blocks every signal */
    ev.sigev_signo = KICK_SIGNAL;
    if (timer_create(CLOCK_MONOTONIC, &ev, &kick_timer) < 0) {
        perror("hxrun: timer_create");
        return 1;
    }
    return 0;
}

/* on_signal's action: its own signals wait while it runs. */
static void on_signal_action(struct sigaction *sa, int flags)
{
    memset(sa, 0, sizeof(*sa));
    sa->sa_sigaction = on_signal;
    sa->sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa->sa_mask);
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaddset(&sa->sa_mask, forwarded[i]);
    sigaddset(&sa->sa_mask, HX_SIG_WRAP);
    sigaddset(&sa->sa_mask, TICK_SIGNAL);
    sigaddset(&sa->sa_mask, KICK_SIGNAL);
}

/* The action of every forwarded signal (not SA_RESTART: host calls end at
 * one); SIGCHLD's says whether children leave zombies (the program's
 * SIG_IGN or SA_NOCLDWAIT). */
static void forward_action(int sig, int noreap)
{
    struct sigaction sa;
    on_signal_action(&sa, noreap ? SA_NOCLDWAIT : 0);
    sigaction(sig, &sa, NULL);
}

int hx_sched_start(struct hx_vm *vm)
{
    vm->booting = 1;
    if (sched_objects(vm))
        return 1;
    struct sigaction sa;
    on_signal_action(&sa, 0); /* host calls end at the kick too */
    for (size_t i = 0; i < NFORWARDED; i++)
        forward_action(forwarded[i], 0);
    forward_action(HX_SIG_WRAP, 0);
    sigaction(KICK_SIGNAL, &sa, NULL);
    /* The guest's timer only needs the vCPU out of KVM_RUN: a host call it
     * lands in goes on. */
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    sigaction(TICK_SIGNAL, &sa, NULL);
    /* Until the guest first sets a deadline (or a signal needs watching),
     * no timer thread: a short run should not pay for starting one. */
    vm->boot->live.timer_checked_ns = INT64_MAX;
    return 0;
}

static void drain(int fd)
{
    uint64_t v;
    while (read(fd, &v, sizeof(v)) > 0)
        ;
}

static int timer_started;

/* Starts the timer thread, once. */
static void timer_start(struct hx_vm *vm)
{
    int *started = &timer_started;
    if (*started)
        return;
    *started = 1;
    /* The timer thread takes no signal: they all reach the vCPU thread. */
    sigset_t all, prev;
    hx_block_set(&all);
    pthread_sigmask(SIG_SETMASK, &all, &prev);
    pthread_t t;
    int r = pthread_create(&t, NULL, timer_main, vm);
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
    if (r) {
        fprintf(stderr, "hxrun: cannot start the timer thread: %s\n", strerror(r));
        return;
    }
    pthread_detach(t);
}

/* Moves the host signals that arrived into the guest's view; returns
 * them. */
static uint64_t hand_over_signals(struct hx_vm *vm)
{
    /* No more kicks, unless a signal arrives from here on (it arms the
     * timer again). */
    if (kick_armed) {
        struct itimerspec off = {{0, 0}, {0, 0}};
        timer_settime(kick_timer, 0, &off, NULL);
        kick_armed = 0;
    }
    uint64_t sigs = __atomic_exchange_n(&host_pending, 0, __ATOMIC_SEQ_CST);
    if (sigs) {
        drain(signal_fd); /* so that the next wait does not end for them */
        __atomic_or_fetch(&vm->boot->live.host_signals, sigs, __ATOMIC_SEQ_CST);
        timer_start(vm); /* it notices a guest that never takes them */
    }
    return sigs;
}

/* Before each KVM_RUN: hands host signals to the guest and injects the
 * interrupt when something is pending and the guest can take it. */
void hx_sched_before_run(struct hx_vm *vm)
{
    vm->kvm_runs++;
    vm->run->immediate_exit = 0;
    if (vm->booting) {
        /* No interrupt yet (vm.h); the signals stay host_pending. */
        vm->run->request_interrupt_window = 0;
        return;
    }
    if (hand_over_signals(vm))
        vm->irq_pending = 1;
    if (!vm->irq_pending) {
        vm->run->request_interrupt_window = 0;
        return;
    }
    if (vm->run->ready_for_interrupt_injection) {
        struct kvm_interrupt irq = {HX_IRQ_VECTOR};
        if (ioctl(vm->vcpu_fd, KVM_INTERRUPT, &irq) == 0) {
            vm->irq_pending = 0;
            vm->irqs_injected++;
        }
        vm->run->request_interrupt_window = 0;
    } else {
        vm->run->request_interrupt_window = 1;
    }
}

/* Whether a host signal waits for the guest: arrived here, or handed
 * over and not yet taken. The second happens when a signal comes while
 * the guest kernel is on its way into a wait: the monitor hands it over
 * at the exit that brings it (an interrupt window, KVM_RUN's EINTR), and
 * the interrupt lands in kernel code, which only notes it. A wait then
 * must not begin. */
static int signals_waiting(void)
{
    return host_pending || (live_area && live_area->host_signals);
}

/* Waits for the host fds (p has room for one more) until the deadline
 * (-1: none) or a forwarded signal; 0 on timeout or signal, else the
 * count of ready fds. */
static int wait_fds(struct pollfd *p, uint64_t n, int64_t deadline)
{
    struct timespec ts, *tsp = NULL;
    if (deadline >= 0) {
        int64_t left = deadline - now_ns();
        if (left < 0)
            left = 0;
        ts.tv_sec = left / 1000000000ll;
        ts.tv_nsec = left % 1000000000ll;
        tsp = &ts;
    }
    if (signals_waiting()) {
        /* What is ready now, without waiting. */
        ts.tv_sec = ts.tv_nsec = 0;
        tsp = &ts;
    }
    p[n] = (struct pollfd){signal_fd, POLLIN, 0};
    int r = ppoll(p, n + 1, tsp, NULL);
    if (r < 0)
        return errno == EINTR ? 0 : -errno;
    if (p[n].revents) {
        drain(signal_fd);
        r--;
    }
    return r;
}

/* One send or receive of a batch, on a guest buffer; the result is the
 * call's, never more than the guest asked for. */
static int64_t batch_io(struct hx_vm *vm, const struct hx_sockio *io, int send_it)
{
    if (!hx_hostfd_ok(vm, (uint64_t)io->fd))
        return -EBADF;
    struct iovec v[64];
    int n = hx_gva_iov(&vm->g, io->buf, io->len, !send_it, v, 64);
    if (n < 0)
        return n;
    struct msghdr m = {.msg_iov = v, .msg_iovlen = (size_t)n};
    ssize_t r = send_it ? sendmsg(io->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL)
                        : recvmsg(io->fd, &m, MSG_DONTWAIT);
    return r < 0 ? -errno : r;
}

int64_t hx_hc_wait(struct hx_vm *vm, const struct hx_hc_wait_req *req)
{
    uint64_t n = req->nfds;
    struct pollfd p[257];
    if (n > 256)
        return -EINVAL;
    if (n && hx_copy_from_guest(&vm->g, p, req->fds, n * sizeof(p[0])))
        return -EFAULT;
    for (uint64_t i = 0; i < n; i++)
        if (p[i].fd >= 0 && !hx_hostfd_ok(vm, (uint64_t)p[i].fd))
            return -EBADF;
    static struct hx_batch b;
    int batched = req->batch != 0;
    if (batched) {
        if (hx_copy_from_guest(&vm->g, &b, req->batch, sizeof(b)))
            return -EFAULT;
        if (b.ntx > HX_BATCH_MAX || b.nrx > HX_BATCH_MAX)
            return -EINVAL;
        for (uint32_t i = 0; i < b.ntx; i++)
            b.tx[i].result = batch_io(vm, &b.tx[i], 1);
        /* Sends may have made the peer answer: a wait still waits. */
    }
    vm->in_hcall = 1;
    int r = wait_fds(p, n, req->deadline_ns);
    vm->in_hcall = 0;
    if (batched) {
        for (uint32_t i = 0; i < b.nrx; i++) {
            b.rx[i].result = -EAGAIN;
            for (uint64_t k = 0; k < n; k++)
                if (p[k].fd == b.rx[i].fd && (p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                    b.rx[i].result = batch_io(vm, &b.rx[i], 0);
        }
        if (hx_copy_to_guest(&vm->g, req->batch, &b, sizeof(b)))
            return -EFAULT;
    }
    /* The wait covered the deadline and the signals: nothing to inject
     * but what arrived (handed over before the next run). */
    vm->irq_pending = 0;
    hand_over_signals(vm);
    if (r > 0 && hx_copy_to_guest(&vm->g, req->fds, p, n * sizeof(p[0])))
        return -EFAULT;
    return r;
}

int64_t hx_hc_timer_kick(struct hx_vm *vm, const struct hx_hc_timer_kick_req *req)
{
    (void)req;
    timer_start(vm);
    uint64_t one = 1;
    if (write(kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}

/* Before a read that may block on a host stream (the console): waits
 * until it is readable with the forwarded signals able to interrupt, so
 * Ctrl-C reaches a program blocked in read. -EINTR when one did. */
int hx_sched_wait_readable(struct hx_vm *vm, int fd)
{
    struct pollfd p[2] = {{fd, POLLIN, 0}};
    vm->in_hcall = 1;
    int r;
    for (;;) {
        /* The guest's next deadline ends the wait too: an alarm must
         * interrupt a read of the console. */
        int64_t d = vm->boot->live.timer_deadline_ns;
        r = wait_fds(p, 1, d ? d : -1);
        if (r != 0 || signals_waiting() || (d && now_ns() >= d))
            break;
    }
    vm->in_hcall = 0;
    if (r > 0)
        return 0;
    vm->irq_pending = 1; /* the guest looks at its timers and signals */
    return -EINTR;
}

int hx_sched_wait(struct hx_vm *vm, struct pollfd *p, uint64_t n, int64_t deadline)
{
    vm->in_hcall = 1;
    int r = wait_fds(p, n, deadline);
    vm->in_hcall = 0;
    return r == 0 && signals_waiting() ? -EINTR : r;
}

int hx_sched_after_fork(struct hx_vm *vm)
{
    close(kick_fd);
    close(signal_fd);
    timer_started = 0;
    kick_armed = 0;
    runs_at_signal = 0;
    /* Signals pending for the parent are not the child's. */
    host_pending = 0;
    vm->boot->live.host_signals = 0;
    vm->irq_pending = 0;
    vm->kvm_runs = 0;
    return sched_objects(vm);
}

int64_t hx_hc_child_signal(struct hx_vm *vm, const struct hx_hc_child_signal_req *req)
{
    (void)vm;
    forward_action(SIGCHLD, req->noreap != 0);
    return 0;
}

void hx_sched_after_exec(struct hx_vm *vm)
{
    vcpu_run = vm->run;
    vm->irq_pending = 0;
    vm->booting = 1;
    /* The new kernel publishes its deadlines; without a timer thread yet
     * it need not announce them (as at the start). */
    vm->boot->live.timer_checked_ns = timer_started ? now_ns() : INT64_MAX;
    uint64_t one = 1;
    if (timer_started && write(kick_fd, &one, sizeof(one)) < 0) {
        /* full: the timer thread looks soon anyway */
    }
}
