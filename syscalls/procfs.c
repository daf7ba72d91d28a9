/* /proc and /sys, generated: what libcs and runtimes read. Every file's
 * contents are produced when it is opened, from kernel state (memory map,
 * fd table, limits) or from the boot information; nothing is the host's
 * view of hxrun itself, except the CPU description, which is the same
 * machine. */
#include <stdarg.h>

#include "heap.h"
#include "vfs.h"

void gen_free(struct gen *g)
{
    kfree(g->buf, g->cap);
    memset(g, 0, sizeof(*g));
}

void gen_put(struct gen *g, const char *s, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        size_t cap = g->cap ? g->cap : 256;
        while (cap < g->len + n + 1)
            cap *= 2;
        char *b = kmalloc(cap);
        if (!b)
            return;
        if (g->buf) {
            memcpy(b, g->buf, g->len);
            kfree(g->buf, g->cap);
        }
        g->buf = b;
        g->cap = cap;
    }
    memcpy(g->buf + g->len, s, n);
    g->len += n;
    g->buf[g->len] = 0;
}

void gen_printf(struct gen *g, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    gen_put(g, line, (size_t)MIN(n, (int)sizeof(line) - 1));
}

static void dir_entry(struct gen *g, const char *name, char type)
{
    gen_put(g, name, strlen(name) + 1);
    gen_put(g, &type, 1);
    gen_put(g, "", 1);
}

static void maps(struct gen *g)
{
    const struct vma *v;
    for (int i = 0; (v = mm_vma(i)); i++) {
        const char *name = v->flags & VMA_STACK   ? "[stack]"
                           : v->flags & VMA_HEAP  ? "[heap]"
                           : v->flags & VMA_IMAGE ? boot->exe
                                                  : "";
        char line[128];
        int n = ksnprintf(line, sizeof(line), "%08lx-%08lx %s%s%sp 00000000 00:00 0", v->start,
                          v->end, v->prot & HX_PROT_R ? "r" : "-", v->prot & HX_PROT_W ? "w" : "-",
                          v->prot & HX_PROT_X ? "x" : "-");
        gen_put(g, line, (size_t)n);
        if (*name) {
            /* Linux pads the name to column 73. */
            for (; n < 73; n++)
                gen_put(g, " ", 1);
            gen_put(g, name, strlen(name));
        }
        gen_put(g, "\n", 1);
    }
}

static void status(struct gen *g)
{
    gen_printf(g, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\n", proc_comm(), umask_bits);
    gen_printf(g, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", boot->pid, boot->pid,
               boot->ppid);
    gen_printf(g, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", boot->uid, boot->euid, boot->euid,
               boot->euid, boot->gid, boot->egid, boot->egid, boot->egid);
    gen_printf(g, "FDSize:\t%d\nGroups:\t\nThreads:\t1\n", 64);
    gen_printf(g, "Cpus_allowed:\t1\nCpus_allowed_list:\t0\n");
}

static void meminfo(struct gen *g)
{
    uint64_t total = boot->ram_size >> 10, free = mm_free_bytes() >> 10;
    gen_printf(g, "MemTotal:       %lu kB\nMemFree:        %lu kB\nMemAvailable:   %lu kB\n", total,
               free, free);
    gen_printf(g, "Buffers:               0 kB\nCached:                0 kB\n");
    gen_printf(g, "SwapTotal:             0 kB\nSwapFree:              0 kB\n");
}

/* The host's description of processor 0: the guest runs on that CPU. */
static void cpuinfo(struct gen *g)
{
    static char buf[16384]; /* scratch (vfs.h): a host call, no wait */
    long n = HC(cpuinfo, .buf = (uint64_t)buf, .size = sizeof(buf) - 1);
    if (n <= 0)
        return;
    buf[n] = 0;
    /* Keep the first block (up to the first empty line). */
    for (long i = 0; i + 1 < n; i++)
        if (buf[i] == '\n' && buf[i + 1] == '\n') {
            n = i + 2;
            break;
        }
    gen_put(g, buf, (size_t)n);
}

static void mounts(struct gen *g, int info)
{
    static const struct {
        const char *dir, *type;
    } m[] = {{"/", "hostfs"},
             {"/tmp", "tmpfs"},
             {"/dev", "devtmpfs"},
             {"/proc", "proc"},
             {"/sys", "sysfs"}};
    for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
        if (info)
            gen_printf(g, "%u 0 0:%u / %s rw - %s %s rw\n", (unsigned)i + 1, (unsigned)i + 20,
                       m[i].dir, m[i].type, m[i].type);
        else
            gen_printf(g, "%s %s %s rw 0 0\n", m[i].type, m[i].dir, m[i].type);
    }
}

