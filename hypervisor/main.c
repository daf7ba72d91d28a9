/* hxrun: run an unmodified Linux x86-64 program in its own KVM unikernel.
 * Command-line handling; the work is in vm.c (the machine), vm_image.c (the
 * program's image), vm_run.c (the run loop) and the host services. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fastcall_cache.h"
#include "hcall.h"
#include "run_dir.h"
#include "sandbox.h"
#include "vm.h"

extern char **environ;

#ifdef __SANITIZE_ADDRESS__
/* make asan: ASan's defaults, whatever the environment (the tests run
 * hxrun under env -i). guest_mem.c's own SIGSEGV/SIGBUS handler turns a
 * fault on a shrunken shared file into EFAULT, so ASan must leave those
 * signals alone; the leak check at exit stops the process with ptrace from
 * a clone, which the seccomp filter rightly refuses (prctl first), so
 * hxrun is not leak-checked. 125: a report is an hx problem. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "handle_segv=0:handle_sigbus=0:detect_leaks=0:exitcode=125";
}
#endif

static void usage(FILE *f)
{
    fputs("usage: hxrun [options] [--] PROGRAM [ARGS...]\n"
          "Runs a static x86-64 Linux program in a fresh KVM virtual machine.\n"
          "  -m SIZE        guest memory (e.g. 512M, 4G; default 1G, demand-paged)\n"
          "  -e KEY=VALUE   set an environment variable for the program\n"
          "  --clean-env    start the program with an empty environment\n"
          "  --strace       print each system call to stderr\n"
          "  --stats        print VM exits, hypercalls and CPL0 entries at exit\n"
          "  -v HOST:GUEST[:ro]  mount a host directory or file at GUEST\n"
          "  --no-host-root  expose only the program, its loader and libraries, and -v mounts\n"
          "                 (then /tmp is the run's own, in RAM)\n"
          "  --tmpfs /tmp   a RAM /tmp of the run's own instead of the host's /tmp\n"
          "  --net=MODE     host (default): sockets are the host's, as for a host process;\n"
          "                 none: AF_INET and AF_INET6 sockets fail with EACCES; AF_UNIX\n"
          "                 works, and abstract names are the run's own\n"
          "  --kernel PATH  run on another hx kernel image\n"
          "  --fastcall     run the program, its loader and libraries rewritten by hxrewrite,\n"
          "                 cached in $XDG_CACHE_HOME/hx or ~/.cache/hx (the default; given\n"
          "                 explicitly, hxrun warns when it cannot)\n"
          "  --no-fastcall  run them as they are\n"
          "  --fastcall-cache DIR  keep the rewritten copies in DIR\n"
          "  --cap-add CAP, --cap-drop CAP  run as root, hxrun keeps docker's default\n"
          "                 capabilities; these add or drop one (NET_ADMIN, ALL...)\n"
          "  -h, --help     show this help\n",
          f);
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    switch (*end) {
    case 'k':
    case 'K':
        v <<= 10;
        end++;
        break;
    case 'm':
    case 'M':
        v <<= 20;
        end++;
        break;
    case 'g':
    case 'G':
        v <<= 30;
        end++;
        break;
    case 0:
        v <<= 20;
        break; /* plain numbers are MiB, like QEMU */
    default:
        return -1;
    }
    if (*end && strcmp(end, "iB") && strcmp(end, "B"))
        return -1;
    *out = v;
    return 0;
}

/* Sets KEY=VALUE in a NULL-terminated array we own, replacing KEY. */
static char **env_set(char **env, size_t *n, char *kv)
{
    size_t klen = strcspn(kv, "=");
    for (size_t i = 0; i < *n; i++)
        if (!strncmp(env[i], kv, klen) && env[i][klen] == '=') {
            env[i] = kv;
            return env;
        }
    env = realloc(env, (*n + 2) * sizeof(*env));
    env[(*n)++] = kv;
    env[*n] = NULL;
    return env;
}

/* -v HOST:GUEST[:ro|:rw]: HOST may be relative, GUEST must be absolute. */
static int add_volume(struct hx_options *opt, char *arg)
{
    char *guest = strchr(arg, ':');
    char *mode = guest ? strchr(guest + 1, ':') : NULL;
    if (mode)
        *mode++ = 0;
    if (!guest || guest == arg || guest[1] != '/' ||
        (mode && strcmp(mode, "ro") && strcmp(mode, "rw")) || opt->nvolumes == HX_MAX_MOUNTS - 4) {
        fprintf(stderr, "hxrun: -v needs HOST:GUEST[:ro] with an absolute GUEST path\n");
        return -1;
    }
    *guest++ = 0;
    opt->volumes[opt->nvolumes++] = (struct hx_volume){arg, guest, mode && !strcmp(mode, "ro")};
    return 0;
}

