/* Formatting of hxscan's results. All three outputs list the same numbers;
 * only the text and JSON forms say where the analysis could not see. */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "syscall_table.h"

static int cmp_nr(const void *a, const void *b)
{
    const struct hx_nr_count *x = a, *y = b;
    return x->nr < y->nr ? -1 : x->nr > y->nr;
}

int hx_report_init(struct hx_report *r, const char *program, const struct hx_scan *scan,
                   const struct hx_missing *missing, size_t nmissing)
{
    memset(r, 0, sizeof(*r));
    r->program = program;
    r->scan = scan;
    r->missing = missing;
    r->nmissing = nmissing;
    size_t total = 0;
    for (size_t i = 0; i < scan->nsites; i++)
        total += scan->sites[i].n;
    r->nrs = malloc((total ? total : 1) * sizeof(*r->nrs));
    if (!r->nrs)
        return -1;
    for (size_t i = 0; i < scan->nsites; i++)
        for (size_t k = 0; k < scan->sites[i].n; k++)
            r->nrs[r->nnrs++] = (struct hx_nr_count){scan->sites[i].nr[k], 1};
    qsort(r->nrs, r->nnrs, sizeof(*r->nrs), cmp_nr);
    size_t out = 0;
    for (size_t i = 0; i < r->nnrs; i++) {
        if (out && r->nrs[out - 1].nr == r->nrs[i].nr)
            r->nrs[out - 1].sites++;
        else
            r->nrs[out++] = r->nrs[i];
    }
    r->nnrs = out;
    for (size_t i = 0; i < r->nnrs; i++)
        r->nunsupported += !hx_sys_supported(r->nrs[i].nr);
    return 0;
}

void hx_report_free(struct hx_report *r)
{
    free(r->nrs);
    r->nrs = NULL;
}

const char *hx_report_name(uint64_t nr, char *buf, size_t len)
{
    const char *name = hx_sys_name(nr);
    if (name)
        return name;
    snprintf(buf, len, "unknown_%" PRIu64, nr);
    return buf;
}

/* Whether object c imports dlopen: what it loads at run time is not among
 * the objects scanned. */
static int uses_dlopen(const struct hx_code *c)
{
    for (size_t i = 0; i < c->ngot; i++)
        if (strcmp(c->got[i].name, "dlopen") == 0 || strcmp(c->got[i].name, "dlmopen") == 0)
            return 1;
    return 0;
}

static const char *object_path(const struct hx_report *r, uint32_t obj)
{
    return r->scan->objs[obj].code.path;
}

static void summary(const struct hx_report *r, FILE *f)
{
    fprintf(f, "%zu syscalls, %zu unsupported", r->nnrs, r->nunsupported);
    const char *sep = ": ";
    for (size_t i = 0; i < r->nnrs; i++) {
        char buf[32];
        if (hx_sys_supported(r->nrs[i].nr))
            continue;
        fprintf(f, "%s%s", sep, hx_report_name(r->nrs[i].nr, buf, sizeof(buf)));
        sep = ", ";
    }
    fputc('\n', f);
}

void hx_report_text(const struct hx_report *r, FILE *f)
{
    const struct hx_scan *sc = r->scan;
    fprintf(f, "%5s  %-24s %6s  %s\n", "NR", "NAME", "SITES", "SUPPORTED");
    for (size_t i = 0; i < r->nnrs; i++) {
        char buf[32];
        fprintf(f, "%5" PRIu64 "  %-24s %6zu  %s\n", r->nrs[i].nr,
                hx_report_name(r->nrs[i].nr, buf, sizeof(buf)), r->nrs[i].sites,
                hx_sys_supported(r->nrs[i].nr) ? "yes" : "no");
    }
    summary(r, f);

    fprintf(f, "%zu unresolved site%s%s\n", sc->nunresolved, sc->nunresolved == 1 ? "" : "s",
            sc->nunresolved ? ":" : "");
    for (size_t i = 0; i < sc->nunresolved; i++) {
        const struct hx_unresolved *u = &sc->unresolved[i];
        char fn[256];
        hx_code_func_label(&sc->objs[u->obj].code, u->addr, fn, sizeof(fn));
        fprintf(f, "  %s  0x%" PRIx64 "  %s  (%s)\n", object_path(r, u->obj), u->addr, fn,
                hx_why_text(u->why));
    }
    if (sc->nwrappers)
        fprintf(f, "functions taking the number as an argument:\n");
    for (size_t i = 0; i < sc->nwrappers; i++) {
        const struct hx_wrapper *w = &sc->wrappers[i];
        char fn[256];
        hx_code_func_label(&sc->objs[w->obj].code, w->func, fn, sizeof(fn));
        fprintf(f, "  %s  0x%" PRIx64 "  %s  (%s, %zu call%s)\n", object_path(r, w->obj), w->func,
                fn, hx_reg_name(w->reg), w->ncallers, w->ncallers == 1 ? "" : "s");
    }
    fprintf(f, "objects:\n");
    for (size_t i = 0; i < sc->nobjs; i++) {
        const struct hx_scan_object *o = &sc->objs[i];
        fprintf(f,
                "  %s: %zu syscall instructions (%zu resolved, %zu by argument), %zu wrapper "
                "calls, %zu unresolved\n",
                o->code.path, o->syscalls, o->resolved, o->wrappers, o->calls, o->unresolved);
    }
    for (size_t i = 0; i < r->nmissing; i++)
        fprintf(f, "  %s: not scanned (%s)\n", r->missing[i].name, r->missing[i].reason);
    for (size_t i = 0; i < sc->nobjs; i++)
        if (uses_dlopen(&sc->objs[i].code))
            fprintf(f, "note: %s calls dlopen: objects it loads at run time are not scanned\n",
                    sc->objs[i].code.path);
}

