# libFuzzer harnesses (clang). Included by the top Makefile after
# rewriter/rewriter.mk, which defines REWRITER_LIB_SRCS:
#   make fuzz FUZZ_S=N     runs each fuzzer for N seconds (default 60)
#   make fuzz-test         runs each for FUZZ_TEST_S seconds (part of make test)
# Seeds and crash reproducers live in tests/fuzz/corpus/NAME (in git); the
# corpus each run grows, and any new crash, go to $(BUILD)/fuzz.
# -Wno-string-concatenation: clang mistakes rewriter/insn.c's long messages,
# split over two literals, for a missing comma.
FUZZ_CC := clang
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -Wno-string-concatenation \
               -fno-omit-frame-pointer -Iinclude -Iloader -Isyscalls -Irewriter -Ihypervisor
FUZZ_S ?= 60
FUZZ_TEST_S ?= 25
FUZZERS := elf rewrite hcall

FUZZ_ELF_SRCS := tests/fuzz/fuzz_elf.c loader/elf_load.c rewriter/elf_dyn.c
FUZZ_REWRITE_SRCS := tests/fuzz/fuzz_rewrite.c loader/elf_load.c $(REWRITER_LIB_SRCS)
# The monitor without its KVM setup (vm.c), command line (main.c) and
# seccomp filter (sandbox.c and its build-time generator); hostfs and the
# fastcall cache need the rewriter's library.
FUZZ_HCALL_SRCS := tests/fuzz/fuzz_hcall.c loader/elf_load.c $(REWRITER_LIB_SRCS) \
                   $(filter-out hypervisor/main.c hypervisor/vm.c hypervisor/sandbox.c \
                     $(SECCOMP_BUILD_SRC), \
                     $(wildcard hypervisor/*.c))
FUZZ_DEPS := $(wildcard include/hx/*.h hypervisor/*.h loader/*.h rewriter/*.h) tests/fuzz/fuzz.mk

$(BUILD)/fuzz/fuzz_elf: $(FUZZ_ELF_SRCS) $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_ELF_SRCS) -lelf
$(BUILD)/fuzz/fuzz_rewrite: $(FUZZ_REWRITE_SRCS) $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_REWRITE_SRCS) -lelf -lcapstone
$(BUILD)/fuzz/fuzz_hcall: $(FUZZ_HCALL_SRCS) $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_HCALL_SRCS) -Wl,--wrap=ioctl -lelf -lcapstone

FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZERS))

.PHONY: fuzz fuzz-test fuzz-build
fuzz-build: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	tests/fuzz/run.sh $(BUILD) $(FUZZ_S) $(FUZZERS)
fuzz-test: $(FUZZ_BINS)
	tests/fuzz/run.sh $(BUILD) $(FUZZ_TEST_S) $(FUZZERS)
