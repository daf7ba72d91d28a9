#ifndef HX_STRACE_H
#define HX_STRACE_H

#include <stdint.h>

#include "vm.h"

/* Prints one strace-style line for a finished system call to stderr. */
void hx_strace_print(struct hx_vm *vm, uint64_t nr, const uint64_t *args, int64_t ret);

#endif
