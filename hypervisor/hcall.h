/* Hypercall dispatch: one handler per HX_HC_* number. */
#ifndef HX_HCALL_H
#define HX_HCALL_H

#include <poll.h>

#include "vm.h"

/* Returned by a handler when the guest has ended; the status is stored. */
#define HX_HC_DONE INT64_MIN

typedef int64_t (*hx_hcall_fn)(struct hx_vm *vm, const uint64_t *arg, int *exit_status);

/* Handles the request at guest physical address gpa. Returns 1 when the
 * guest has ended (exit status in *status), else 0. */
int hx_hcall_dispatch(struct hx_vm *vm, uint64_t gpa, int *status);

/* Host services, one file each. */
int64_t hx_hc_exit(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_fatal(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_unsupported(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_strace(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_getrandom(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_cpuinfo(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_sleep(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_read(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_write(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_pread(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_pwrite(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_readv(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_writev(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_poll(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_ioctl(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_fcntl(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_open(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_close(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_lseek(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_fstat(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_stat(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_statx(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_ftruncate(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_unlink(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_access(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_readlink(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_fsync(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_rename(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_getdents(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_statfs(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_copy_range(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_pathop(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_fdop(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_map_shared(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_unmap_shared(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_msync(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_fdpath(struct hx_vm *vm, const uint64_t *a, int *status);

int64_t hx_hc_wait(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_timer_kick(struct hx_vm *vm, const uint64_t *a, int *status);

/* The guest's interrupt and host signals (hc_sched.c). */
int hx_sched_start(struct hx_vm *vm);
void hx_sched_before_run(struct hx_vm *vm);
int hx_sched_wait_readable(struct hx_vm *vm, int fd);
/* Waits for the host fds (p has room for one more) until the deadline
 * (CLOCK_MONOTONIC ns, -1: none): the count of ready fds, 0 at the
 * deadline, -EINTR when a forwarded signal arrived first. */
int hx_sched_wait(struct hx_vm *vm, struct pollfd *p, uint64_t n, int64_t deadline);
/* Sockets (hc_net.c). */
int64_t hx_hc_socket(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_socketpair(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_bind(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_connect(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_listen(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_accept(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_sockname(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_sockopt(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_shutdown(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_sendmsg(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_recvmsg(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_sendmmsg(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_recvmmsg(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_sockioctl(struct hx_vm *vm, const uint64_t *a, int *status);
int64_t hx_hc_sendfile(struct hx_vm *vm, const uint64_t *a, int *status);
/* Removes the private directory of AF_UNIX sockets in guest RAM paths. */
void hx_net_cleanup(void);

/* Host file-system mounts (hc_files.c). */
int hx_hostfs_init(struct hx_vm *vm);

/* Prints the --stats report to stderr. */
void hx_print_stats(const struct hx_vm *vm);

/* Host fd ownership: the guest may only name fds it was given. */
int hx_hostfd_ok(const struct hx_vm *vm, uint64_t fd);

/* The most one copy_file_range or sendfile hypercall moves: the vCPU waits
 * for the host call, so a huge one would stall every guest thread; a short
 * count is legal and callers loop. */
#define HX_MAX_COPY (16ull << 20)

#endif
