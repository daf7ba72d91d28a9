/* --strace: one line per system call, decoded from the syscall table's
 * argument formats, with strings and buffers read from guest memory. */
#include "strace.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "hcall.h"
#include "syscall_names.h"

struct flag {
    uint64_t bit;
    const char *name;
};

static const struct flag open_flags[] = {
    {O_CREAT, "O_CREAT"},     {O_EXCL, "O_EXCL"},           {O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},     {O_APPEND, "O_APPEND"},       {O_NONBLOCK, "O_NONBLOCK"},
    {O_DSYNC, "O_DSYNC"},     {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"},
    {O_CLOEXEC, "O_CLOEXEC"}, {O_PATH, "O_PATH"},           {0, NULL}};
static const struct flag prot_flags[] = {
    {PROT_READ, "PROT_READ"}, {PROT_WRITE, "PROT_WRITE"}, {PROT_EXEC, "PROT_EXEC"}, {0, NULL}};
static const struct flag map_flags[] = {{MAP_SHARED, "MAP_SHARED"},
                                        {MAP_PRIVATE, "MAP_PRIVATE"},
                                        {MAP_FIXED, "MAP_FIXED"},
                                        {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
                                        {MAP_NORESERVE, "MAP_NORESERVE"},
                                        {MAP_POPULATE, "MAP_POPULATE"},
                                        {MAP_STACK, "MAP_STACK"},
                                        {MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
                                        {0, NULL}};

static void print_flags(FILE *f, uint64_t v, const struct flag *t, const char *zero)
{
    int any = 0;
    if (zero) {
        fputs(zero, f);
        any = 1;
    }
    for (; t->name; t++) {
        if ((v & t->bit) == t->bit && t->bit) {
            fprintf(f, "%s%s", any ? "|" : "", t->name);
            v &= ~t->bit;
            any = 1;
        }
    }
    if (v || !any)
        fprintf(f, "%s%#llx", any ? "|" : "", (unsigned long long)v);
}

static void print_bytes(FILE *f, struct hx_vm *vm, uint64_t gva, int64_t len)
{
    unsigned char buf[32];
    size_t n = len < 0 ? 0 : (size_t)len > sizeof(buf) ? sizeof(buf) : (size_t)len;
    if (hx_copy_from_guest(&vm->g, buf, gva, n)) {
        fprintf(f, "%#llx", (unsigned long long)gva);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c >= 32 && c < 127)
            fputc(c, f);
        else
            fprintf(f, "\\%o", c);
    }
    fputc('"', f);
    if ((size_t)len > n)
        fputs("...", f);
}

void hx_strace_print(struct hx_vm *vm, uint64_t nr, const uint64_t *a, int64_t ret)
{
    const struct hx_syscall_info *info = hx_syscall_info(nr);
    char line[1024];
    FILE *f = fmemopen(line, sizeof(line), "w");
    if (!f)
        return;
    const char *fmt = info ? info->fmt : "xxxxxx";
    fprintf(f, "%s(", info ? info->name : "syscall");
    if (!info)
        fprintf(f, "%llu, ", (unsigned long long)nr);
    for (int i = 0; i < 6 && fmt[i]; i++) {
        uint64_t v = a[i];
        if (i)
            fputs(", ", f);
        switch (fmt[i]) {
        case 'd':
        case 'f':
            fprintf(f, "%lld", (long long)(fmt[i] == 'f' ? (int)v : (int64_t)v));
            break;
        case 'u':
            fprintf(f, "%llu", (unsigned long long)v);
            break;
        case 'p':
            if (v)
                fprintf(f, "%#llx", (unsigned long long)v);
            else
                fputs("NULL", f);
            break;
        case 's': {
            char s[256];
            long n = hx_copy_str_from_guest(&vm->g, s, v, sizeof(s));
            if (n >= 0)
                fprintf(f, "\"%s\"", s);
            else
                fprintf(f, "%#llx", (unsigned long long)v);
            break;
        }
        case 'b':
            print_bytes(f, vm, v, (int64_t)a[i + 1]);
            break;
        case 'B':
            if (ret >= 0)
                print_bytes(f, vm, v, ret);
            else
                fprintf(f, "%#llx", (unsigned long long)v);
            break;
        case 'o':
            print_flags(f, v & ~(uint64_t)O_ACCMODE, open_flags,
                        (v & O_ACCMODE) == O_RDONLY   ? "O_RDONLY"
                        : (v & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
                                                      : "O_RDWR");
            break;
        case 'm':
            print_flags(f, v, prot_flags, v ? NULL : "PROT_NONE");
            break;
        case 'M':
            print_flags(f, v, map_flags, NULL);
            break;
        default:
            fprintf(f, "%#llx", (unsigned long long)v);
        }
    }
    const char *name = info ? info->name : "";
    int returns_address = !strcmp(name, "mmap") || !strcmp(name, "brk") || !strcmp(name, "mremap");
    if (!strcmp(name, "exit") || !strcmp(name, "exit_group"))
        fputs(") = ?", f);
    else if (ret < 0 && ret >= -4095)
        fprintf(f, ") = -1 %s (%s)", strerrorname_np((int)-ret) ? strerrorname_np((int)-ret) : "?",
                strerror((int)-ret));
    else if (returns_address)
        fprintf(f, ") = %#llx", (unsigned long long)ret);
    else
        fprintf(f, ") = %lld", (long long)ret);
    fclose(f);
    line[sizeof(line) - 1] = 0;
    fprintf(stderr, "%s%s\n", hx_proc_tag(), line);
}
