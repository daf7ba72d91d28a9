/* MAP_SHARED host files: the monitor maps the file MAP_SHARED itself and
 * gives it to the guest as a KVM memslot above guest RAM, so the program's
 * stores land in the host's page cache directly: nothing is lost when the
 * program exits, is killed or crashes, and other host processes see the
 * data as they would a Linux process's. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "hcall.h"

#define ALIGN (2ull << 20) /* lets the guest use 2 MiB pages */

static struct hx_slot *slot_at(struct hx_vm *vm, uint64_t gpa, int *index)
{
    for (int i = 0; i < HX_MAX_SLOTS; i++)
        if (vm->g.slots[i].hva && vm->g.slots[i].gpa == gpa) {
            *index = i;
            return &vm->g.slots[i];
        }
    return NULL;
}

int64_t hx_hc_map_shared(struct hx_vm *vm, const struct hx_hc_map_shared_req *req)
{
    uint64_t off = req->offset, len = req->len;
    int writable = req->writable != 0;
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    if (!len || len > (64ull << 30) || (off & 4095) || (len & 4095))
        return -EINVAL;
    int i = 0;
    while (i < HX_MAX_SLOTS && vm->g.slots[i].hva)
        i++;
    if (i == HX_MAX_SLOTS)
        return -ENOMEM;
    /* The whole range, as Linux maps it: pages past the end of the file
     * become valid when the file grows. Touching one before that is the
     * program's SIGBUS (KVM_RUN fails with EFAULT, see vm_run.c). */
    void *p = mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, (int)req->hostfd,
                   (off_t)off);
    if (p == MAP_FAILED)
        return -errno;
    if (!vm->shared_next)
        vm->shared_next = HX_GPA_SHARED;
    uint64_t gpa = vm->shared_next;
    vm->g.slots[i] = (struct hx_slot){gpa, len, p, writable};
    if (hx_shared_slot_add(vm, i) < 0) {
        int err = errno;
        munmap(p, len);
        memset(&vm->g.slots[i], 0, sizeof(vm->g.slots[i]));
        return -err;
    }
    vm->shared_next += (len + ALIGN - 1) & ~(ALIGN - 1);
    /* The guest learns the length actually mapped from the request. */
    return (int64_t)gpa;
}

int hx_shared_slot_add(struct hx_vm *vm, int i)
{
    const struct hx_slot *sl = &vm->g.slots[i];
    struct kvm_userspace_memory_region r = {
        .slot = 1 + (uint32_t)i, /* KVM's slot 0 is RAM */
        .flags = sl->writable ? 0 : KVM_MEM_READONLY,
        .guest_phys_addr = sl->gpa,
        .memory_size = sl->size,
        .userspace_addr = (uint64_t)sl->hva,
    };
    return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

int64_t hx_hc_unmap_shared(struct hx_vm *vm, const struct hx_hc_unmap_shared_req *req)
{
    int i;
    struct hx_slot *s = slot_at(vm, req->gpa, &i);
    if (!s)
        return -EINVAL;
    struct kvm_userspace_memory_region r = {.slot = 1 + (uint32_t)i, .guest_phys_addr = s->gpa};
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return -errno;
    munmap(s->hva, s->size);
    memset(s, 0, sizeof(*s));
    return 0;
}

int64_t hx_hc_msync(struct hx_vm *vm, const struct hx_hc_msync_req *req)
{
    uint8_t *p = hx_gpa_ptr(&vm->g, req->gpa, req->len, 0);
    if (!p || req->gpa < vm->g.ram_size)
        return -ENOMEM;
    int flags = (req->flags & 4) ? MS_SYNC : MS_ASYNC;
    size_t in_page = (uintptr_t)p & 4095;
    return msync(p - in_page, req->len + in_page, flags) < 0 ? -errno : 0;
}
