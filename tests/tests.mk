# tests/tests.mk - unit tests (CUnit, host, under ASan+UBSan), the integration runner that boots
# every guest test image, and `make test`.

UNIT_SRCS   := $(filter-out tests/unit/test_runner.c,$(wildcard tests/unit/test_*.c))
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
UNIT_CFLAGS := $(HOST_CFLAGS) $(SAN_FLAGS) -Ivmm -Itests/unit

# Every suite writes its JUnit XML report here (tests/junit.h, tests/junit.sh).
export PAGEVISOR_TEST_RESULTS ?= $(abspath $(BUILD)/test-results)

$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/unit.h tests/unit/pfn_fixture.h tests/junit.h tests/integration/udiff.h $(VMM_SAN_OBJS) | deps-test
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(UNIT_CFLAGS) -o $@ $< $(VMM_SAN_OBJS) -lcunit $(VMM_LIBS)

# The guest's image loader built for the host (with the fuzz target's shims), on the system DLL
# and an image as built.
$(BUILD)/tests/unit/test_guest_ldr: UNIT_CFLAGS += -Iguest/include
$(BUILD)/tests/unit/test_guest_ldr: fuzz/fuzz_guest_elf.c guest/ldr/elf.c $(GUEST_NTDLL) \
    $(BUILD)/images/hello.elf
# The exception marshalling (guest/ke/context.c) built for the host.
$(BUILD)/tests/unit/test_exception: UNIT_CFLAGS += -Iguest/include
$(BUILD)/tests/unit/test_exception: guest/ke/context.c guest/include/ntexcept.h guest/include/dbgk.h
# How make bench rounds a figure to its spread (bench/util.c, built in).
$(BUILD)/tests/unit/test_bench_fmt: UNIT_CFLAGS += -Ibench
$(BUILD)/tests/unit/test_bench_fmt: VMM_LIBS += -lm
$(BUILD)/tests/unit/test_bench_fmt: bench/util.c bench/bench.h
# The host reads the memory manager's variables out of the built kernel.
$(BUILD)/tests/unit/test_mm_inspect: $(GUEST_KERNEL)
# The symbolizer finds the system DLL inside both kernels.
$(BUILD)/tests/unit/test_symbols: $(GUEST_KERNEL) $(GUEST_KERNEL_3GB) $(GUEST_NTDLL)

.PHONY: deps-build deps-test unit-tests
deps-build:
	$(Q)tests/ensure-packages.sh build
deps-test:
	$(Q)tests/ensure-packages.sh build test

unit-tests: $(UNIT_TESTS)
	$(Q)failed=0; for t in $(UNIT_TESTS); do \
		echo "== $$t"; $$t || { echo "FAILED: $$t (exit $$?)"; failed=1; }; \
	done; exit $$failed

# The integration runner, and its static twin that runs inside the KVM runner VM.
INTEGRATION        := $(BUILD)/tests/integration
INTEGRATION_STATIC := $(BUILD)/tests/integration-static

$(INTEGRATION): tests/integration/integration.c tests/integration/udiff.h tests/junit.h | deps-test
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $< -lcunit

$(INTEGRATION_STATIC): tests/integration/integration.c tests/integration/udiff.h tests/junit.h | deps-test
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -static -o $@ $< -l:libcunit.a

.PHONY: integration multiboot-qemu
# On a host whose KVM cannot run 32-bit paged guests the suite runs in the KVM runner VM,
# which is prepared (downloaded once, cached) first.
integration: all $(INTEGRATION) $(INTEGRATION_STATIC) guest-host
	$(Q)$(INTEGRATION) $(if $(CASE),--only='$(CASE)') $(if $(SHARD),--shard=$(SHARD)) $(if $(filter-out 0,$(UPDATE)),--update$(if $(filter force,$(UPDATE)),=force))

# The integration runner and the CI workflow checked without booting a guest: case globs,
# --shard, --list, the diff, --update and JUnit XML (with a stand-in pagevisor), and
# .github/workflows/test.yml's YAML and shard matrix.
.PHONY: harness-tests
harness-tests: $(INTEGRATION) $(BUILD)/tests/unit/test_udiff
	$(Q)UNIT_TEST=$(BUILD)/tests/unit/test_udiff tests/integration-runner.sh $(INTEGRATION)
	$(Q)tests/ci-workflow.sh
	$(Q)tests/summary-check.sh

# The integration suite N times in a row; any case that failed or hung even once is reported.
.PHONY: soak
N ?= 5
soak: all $(INTEGRATION) $(INTEGRATION_STATIC) guest-host
	$(Q)tests/soak.sh $(N) $(INTEGRATION) $(if $(CASE),--only='$(CASE)')

# The same kernel under another Multiboot loader: QEMU's -kernel.
multiboot-qemu: all
	$(Q)tests/multiboot-qemu.sh

.PHONY: cli-tests
cli-tests: all guest-host
	$(Q)tests/cli.sh $(PAGEVISOR)

# Console input from a real terminal (a pseudo-terminal): keys, Ctrl-D, Ctrl-C, SIGTERM, and
# input that comes later than --timeout (typed, and from a pipe), with the terminal's modes
# checked afterwards. Boots the guest five times.
CONSOLE_TTY := $(BUILD)/tests/console-tty
$(CONSOLE_TTY): tests/console-tty.c tests/junit.h
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $<

.PHONY: console-tty
console-tty: all $(CONSOLE_TTY) guest-host
	$(Q)$(CONSOLE_TTY) $(PAGEVISOR) $(BUILD)/guest/kernel.elf $(BUILD)/images/console-echo.elf

# The gdb stub with Debian's gdb in batch mode and a raw protocol client (tests/gdb.sh): the
# README's walkthrough, hostile packets, Ctrl-C and kill, breakpoints beside the guest's own
# int3s. Boots the guest four times.
.PHONY: gdb-tests
gdb-tests: all guest-host
	$(Q)tests/gdb.sh $(PAGEVISOR)

.PHONY: san-smoke
san-smoke: all $(PAGEVISOR_SAN) guest-host
	$(Q)tests/san-smoke.sh $(PAGEVISOR_SAN)

# `make test`: everything is built first (in parallel), the runner prepared where this host
# needs it, then each suite runs in turn, all of them even when one fails. Each suite writes
# JUnit XML into $(TEST_RESULTS); the last line totals them.
TEST_RESULTS := $(PAGEVISOR_TEST_RESULTS)
TEST_SUITES  := unit-tests fuzz-replay harness-tests cli-tests san-smoke multiboot-qemu integration console-tty gdb-tests \
                install-test
.PHONY: test test-build
.SECONDEXPANSION:
test-build: deps-test all $$(UNIT_TESTS) $(PAGEVISOR_SAN) $(INTEGRATION) $(INTEGRATION_STATIC) \
            $(CONSOLE_TTY) guest-host
test:
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)mkdir -p $(TEST_RESULTS); rm -rf $(TEST_RESULTS)/*.xml $(TEST_RESULTS)/*-failures; status=0; \
	for s in $(TEST_SUITES); do \
		echo "== $$s"; $(MAKE) --no-print-directory $$s || { echo "== $$s FAILED"; status=1; }; \
	done; \
	tests/summary.sh $(TEST_RESULTS) || status=1; exit $$status