/* A JSON string literal. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void hx_report_json(const struct hx_report *r, FILE *f)
{
    const struct hx_scan *sc = r->scan;
    fprintf(f, "{\"program\": ");
    json_str(f, r->program);
    fprintf(f, ",\n \"syscalls\": [");
    for (size_t i = 0; i < r->nnrs; i++) {
        char buf[32];
        fprintf(f, "%s\n  {\"nr\": %" PRIu64 ", \"name\": ", i ? "," : "", r->nrs[i].nr);
        json_str(f, hx_report_name(r->nrs[i].nr, buf, sizeof(buf)));
        fprintf(f, ", \"sites\": %zu, \"supported\": %s}", r->nrs[i].sites,
                hx_sys_supported(r->nrs[i].nr) ? "true" : "false");
    }
    fprintf(f, "],\n \"count\": %zu,\n \"unsupported\": [", r->nnrs);
    int first = 1;
    for (size_t i = 0; i < r->nnrs; i++) {
        char buf[32];
        if (hx_sys_supported(r->nrs[i].nr))
            continue;
        fprintf(f, "%s", first ? "" : ", ");
        json_str(f, hx_report_name(r->nrs[i].nr, buf, sizeof(buf)));
        first = 0;
    }
    fprintf(f, "],\n \"unresolved\": [");
    for (size_t i = 0; i < sc->nunresolved; i++) {
        const struct hx_unresolved *u = &sc->unresolved[i];
        char fn[256];
        hx_code_func_label(&sc->objs[u->obj].code, u->addr, fn, sizeof(fn));
        fprintf(f, "%s\n  {\"object\": ", i ? "," : "");
        json_str(f, object_path(r, u->obj));
        fprintf(f, ", \"address\": \"0x%" PRIx64 "\", \"function\": ", u->addr);
        json_str(f, fn);
        fprintf(f, ", \"reason\": ");
        json_str(f, hx_why_text(u->why));
        fprintf(f, "}");
    }
    fprintf(f, "],\n \"wrappers\": [");
    for (size_t i = 0; i < sc->nwrappers; i++) {
        const struct hx_wrapper *w = &sc->wrappers[i];
        char fn[256];
        hx_code_func_label(&sc->objs[w->obj].code, w->func, fn, sizeof(fn));
        fprintf(f, "%s\n  {\"object\": ", i ? "," : "");
        json_str(f, object_path(r, w->obj));
        fprintf(f, ", \"address\": \"0x%" PRIx64 "\", \"function\": ", w->func);
        json_str(f, fn);
        fprintf(f, ", \"register\": \"%s\", \"callers\": %zu}", hx_reg_name(w->reg), w->ncallers);
    }
    fprintf(f, "],\n \"objects\": [");
    for (size_t i = 0; i < sc->nobjs; i++) {
        const struct hx_scan_object *o = &sc->objs[i];
        fprintf(f, "%s\n  {\"path\": ", i ? "," : "");
        json_str(f, o->code.path);
        fprintf(f,
                ", \"syscall_instructions\": %zu, \"resolved\": %zu, \"by_argument\": %zu, "
                "\"wrapper_calls\": %zu, \"unresolved\": %zu, \"dlopen\": %s}",
                o->syscalls, o->resolved, o->wrappers, o->calls, o->unresolved,
                uses_dlopen(&o->code) ? "true" : "false");
    }
    fprintf(f, "],\n \"missing\": [");
    for (size_t i = 0; i < r->nmissing; i++) {
        fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
        json_str(f, r->missing[i].name);
        fprintf(f, ", \"reason\": ");
        json_str(f, r->missing[i].reason);
        fprintf(f, "}");
    }
    fprintf(f, "]}\n");
}

void hx_report_trim(const struct hx_report *r, FILE *f)
{
    size_t nu = r->scan->nunresolved;
    fprintf(f, "# %zu unresolved site%s could not contribute to this list%s\n", nu,
            nu == 1 ? "" : "s",
            nu ? " (see hxscan's report): a kernel trimmed to it may lack what they call" : "");
    fprintf(f, "# system calls of %s found by hxscan, one per line, by number\n", r->program);
    for (size_t i = 0; i < r->nnrs; i++) {
        const char *name = hx_sys_name(r->nrs[i].nr);
        if (name)
            fprintf(f, "%s\n", name);
        else
            fprintf(f, "# unknown system call number %" PRIu64 "\n", r->nrs[i].nr);
    }
}
