# libFuzzer harnesses (clang). Included by the top Makefile after
# rewriter/rewriter.mk, which defines REWRITER_LIB_SRCS:
#   make fuzz FUZZ_S=N     runs each fuzzer for N seconds (default 60)
#   make fuzz-test         runs each for FUZZ_TEST_S seconds (part of make test)
# Seeds and crash reproducers live in tests/fuzz/corpus/NAME (in git); the
# corpus each run grows, and any new crash, go to $(BUILD)/fuzz.
# The fuzzers' compiler and flags differ from the host build's, so the
# loader and rewriter libraries are built again for them, once, into
# $(BUILD)/fuzz.
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

FUZZ_O := $(BUILD)/fuzz/o
$(FUZZ_O)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@
FUZZ_LOADER_LIB := $(BUILD)/fuzz/libloader.a
FUZZ_REWRITER_LIB := $(BUILD)/fuzz/librewriter.a
$(FUZZ_LOADER_LIB): $(patsubst %.c,$(FUZZ_O)/%.o,$(LOADER_SRC))
	rm -f $@
	$(AR) rcs $@ $^
$(FUZZ_REWRITER_LIB): $(patsubst %.c,$(FUZZ_O)/%.o,$(REWRITER_LIB_SRCS))
	rm -f $@
	$(AR) rcs $@ $^

# The monitor without its KVM setup (vm*.c), command line (main.c) and
# seccomp filter (sandbox.c and its build-time generator); hostfs and the
# fastcall cache need the rewriter's library.
FUZZ_HCALL_SRCS := tests/fuzz/fuzz_hcall.c \
                   $(filter-out hypervisor/main.c hypervisor/vm%.c hypervisor/sandbox.c \
                     $(SECCOMP_BUILD_SRC), \
                     $(wildcard hypervisor/*.c))
FUZZ_OBJS := $(patsubst %.c,$(FUZZ_O)/%.o,$(FUZZ_HCALL_SRCS) tests/fuzz/fuzz_elf.c \
               tests/fuzz/fuzz_rewrite.c $(LOADER_SRC) $(REWRITER_LIB_SRCS))

$(BUILD)/fuzz/fuzz_elf: $(FUZZ_O)/tests/fuzz/fuzz_elf.o $(FUZZ_LOADER_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ -lelf
$(BUILD)/fuzz/fuzz_rewrite: $(FUZZ_O)/tests/fuzz/fuzz_rewrite.o $(FUZZ_REWRITER_LIB) \
                            $(FUZZ_LOADER_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ -lelf -lcapstone
$(BUILD)/fuzz/fuzz_hcall: $(patsubst %.c,$(FUZZ_O)/%.o,$(FUZZ_HCALL_SRCS)) $(FUZZ_REWRITER_LIB) \
                          $(FUZZ_LOADER_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ -Wl,--wrap=ioctl -lelf -lcapstone

-include $(FUZZ_OBJS:.o=.d)

FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZERS))

.PHONY: fuzz fuzz-test fuzz-build
fuzz-build: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	tests/fuzz/run.sh $(BUILD) $(FUZZ_S) $(FUZZERS)
fuzz-test: $(FUZZ_BINS)
	tests/fuzz/run.sh $(BUILD) $(FUZZ_TEST_S) $(FUZZERS)
