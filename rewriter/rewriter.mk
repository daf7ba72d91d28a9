# hxscan and hxrewrite, and the binary-analysis library they share.
# Included by the top Makefile, which defines BUILD and CC (before the include
# line) and runs make from the repository root:
#   make $(BUILD)/hxscan      build hxscan
#   make scan-test            build it and check it against strace (tests/scan/run.sh)
#   make $(BUILD)/hxrewrite   build hxrewrite
# The unit tests link the library too: tests/unit/unit.mk adds
# $(UNIT_EXTRA_SRCS) to its sources and $(UNIT_EXTRA_LIBS) to its libraries.

REWRITER_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
                   -Iinclude -Iloader -Isyscalls -Irewriter $(SAN)
REWRITER_LIB_SRCS := rewriter/insn.c rewriter/disasm.c rewriter/code.c rewriter/cfg.c \
                     rewriter/eh_frame.c rewriter/elf_code.c rewriter/infer.c rewriter/scan.c \
                     rewriter/elf_dyn.c rewriter/ldcache.c rewriter/libpath.c \
                     rewriter/syscall_table.c rewriter/report.c rewriter/patch.c \
                     rewriter/elf_rewrite.c
REWRITER_OBJS := $(patsubst %.c,$(BUILD)/rw/%.o,$(REWRITER_LIB_SRCS) rewriter/hxscan.c \
                   loader/elf_load.c)
REWRITER_DEPS := $(wildcard rewriter/*.h) loader/elf_load.h include/hx/abi.h syscalls/table.h \
                 rewriter/rewriter.mk

UNIT_EXTRA_SRCS := $(REWRITER_LIB_SRCS)
UNIT_EXTRA_LIBS := -lcapstone

$(BUILD)/rw/%.o: %.c $(REWRITER_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(REWRITER_CFLAGS) -c $< -o $@

$(BUILD)/hxscan: $(REWRITER_OBJS)
	$(CC) $(SAN) -o $@ $(REWRITER_OBJS) -lelf -lcapstone

HXREWRITE_OBJS := $(patsubst %.c,$(BUILD)/rw/%.o,$(REWRITER_LIB_SRCS) rewriter/hxrewrite.c \
                    loader/elf_load.c)
$(BUILD)/hxrewrite: $(HXREWRITE_OBJS)
	$(CC) $(SAN) -o $@ $(HXREWRITE_OBJS) -lelf -lcapstone

.PHONY: scan-test
scan-test: $(BUILD)/hxscan
	tests/scan/run.sh $(BUILD)/hxscan $(BUILD)
