/* Kernel heap: kmalloc returns zeroed memory; kfree takes the size. */
#ifndef HX_HEAP_H
#define HX_HEAP_H

#include "kernel.h"

void *kmalloc(size_t size);
void kfree(void *p, size_t size);

#endif
