/* hxscan's outputs from a finished scan: the table for people, one JSON
 * object for programs, and the trim list for a smaller kernel. */
#ifndef HX_REWRITER_REPORT_H
#define HX_REWRITER_REPORT_H

#include <stdio.h>

#include "libpath.h"
#include "scan.h"

/* One system call number found, with the number of sites that may use it. */
struct hx_nr_count {
    uint64_t nr;
    size_t sites;
};

struct hx_report {
    const char *program;
    const struct hx_scan *scan;
    const struct hx_missing *missing; /* libraries that could not be loaded */
    size_t nmissing;
    struct hx_nr_count *nrs; /* sorted by number */
    size_t nnrs;
    size_t nunsupported;
};

/* Counts the sites of every number. Returns 0, or -1 when out of memory. */
int hx_report_init(struct hx_report *r, const char *program, const struct hx_scan *scan,
                   const struct hx_missing *missing, size_t nmissing);
void hx_report_free(struct hx_report *r);

void hx_report_text(const struct hx_report *r, FILE *f);
void hx_report_json(const struct hx_report *r, FILE *f);
void hx_report_trim(const struct hx_report *r, FILE *f);

/* The printable name of nr: the table's, or "unknown_NR". */
const char *hx_report_name(uint64_t nr, char *buf, size_t len);

#endif