/* Simple files under /proc/sys and /sys. */
static int sys_value(const char *p, struct gen *g)
{
    static const struct {
        const char *path;
        int uts; /* index into boot->uts, or -1 */
        const char *value;
    } files[] = {
        {"/proc/sys/kernel/ostype", 0, NULL},         {"/proc/sys/kernel/hostname", 1, NULL},
        {"/proc/sys/kernel/osrelease", 2, NULL},      {"/proc/sys/kernel/version", 3, NULL},
        {"/proc/sys/kernel/domainname", 5, NULL},     {"/proc/sys/kernel/pid_max", -1, "4194304"},
        {"/proc/sys/kernel/threads-max", -1, "4096"}, {"/proc/sys/kernel/ngroups_max", -1, "65536"},
        {"/proc/sys/kernel/cap_last_cap", -1, "40"},  {"/proc/sys/vm/overcommit_memory", -1, "0"},
        {"/proc/sys/vm/max_map_count", -1, "4096"},   {"/proc/sys/net/core/somaxconn", -1, "4096"},
        {"/sys/devices/system/cpu/online", -1, "0"},  {"/sys/devices/system/cpu/possible", -1, "0"},
        {"/sys/devices/system/cpu/present", -1, "0"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(files); i++)
        if (!strcmp(p, files[i].path)) {
            const char *v = files[i].uts >= 0 ? boot->uts[files[i].uts] : files[i].value;
            gen_printf(g, "%s\n", v);
            return 1;
        }
    return 0;
}

/* "/proc/self/..." and "/proc/<pid>/..." name the same process. */
static const char *self_rest(const char *path)
{
    if (!strncmp(path, "/proc/self", 10) && (path[10] == '/' || !path[10]))
        return path + 10;
    char pid[16];
    int n = ksnprintf(pid, sizeof(pid), "/proc/%d", boot->pid);
    if (!strncmp(path, pid, (size_t)n) && (path[n] == '/' || !path[n]))
        return path + n;
    return NULL;
}

static long self_file(const char *r, struct gen *g)
{
    if (!*r) {
        static const char *const names[] = {"exe",     "maps",   "fd",        "status", "cmdline",
                                            "environ", "mounts", "mountinfo", "cwd"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
            dir_entry(g, names[i],
                      !strcmp(names[i], "fd")                                ? 'd'
                      : !strcmp(names[i], "exe") || !strcmp(names[i], "cwd") ? 'l'
                                                                             : 'r');
        return GEN_DIR;
    }
    if (!strcmp(r, "/exe")) {
        gen_put(g, boot->exe, strlen(boot->exe));
        return GEN_LINK;
    }
    if (!strcmp(r, "/cwd")) {
        char cwd[PATH_MAX];
        sys_getcwd((uint64_t)cwd, sizeof(cwd), 0, 0, 0, 0);
        gen_put(g, cwd, strlen(cwd));
        return GEN_LINK;
    }
    if (!strcmp(r, "/maps")) {
        maps(g);
        return GEN_FILE;
    }
    if (!strcmp(r, "/status")) {
        status(g);
        return GEN_FILE;
    }
    if (!strcmp(r, "/mounts") || !strcmp(r, "/mountinfo")) {
        mounts(g, r[6] == 'i');
        return GEN_FILE;
    }
    if (!strcmp(r, "/cmdline") || !strcmp(r, "/environ")) {
        /* From the initial stack, as Linux reads the process's memory. */
        const uint64_t *sp = (const uint64_t *)boot->stack_pointer;
        const char *const *argv = (const char *const *)(sp + 1);
        const char *const *v = r[1] == 'c' ? argv : argv + sp[0] + 1;
        for (; *v; v++)
            gen_put(g, *v, strlen(*v) + 1);
        return GEN_FILE;
    }
    if (!strcmp(r, "/fd")) {
        for (int fd = 0; fd < fd_limit(); fd++) {
            char name[16];
            if (fd_describe(fd, NULL, 0) == 0) {
                ksnprintf(name, sizeof(name), "%d", fd);
                dir_entry(g, name, 'l');
            }
        }
        return GEN_DIR;
    }
    if (!strncmp(r, "/fd/", 4)) {
        int fd = 0;
        const char *d = r + 4;
        if (!*d)
            return -ENOENT;
        for (; *d; d++) {
            if (*d < '0' || *d > '9' || fd > 100000)
                return -ENOENT;
            fd = fd * 10 + (*d - '0');
        }
        char path[PATH_MAX];
        if (fd_describe(fd, path, sizeof(path)))
            return -ENOENT;
        gen_put(g, path, strlen(path));
        return GEN_LINK;
    }
    return -ENOENT;
}

long proc_lookup(const char *path, struct gen *g)
{
    if (!strcmp(path, "/proc")) {
        static const char *const names[] = {"self",        "cpuinfo", "meminfo",
                                            "filesystems", "mounts",  "sys"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
            dir_entry(g, names[i], i == 0 ? 'l' : i == 5 ? 'd' : 'r');
        char pid[16];
        ksnprintf(pid, sizeof(pid), "%d", boot->pid);
        dir_entry(g, pid, 'd');
        return GEN_DIR;
    }
    if (!strcmp(path, "/proc/self")) {
        /* A link to the process's own directory, as on Linux. */
        gen_printf(g, "%d", boot->pid);
        return GEN_LINK;
    }
    const char *self = self_rest(path);
    if (self)
        return self_file(self, g);
    if (!strcmp(path, "/proc/cpuinfo")) {
        cpuinfo(g);
        return GEN_FILE;
    }
    if (!strcmp(path, "/proc/meminfo")) {
        meminfo(g);
        return GEN_FILE;
    }
    if (!strcmp(path, "/proc/filesystems")) {
        gen_printf(g, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\n");
        return GEN_FILE;
    }
    if (!strcmp(path, "/proc/mounts")) {
        mounts(g, 0);
        return GEN_FILE;
    }
    if (!strcmp(path, "/proc/uptime")) {
        int64_t up = clock_monotonic_ns() - boot->monotonic_base_ns;
        gen_printf(g, "%ld.%ld 0.00\n", up / NSEC_PER_SEC, up / 10000000ll % 100);
        return GEN_FILE;
    }
    if (sys_value(path, g))
        return GEN_FILE;
    static const char *const dirs[] = {
        "/proc/sys",    "/proc/sys/kernel",    "/proc/sys/vm",           "/sys",
        "/sys/devices", "/sys/devices/system", "/sys/devices/system/cpu"};
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
        if (!strcmp(path, dirs[i]))
            return GEN_DIR; /* listed empty: contents are looked up by name */
    return -ENOENT;
}