/* Like a shell: a name without '/' is looked up in PATH. */
static const char *find_program(const char *name, char *buf, size_t size)
{
    if (strchr(name, '/'))
        return name;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, ":");
        snprintf(buf, size, "%.*s/%s", (int)len, len ? p : ".", name);
        struct stat st;
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
            return buf;
        p += len + (p[len] == ':');
    }
    return NULL;
}

/* A #! script runs its interpreter, as Linux's binfmt_script has it: the
 * interpreter, its one optional argument, the script's path, then the
 * script's own arguments (argv[0] goes), up to four scripts deep. Returns
 * the program to load, and its arguments in *args (a new array when it
 * was a script); the file itself when it is not a script. */
static const char *run_scripts(const char *prog, char ***args, const char **script)
{
    static char line[4][256];
    for (int depth = 0; depth < 4; depth++) {
        FILE *f = fopen(prog, "re");
        char *l = line[depth];
        size_t n = f ? fread(l, 1, sizeof(line[0]) - 1, f) : 0;
        if (f)
            fclose(f);
        if (n < 2 || l[0] != '#' || l[1] != '!')
            return prog;
        l[n] = 0;
        l[strcspn(l, "\n")] = 0;
        char *interp = l + 2 + strspn(l + 2, " \t");
        char *end = interp + strcspn(interp, " \t");
        char *arg = *end ? end + 1 + strspn(end + 1, " \t") : end;
        *end = 0;
        for (char *e = arg + strlen(arg); e > arg && (e[-1] == ' ' || e[-1] == '\t');)
            *--e = 0;
        if (!*interp)
            return prog; /* the loader says what is wrong with it */
        size_t argc = 0;
        while ((*args)[argc])
            argc++;
        char **v = calloc(argc + 3, sizeof(*v));
        if (!v)
            return prog;
        if (depth)
            free(*args); /* the array the script before made */
        size_t k = 0;
        v[k++] = interp;
        if (*arg)
            v[k++] = arg;
        v[k++] = (char *)prog;
        for (size_t i = 1; i < argc; i++)
            v[k++] = (*args)[i];
        *args = v;
        if (!*script)
            *script = prog;
        prog = interp;
    }
    return prog;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"clean-env", no_argument, NULL, 'C'},
                                             {"strace", no_argument, NULL, 'S'},
                                             {"stats", no_argument, NULL, 's'},
                                             {"kernel", required_argument, NULL, 'k'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"no-host-root", no_argument, NULL, 'R'},
                                             {"tmpfs", required_argument, NULL, 'T'},
                                             {"net", required_argument, NULL, 'N'},
                                             {"fastcall", no_argument, NULL, 'F'},
                                             {"no-fastcall", no_argument, NULL, 'f'},
                                             {"fastcall-cache", required_argument, NULL, 'D'},
                                             {"cap-add", required_argument, NULL, 'A'},
                                             {"cap-drop", required_argument, NULL, 'X'},
                                             {NULL, 0, NULL, 0}};
    /* Static: they live until hxrun exits, whichever return ends it. */
    static struct hx_options opt = {.mem_size = 1ull << 30, .fastcall = HX_FASTCALL_DEFAULT};
    struct hx_caps caps;
    hx_caps_default(&caps);
    /* The console as we found it, before any open could take a free 0-2;
     * a closed one is filled with /dev/null so nothing else lands there. */
    for (int i = 0; i < 3; i++)
        if ((opt.console_flags[i] = fcntl(i, F_GETFL)) < 0)
            open("/dev/null", O_RDWR);
    hx_fds_init(&opt);
    static char **sets;
    sets = calloc((size_t)argc, sizeof(char *));
    size_t nsets = 0;
    int clean = 0, c;
    opterr = 0; /* one line of our own instead of getopt's */
    while ((c = getopt_long(argc, argv, "+:m:e:v:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (parse_size(optarg, &opt.mem_size) || opt.mem_size < (64ull << 20) ||
                opt.mem_size > HX_MAX_RAM) {
                fprintf(stderr, "hxrun: bad memory size '%s' (64M to 32G)\n", optarg);
                return 2;
            }
            break;
        case 'e':
            if (!strchr(optarg, '=')) {
                fprintf(stderr, "hxrun: -e needs KEY=VALUE, got '%s'\n", optarg);
                return 2;
            }
            sets[nsets++] = optarg;
            break;
        case 'v':
            if (add_volume(&opt, optarg))
                return 2;
            break;
        case 'R':
            opt.no_host_root = 1;
            break;
        case 'T':
            /* The guest's RAM file system lives at /tmp (syscalls/path.c). */
            if (strcmp(optarg, "/tmp") && strcmp(optarg, "/tmp/")) {
                fprintf(stderr,
                        "hxrun: --tmpfs: only /tmp can be a RAM file system yet, not '%s'\n",
                        optarg);
                return 2;
            }
            opt.tmpfs_tmp = 1;
            break;
        case 'N':
            if (strcmp(optarg, "host") && strcmp(optarg, "none")) {
                fprintf(stderr, "hxrun: --net must be host or none, got '%s'\n", optarg);
                return 2;
            }
            opt.net_none = !strcmp(optarg, "none");
            break;
        case 'C':
            clean = 1;
            break;
        case 'F':
            opt.fastcall = HX_FASTCALL_ASKED;
            break;
        case 'f':
            opt.fastcall = HX_FASTCALL_OFF;
            break;
        case 'D':
            opt.fastcall_cache = optarg;
            break;
        case 'A':
        case 'X':
            if (hx_caps_change(&caps, optarg, c == 'A')) {
                fprintf(stderr, "hxrun: unknown capability '%s'\n", optarg);
                return 2;
            }
            break;
        case 'S':
            opt.strace = 1;
            break;
        case 's':
            opt.stats = 1;
            break;
        case 'k':
            opt.kernel_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            fprintf(stderr, "hxrun: option '%s' needs an argument (see hxrun --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "hxrun: unknown option '%s' (see hxrun --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: hxrun [options] [--] PROGRAM [ARGS...] (see hxrun --help)\n");
        return 2;
    }
    /* Before guest RAM and threads, the janitor being a fork of this
     * process as it is now, and before root's powers go (a RAM /tmp gets a
     * file system of its own, run_dir.c). Without it, /dev/shm is missing
     * and a RAM /tmp cannot be had (hostfs.c says so). */
    char *args_end = argv[0]; /* getopt may have reordered argv: the last string in memory */
    for (int i = 0; i < argc; i++)
        if (argv[i] + strlen(argv[i]) > args_end)
            args_end = argv[i] + strlen(argv[i]);
    hx_run_dir_make(argv[0], (size_t)(args_end - argv[0]) + 1,
                    opt.no_host_root || opt.tmpfs_tmp ? opt.mem_size & ~((2ull << 20) - 1) : 0);
    /* Before anything is opened for the guest: root's other powers never
     * reach it (raw netfilter queries, mounts...), nor does exec raise them. */
    if (hx_caps_apply(&caps))
        return 125;
    size_t nenv = 0;
    char **env = calloc(1, sizeof(*env));
    for (char **e = environ; !clean && *e; e++)
        env = env_set(env, &nenv, *e);
    for (size_t i = 0; i < nsets; i++)
        env = env_set(env, &nenv, sets[i]);
    opt.envp = env;

    char found[4096];
    const char *prog = find_program(argv[optind], found, sizeof(found));
    if (!prog) {
        fprintf(stderr, "hxrun: %s: command not found\n", argv[optind]);
        return 127;
    }
    char **args = argv + optind;
    const char *script_given = NULL;
    prog = run_scripts(prog, &args, &script_given);
    static char script_real[4096];
    if (script_given && realpath(script_given, script_real)) {
        /* --no-host-root mounts it at its own path, which the guest's
         * interpreter must be given whole (there is no cwd there). */
        opt.script = script_real;
        if (opt.no_host_root)
            for (char **a = args; *a; a++)
                if (*a == script_given)
                    *a = script_real;
    }
    opt.mem_size &= ~((2ull << 20) - 1);
    static struct hx_vm vm;
    int rc = hx_vm_create(&vm, &opt);
    /* A program that cannot be rewritten still runs, with syscall
     * instructions (with a warning when --fastcall asked for them). */
    if (!rc && opt.fastcall)
        hx_fastcall_prepare(&opt, prog);
    if (!rc)
        rc = hx_vm_load_program(&vm, prog, args);
    if (args != argv + optind)
        free(args); /* on the guest's stack now */
    if (!rc)
        rc = hx_hostfs_init(&vm);
    if (rc)
        return rc;
    /* A closed pipe is the guest's business: it gets EPIPE and its kernel
     * raises the guest's SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    /* The program's output must reach the console before our own lines. */
    fflush(stdout);
    int status = hx_vm_run(&vm);
    hx_net_cleanup();
    if (opt.stats)
        hx_print_stats(&vm);
    hx_proc_exit(&vm);
    return status;
}
