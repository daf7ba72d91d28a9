# Unit tests (Check). Included by the top Makefile after rewriter/rewriter.mk
# (BUILD, DEPFLAGS, the $(BUILD)/h/%.o rule, LOADER_LIB and REWRITER_LIB
# defined before the include line); make runs from the repository root:
#   make unit-test             builds $(BUILD)/unit/hx-unit and runs it
# The tests and the guest code they test (minifs, the kernel's random) are
# compiled here; the monitor's files and the loader and rewriter libraries
# are hxrun's own objects.
UNIT_SRCS := $(wildcard tests/unit/*.c) kernel/random.c minifs/minifs.c
UNIT_OBJS := $(patsubst %.c,$(BUILD)/unit/o/%.o,$(UNIT_SRCS))
# sandbox.c loads the allowlist hxrun embeds.
UNIT_HOST_OBJS := $(patsubst %,$(BUILD)/h/hypervisor/%.o,guest_mem sandbox syscall_names \
                    seccomp_blob)
# kernel/ only for quoted includes: its errno.h must not shadow <errno.h>.
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g \
               -Iinclude -Iloader -Ihypervisor -iquote kernel $(shell pkg-config --cflags check)
UNIT_CFLAGS += -Iminifs -Isyscalls $(SAN)
UNIT_LDLIBS := $(shell pkg-config --libs check) -lelf -lcapstone
UNIT_BIN := $(BUILD)/unit/hx-unit

$(BUILD)/unit/o/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(UNIT_BIN): $(UNIT_OBJS) $(UNIT_HOST_OBJS) $(REWRITER_LIB) $(LOADER_LIB)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $^ $(UNIT_LDLIBS)

-include $(UNIT_OBJS:.o=.d)

.PHONY: unit-test
unit-test: $(UNIT_BIN)
	$(UNIT_BIN)
