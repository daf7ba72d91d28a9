/* Checked access to guest memory. Every guest address the monitor touches
 * goes through here: a guest physical range must lie inside guest RAM, and a
 * guest virtual range is translated through the guest's own page tables,
 * each level checked, requiring user access (and write access when the
 * monitor will write). The guest is untrusted. */
#ifndef HX_GUEST_MEM_H
#define HX_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define HX_MAX_SLOTS 256

struct hx_guest {
    uint8_t *ram;
    uint64_t ram_size;
    uint64_t cr3; /* guest physical address of the PML4 */
    /* Host files mapped into guest physical memory above RAM. */
    struct hx_slot {
        uint64_t gpa, size;
        uint8_t *hva; /* NULL: a free slot */
        int writable; /* mapped PROT_WRITE (else the monitor may only read) */
    } slots[HX_MAX_SLOTS];
};

/* Host pointer for guest physical [gpa, gpa+len), or NULL when any byte of
 * it lies outside guest RAM and outside one mapped file (or, with write
 * set, in a file mapped read-only). A file's pages past its end are not
 * checked here: the file can shrink at any time, so the monitor reads and
 * writes file pages only through the guarded copies below, and hands them
 * to host system calls, which fail with EFAULT rather than fault. */
void *hx_gpa_ptr(const struct hx_guest *g, uint64_t gpa, uint64_t len, int write);

/* Installs the fault handler that turns a SIGBUS or SIGSEGV of a guarded
 * copy (a mapped file shorter than its mapping) into -EFAULT; any other
 * fault keeps its default action. Call once, before the guest runs. */
int hx_guest_mem_init(void);

/* Translates the guest virtual range [gva, gva+len) into at most maxiov
 * host iovecs (physically contiguous pieces are merged). Returns the number
 * of iovecs, or -EFAULT (unmapped, not user, not writable when write is set,
 * non-canonical, or the page tables point outside RAM) or -E2BIG (needs
 * more than maxiov pieces). len 0 gives 0 iovecs. */
int hx_gva_iov(const struct hx_guest *g, uint64_t gva, uint64_t len, int write, struct iovec *iov,
               int maxiov);

/* Like hx_gva_iov, but stops at the first page that cannot be used or when
 * maxiov pieces are full, and says how many bytes the pieces cover: what
 * Linux would transfer before a fault (a short count). Returns the number
 * of iovecs (0 when not even the first byte is usable). */
int hx_gva_iov_prefix(const struct hx_guest *g, uint64_t gva, uint64_t len, int write,
                      struct iovec *iov, int maxiov, uint64_t *covered);

/* Whole-range copies; 0 or -EFAULT. */
int hx_copy_from_guest(const struct hx_guest *g, void *dst, uint64_t gva, uint64_t len);
int hx_copy_to_guest(const struct hx_guest *g, uint64_t gva, const void *src, uint64_t len);

/* Sets, in bitmap (one bit per 4 KiB page of RAM, zeroed by the caller),
 * the RAM pages the guest's page tables map in the user half: the
 * program's memory, as opposed to the kernel's own. */
void hx_user_pages(const struct hx_guest *g, uint8_t *bitmap);

/* Copies a NUL-terminated string of at most max-1 bytes. Returns its
 * length, -EFAULT, or -ENAMETOOLONG. */
long hx_copy_str_from_guest(const struct hx_guest *g, char *dst, uint64_t gva, size_t max);

#endif
