/* Unit tests for hypervisor/sandbox.c: capability names as docker spells
 * them, and the seccomp allowlist, applied in a child process: an allowed
 * call works, a call outside the list ends the process with status 125 and
 * one line naming it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "suites.h"

START_TEST(caps_default_is_docker)
{
    struct hx_caps c;
    hx_caps_default(&c);
    /* What `docker run` shows as CapEff. */
    ck_assert_uint_eq(c.keep, 0xa80425fbull);
}
END_TEST

START_TEST(caps_names)
{
    struct hx_caps c;
    hx_caps_default(&c);
    ck_assert_int_eq(hx_caps_change(&c, "NET_ADMIN", 1), 0);
    ck_assert_uint_eq(c.keep, 0xa80435fbull);
    ck_assert_int_eq(hx_caps_change(&c, "cap_net_admin", 0), 0);
    ck_assert_int_eq(hx_caps_change(&c, "CAP_CHOWN", 0), 0);
    ck_assert_uint_eq(c.keep, 0xa80425faull);
    ck_assert_int_eq(hx_caps_change(&c, "checkpoint_restore", 1), 0);
    ck_assert_uint_eq(c.keep, 0xa80425faull | 1ull << 40);
    ck_assert_int_eq(hx_caps_change(&c, "ALL", 0), 0);
    ck_assert_uint_eq(c.keep, 0);
    ck_assert_int_eq(hx_caps_change(&c, "all", 1), 0);
    ck_assert_uint_eq(c.keep, (1ull << 41) - 1);
    ck_assert_int_eq(hx_caps_change(&c, "NOPE", 1), -1);
    ck_assert_int_eq(hx_caps_change(&c, "CAP_", 1), -1);
    ck_assert_int_eq(hx_caps_change(&c, "", 0), -1);
}
END_TEST

/* Runs body(arg) in a child under the allowlist, which then exits 7;
 * returns its wait status and its stderr in err. */
static int filtered_child(void (*body)(long), long arg, char *err, size_t size)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (!pid) {
        dup2(p[1], 2);
        close(p[0]);
        /* As hxrun: no_new_privs lets an unprivileged process filter. */
        struct hx_caps c;
        hx_caps_default(&c);
        if (hx_caps_apply(&c) || hx_seccomp_apply())
            _exit(99);
        body(arg);
        _exit(7);
    }
    close(p[1]);
    ssize_t n = read(p[0], err, size - 1);
    err[n > 0 ? n : 0] = 0;
    close(p[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

static void call(long nr)
{
    syscall(nr, 0, 0, 0, 0);
}

/* An ioctl outside the KVM, terminal and socket queries: TIOCSTI would
 * push input into the terminal hxrun runs on. */
static void ioctls(long unused)
{
    (void)unused;
    int n;
    ioctl(0, FIONREAD, &n); /* allowed: whatever it answers */
    ioctl(0, TIOCSTI, "x");
}

START_TEST(seccomp_allows)
{
    char err[256];
    int status = filtered_child(call, SYS_getppid, err, sizeof(err));
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 7);
    ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(seccomp_refuses)
{
    static const struct {
        void (*body)(long);
        long arg;
        const char *line;
    } cases[] = {
        {call, SYS_ptrace,
         "hxrun: the monitor made a system call outside its allowlist: ptrace (101)\n"},
        {call, SYS_execve,
         "hxrun: the monitor made a system call outside its allowlist: execve (59)\n"},
        {call, SYS_mount,
         "hxrun: the monitor made a system call outside its allowlist: mount (165)\n"},
        {ioctls, 0, "hxrun: the monitor made a system call outside its allowlist: ioctl (16)\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256];
        int status = filtered_child(cases[i].body, cases[i].arg, err, sizeof(err));
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 125);
        ck_assert_str_eq(err, cases[i].line);
    }
}
END_TEST

Suite *sandbox_suite(void)
{
    Suite *s = suite_create("sandbox");
    TCase *tc = tcase_create("caps");
    tcase_add_test(tc, caps_default_is_docker);
    tcase_add_test(tc, caps_names);
    suite_add_tcase(s, tc);
    tc = tcase_create("seccomp");
    tcase_add_test(tc, seccomp_allows);
    tcase_add_test(tc, seccomp_refuses);
    suite_add_tcase(s, tc);
    return s;
}
