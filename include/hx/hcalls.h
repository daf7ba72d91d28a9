/* The hx hypercall list: one line per hypercall, the single source of truth
 * for the HX_HC_* numbers, the request union of struct hx_hcall (abi.h), the
 * monitor's handler prototypes, handler table and --stats names
 * (hypervisor/hcall.[ch]) and the kernel's HC() calls (kernel/kernel.h).
 *
 *   HCALL(number, NAME, name)
 *
 * number: fixed forever (raw-hypercall tests and the fuzzer use numbers).
 *   Ranges are kept apart so independent work can add numbers without
 *   colliding: 1.. files, I/O and the run itself, 64.. scheduling and
 *   waiting, 96.. sockets, 128.. fastcalls (HX_HC_*_BASE in abi.h).
 * NAME: the enum constant is HX_HC_NAME.
 * name: the request is struct hx_hc_name_req (abi.h, its fields say what
 *   each argument means), the member of struct hx_hcall carrying it is
 *   `name`, the monitor's handler is hx_hc_name (one hypervisor/hc_*.c file
 *   per host service) and --stats prints "name".
 *
 * Adding a hypercall: a line here, its request struct in abi.h, its
 * handler; the kernel calls it with HC(name, .field = value, ...).
 *
 * No include guard: included once per expansion with HCALL defined. */

HCALL(1, EXIT, exit)
HCALL(2, FATAL, fatal)
HCALL(3, WRITE, write)
HCALL(4, READ, read)
HCALL(5, PREAD, pread)
HCALL(6, PWRITE, pwrite)
HCALL(7, WRITEV, writev)
HCALL(8, READV, readv)
HCALL(9, OPEN, open)
HCALL(10, CLOSE, close)
HCALL(11, LSEEK, lseek)
HCALL(12, FSTAT, fstat)
HCALL(13, STAT, stat)
HCALL(14, STATX, statx)
HCALL(15, IOCTL, ioctl)
HCALL(16, FCNTL, fcntl)
HCALL(17, GETRANDOM, getrandom)
HCALL(18, SLEEP, sleep)
HCALL(19, POLL, poll)
HCALL(20, UNSUPPORTED, unsupported)
HCALL(21, STRACE, strace)
HCALL(22, FTRUNCATE, ftruncate)
HCALL(23, UNLINK, unlink)
HCALL(24, ACCESS, access)
HCALL(25, READLINK, readlink)
HCALL(26, FSYNC, fsync)
HCALL(27, RENAME, rename)
HCALL(28, GETDENTS, getdents)
HCALL(29, STATFS, statfs)
HCALL(30, COPY_RANGE, copy_range)
HCALL(31, PATHOP, pathop)
HCALL(32, FDOP, fdop)
HCALL(33, MAP_SHARED, map_shared)
HCALL(34, UNMAP_SHARED, unmap_shared)
HCALL(35, MSYNC, msync)
HCALL(36, FDPATH, fdpath)
HCALL(37, CPUINFO, cpuinfo)
HCALL(38, PIPE, pipe)
HCALL(39, MEMFD, memfd)
/* Processes (hc_proc.c): each process is a VM of its own, and a host
 * process (DESIGN.md section 10). */
HCALL(40, FORK, fork)
HCALL(41, WAIT_CHILD, wait_child)
HCALL(42, KILL, kill)
HCALL(43, PGRP, pgrp)
HCALL(44, CHILD_SIGNAL, child_signal)
HCALL(45, EXEC, exec)
HCALL(46, SUBREAPER, subreaper)
HCALL(47, CRED, cred)
/* Scheduling and waiting (hc_sched.c). */
HCALL(64, WAIT, wait)
HCALL(65, TIMER_KICK, timer_kick)
/* Sockets (hc_net.c). */
HCALL(96, SOCKET, socket)
HCALL(97, SOCKETPAIR, socketpair)
HCALL(98, BIND, bind)
HCALL(99, CONNECT, connect)
HCALL(100, LISTEN, listen)
HCALL(101, ACCEPT, accept)
HCALL(102, SOCKNAME, sockname)
HCALL(103, SOCKOPT, sockopt)
HCALL(104, SHUTDOWN, shutdown)
HCALL(105, SENDMSG, sendmsg)
HCALL(106, RECVMSG, recvmsg)
HCALL(107, SENDMMSG, sendmmsg)
HCALL(108, RECVMMSG, recvmmsg)
HCALL(109, SOCKIOCTL, sockioctl)
HCALL(110, SENDFILE, sendfile)
HCALL(111, FD_DESCRIBE, fd_describe)
