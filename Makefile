# hx: build the guest kernel, embed it in hxrun, run the tests.
BUILD ?= build
CC ?= cc

WARN := -Wall -Wextra -Werror
# Sanitizers for the host side (make asan sets them); never the kernel.
SAN ?=
CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -Iinclude -Iloader -Isyscalls -Irewriter $(SAN)
LDLIBS := -lelf
# Every object's header dependencies, written by the compiler beside it
# (.d, included at the end); -MP adds an empty rule per header so that a
# header removed from the tree does not stop the build.
DEPFLAGS := -MMD -MP

# The guest kernel: freestanding, upper half, no SSE (it must never touch
# the program's vector registers), no red zone (exceptions share stacks).
KCFLAGS := -std=c11 -O2 -g $(WARN) -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
	-ffunction-sections -fdata-sections \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-builtin -Iinclude -Ikernel -Isyscalls -Iminifs

KERNEL_SRC := $(wildcard kernel/*.c) $(wildcard syscalls/*.c) $(wildcard minifs/*.c)
# make kernel SYSCALLS=FILE builds $(BUILD)/trim/hxkernel.elf with only the
# system calls FILE lists (hxscan --trim); the others answer -ENOSYS and
# their code is not linked. hxrun --kernel PATH runs it.
ifdef SYSCALLS
KDIR := $(BUILD)/trim
KTABLE := $(KDIR)/table.h
KCFLAGS += -DHX_SYSCALL_TABLE='"$(abspath $(KTABLE))"'
else
KDIR := $(BUILD)
endif
KERNEL_OBJ := $(patsubst %.c,$(KDIR)/k/%.o,$(KERNEL_SRC)) $(KDIR)/k/kernel/entry.o
KERNEL := $(KDIR)/hxkernel.elf

# The loader (ELF validation, the process image, ld.so's library search) is
# one static library, built once and linked by hxrun, hxscan, hxrewrite and
# the unit tests; the rewriter's is $(REWRITER_LIB) (rewriter/rewriter.mk).
LOADER_SRC := $(wildcard loader/*.c)
LOADER_LIB := $(BUILD)/libloader.a

# hxrun finds a program's libraries as ld.so does (for --no-host-root) with
# the loader's resolver, which it shares with hxscan.
# --fastcall rewrites with hxrewrite's code, linked in (Capstone).
# seccomp_gen.c and seccomp_policy.c run at build time (the allowlist,
# compiled to BPF with libseccomp and embedded by seccomp_blob.S).
SECCOMP_BUILD_SRC := hypervisor/seccomp_gen.c hypervisor/seccomp_policy.c
HOST_SRC := $(filter-out $(SECCOMP_BUILD_SRC),$(wildcard hypervisor/*.c))
HOST_OBJ := $(patsubst %.c,$(BUILD)/h/%.o,$(HOST_SRC)) $(BUILD)/h/hypervisor/kernel_blob.o \
	$(BUILD)/h/hypervisor/seccomp_blob.o
HXRUN := $(BUILD)/hxrun

.PHONY: all kernel demo test table-test unit-test guest-test compat-test confine-test hostile-test sandbox-test cli-test trim-test signals-test fastcall-test server-test bench bench-fastcall format format-check lint clean deps
all: $(HXRUN) $(BUILD)/hxscan $(BUILD)/hxrewrite
kernel: $(KERNEL)

$(LOADER_LIB): $(patsubst %.c,$(BUILD)/h/%.o,$(LOADER_SRC))
	rm -f $@
	$(AR) rcs $@ $^
include rewriter/rewriter.mk

$(KDIR)/k/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) $(DEPFLAGS) -c $< -o $@
$(KDIR)/k/kernel/entry.o: kernel/entry.S
	@mkdir -p $(dir $@)
	$(CC) -Iinclude -Ikernel -D__ASSEMBLER__ $(DEPFLAGS) -c $< -o $@
$(KERNEL): $(KERNEL_OBJ) kernel/kernel.ld
	ld -nostdlib -z max-page-size=4096 -z noexecstack --gc-sections -T kernel/kernel.ld \
		-o $@ $(KERNEL_OBJ)
	@size $@
ifdef SYSCALLS
$(KDIR)/k/syscalls/dispatch.o: $(KTABLE)
$(KTABLE): $(SYSCALLS) syscalls/table.h scripts/trim-table.sh
	@mkdir -p $(dir $@)
	scripts/trim-table.sh $(SYSCALLS) syscalls/table.h >$@
endif

$(BUILD)/h/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@
$(BUILD)/h/hypervisor/kernel_blob.o: hypervisor/kernel_blob.S $(BUILD)/hxkernel.elf
	@mkdir -p $(dir $@)
	$(CC) -DHX_KERNEL_ELF='"$(BUILD)/hxkernel.elf"' -c $< -o $@
$(BUILD)/hx_seccomp_gen: $(SECCOMP_BUILD_SRC) hypervisor/seccomp_policy.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -o $@ $(SECCOMP_BUILD_SRC) -lseccomp
$(BUILD)/seccomp.bpf: $(BUILD)/hx_seccomp_gen
	$(BUILD)/hx_seccomp_gen $@
$(BUILD)/h/hypervisor/seccomp_blob.o: hypervisor/seccomp_blob.S $(BUILD)/seccomp.bpf
	@mkdir -p $(dir $@)
	$(CC) -DHX_SECCOMP_BPF='"$(BUILD)/seccomp.bpf"' -c $< -o $@
$(HXRUN): $(HOST_OBJ) $(REWRITER_LIB) $(LOADER_LIB)
	$(CC) $(SAN) -no-pie -o $@ $(HOST_OBJ) $(REWRITER_LIB) $(LOADER_LIB) -Wl,-Bstatic -lcapstone \
		-Wl,-Bdynamic $(LDLIBS)

# The README's first command: build and run a demo program under hxrun.
demo: $(HXRUN)
	@mkdir -p $(BUILD)/demo
	musl-gcc -static -O2 -o $(BUILD)/demo/hello tests/demo/hello.c
	$(HXRUN) --stats $(BUILD)/demo/hello

include tests/unit/unit.mk
include tests/fuzz/fuzz.mk
-include $(KERNEL_OBJ:.o=.d) $(HOST_OBJ:.o=.d) $(LOADER_SRC:%.c=$(BUILD)/h/%.d)

# hxrun rewrites programs for fastcalls on first use (its default); the
# tests keep those copies in the build directory, not in ~/.cache.
TESTS := table-test unit-test cli-test guest-test compat-test confine-test hostile-test \
	sandbox-test scan-test trim-test signals-test fastcall-test server-test fuzz-test
$(TESTS): export XDG_CACHE_HOME := $(abspath $(BUILD))/cache
test: $(TESTS)
# Servers under hxrun with host clients over loopback: Debian's redis-server
# (redis-cli, redis-benchmark) and nginx (curl, wrk).
server-test: $(HXRUN)
	tests/compat/redis.sh $(HXRUN)
	tests/compat/nginx.sh $(HXRUN)
signals-test: $(HXRUN)
	tests/signals/run.sh $(HXRUN) $(BUILD)
# syscalls/table.h says where each system call is implemented: it must be true.
table-test:
	scripts/check-table.sh
trim-test: $(HXRUN) $(BUILD)/hxscan
	tests/trim/run.sh $(HXRUN) $(BUILD)
cli-test: $(HXRUN)
	tests/cli/run.sh $(HXRUN) $(BUILD)
hostile-test: $(HXRUN)
	tests/hostile/run.sh $(HXRUN) $(BUILD)
# The monitor's seccomp filter, no_new_privs and capabilities.
sandbox-test: $(HXRUN)
	tests/sandbox/run.sh $(HXRUN) $(BUILD)
guest-test: $(HXRUN)
	tests/guest/run.sh $(HXRUN) $(BUILD)
compat-test: $(HXRUN)
	tests/compat/busybox.sh $(HXRUN)
	tests/compat/files.sh $(HXRUN)
	tests/compat/programs.sh $(HXRUN)
	tests/compat/procs.sh $(HXRUN) $(BUILD)
confine-test: $(HXRUN)
	tests/confine/run.sh $(HXRUN) $(BUILD)
# hxrewrite and hxrun --fastcall (issue 7).
fastcall-test: $(HXRUN) $(BUILD)/hxrewrite
	tests/fastcall/run.sh $(HXRUN) $(BUILD)

# The host side (hxrun, hxscan, hxrewrite, the unit tests) built with
# AddressSanitizer and UBSan into $(BUILD)/asan, and the suites that drive
# it. The kernel there is built as always (KCFLAGS: no sanitizer).
# hxrun sets its own ASan options (main.c: its SIGSEGV/SIGBUS handler and
# its seccomp filter need them). -fno-sanitize-recover: a UBSan report ends
# the program, so the suite sees it fail. The unit tests are leak-checked.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
ASAN_BUILD := $(BUILD)/asan
.PHONY: asan
asan:
	$(MAKE) BUILD=$(ASAN_BUILD) SAN="$(ASAN_FLAGS)" all
	$(MAKE) BUILD=$(ASAN_BUILD) SAN="$(ASAN_FLAGS)" unit-test cli-test hostile-test confine-test \
		sandbox-test
	tests/san/run.sh $(ASAN_BUILD)

bench: $(HXRUN) $(BUILD)/hxrewrite
	scripts/bench/run.sh $(HXRUN) $(BUILD)
	scripts/bench/threads.sh $(HXRUN) $(BUILD)
	scripts/bench/fastcall.sh $(HXRUN) $(BUILD)
	scripts/bench/net.sh $(HXRUN) $(BUILD)
	scripts/bench/proc.sh $(HXRUN) $(BUILD)
bench-fastcall: $(HXRUN) $(BUILD)/hxrewrite
	scripts/bench/fastcall.sh $(HXRUN) $(BUILD)

deps:
	scripts/deps.sh

FORMAT_SRC = $(shell git ls-files '*.c' '*.h')
format:
	clang-format -i $(FORMAT_SRC)
# What make format would change, file by file (CI runs it).
format-check:
	@bad=$$(for f in $(FORMAT_SRC); do \
		clang-format --dry-run -Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$bad" ]; then \
		echo "format-check: clang-format would change (make format):"; echo "$$bad"; exit 1; \
	fi

# Static analysis of the host code (hxrun, hxscan, hxrewrite, the unit tests
# and fuzzers): clang-tidy with the checks in .clang-tidy, through
# scripts/lint.sh. clang-tidy rather than cppcheck: it parses with clang, so
# it sees the real system headers, types and macros (cppcheck 2.10 reads the
# code without them and, here, takes int64_t range checks for always-false
# conditions), and its path-sensitive analyzer follows leaks, null pointers
# and undefined shifts across calls; bugprone/cert/misc add checks of the
# mistakes a C reviewer looks for. The guest kernel is not linted (see
# .clang-tidy). The file list follows the tree; one set of flags covers
# them all (the unit tests' -iquote kernel and Check flags included).
# -Wno-string-concatenation: as in tests/fuzz/fuzz.mk.
LINT_DIRS := hypervisor loader rewriter minifs tests/unit tests/fuzz
LINT_SRC = $(wildcard $(addsuffix /*.c,$(LINT_DIRS)))
LINT_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-string-concatenation \
	-Iinclude -Iloader -Isyscalls -Irewriter -Ihypervisor -Iminifs -iquote kernel \
	$(shell pkg-config --cflags check)
lint:
	LINT_CFLAGS='$(LINT_CFLAGS)' scripts/lint.sh $(LINT_SRC)

clean:
	rm -rf $(BUILD)
