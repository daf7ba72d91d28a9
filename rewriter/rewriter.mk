# hxscan and hxrewrite, and the binary-analysis library they share.
# Included by the top Makefile, which defines BUILD, CC, CFLAGS, DEPFLAGS,
# LOADER_LIB and the $(BUILD)/h/%.o rule (before the include line) and runs
# make from the repository root:
#   make $(BUILD)/hxscan      build hxscan
#   make scan-test            build it and check it against strace (tests/scan/run.sh)
#   make $(BUILD)/hxrewrite   build hxrewrite
# The library is built once, as $(REWRITER_LIB), with the host's flags
# (make asan: with the sanitizers), and linked by hxrun, hxscan, hxrewrite and
# the unit tests; the fuzzers build their own copy with their compiler and
# flags (tests/fuzz/fuzz.mk, from $(REWRITER_LIB_SRCS)).

REWRITER_LIB_SRCS := rewriter/insn.c rewriter/disasm.c rewriter/code.c rewriter/cfg.c \
                     rewriter/eh_frame.c rewriter/elf_code.c rewriter/infer.c rewriter/scan.c \
                     rewriter/syscall_table.c rewriter/report.c rewriter/patch.c \
                     rewriter/elf_rewrite.c
REWRITER_LIB := $(BUILD)/librewriter.a
REWRITER_TOOLS := rewriter/hxscan.c rewriter/hxrewrite.c

$(REWRITER_LIB): $(patsubst %.c,$(BUILD)/h/%.o,$(REWRITER_LIB_SRCS))
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/hxscan: $(BUILD)/h/rewriter/hxscan.o $(REWRITER_LIB) $(LOADER_LIB)
	$(CC) $(SAN) -o $@ $^ -lelf -lcapstone
$(BUILD)/hxrewrite: $(BUILD)/h/rewriter/hxrewrite.o $(REWRITER_LIB) $(LOADER_LIB)
	$(CC) $(SAN) -o $@ $^ -lelf -lcapstone

-include $(patsubst %.c,$(BUILD)/h/%.d,$(REWRITER_LIB_SRCS) $(REWRITER_TOOLS))

.PHONY: scan-test
scan-test: $(BUILD)/hxscan
	tests/scan/run.sh $(BUILD)/hxscan $(BUILD)
