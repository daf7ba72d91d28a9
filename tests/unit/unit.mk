# Unit tests (Check). Included by the top Makefile, which defines BUILD (before
# the include line) and runs make from the repository root:
#   make unit-test             builds $(BUILD)/unit/hx-unit and runs it
UNIT_SRCS := $(wildcard tests/unit/*.c) loader/elf_load.c loader/stack.c hypervisor/guest_mem.c \
             hypervisor/sandbox.c hypervisor/syscall_names.c kernel/random.c
UNIT_SRCS += minifs/minifs.c $(UNIT_EXTRA_SRCS)
UNIT_DEPS := minifs/minifs.h $(UNIT_SRCS) $(wildcard tests/unit/*.h) loader/elf_load.h loader/stack.h \
             hypervisor/guest_mem.h hypervisor/sandbox.h include/hx/abi.h kernel/kernel.h \
             syscalls/table.h tests/unit/unit.mk
# kernel/ only for quoted includes: its errno.h must not shadow <errno.h>.
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g \
               -Iinclude -Iloader -Ihypervisor -iquote kernel $(shell pkg-config --cflags check)
UNIT_CFLAGS += -Iminifs -Isyscalls $(SAN)
UNIT_LDLIBS := $(shell pkg-config --libs check) -lelf $(UNIT_EXTRA_LIBS)
UNIT_BIN := $(BUILD)/unit/hx-unit

# sandbox.c loads the allowlist hxrun embeds.
$(BUILD)/unit/hx-unit: $(UNIT_DEPS) $(BUILD)/h/hypervisor/seccomp_blob.o
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $(UNIT_SRCS) $(BUILD)/h/hypervisor/seccomp_blob.o $(UNIT_LDLIBS)

.PHONY: unit-test
unit-test: $(BUILD)/unit/hx-unit
	$(UNIT_BIN)
