# tests/kvm-runner/runner.mk - the KVM runner: a throwaway Linux VM under QEMU's emulator whose
# KVM runs 32-bit paged guests (see vmm/runner/runner.h).
#   make runner           prepare it (download the Debian kernel and busybox once, build the
#                         initramfs; cached in ~/.cache/pagevisor/runner)
#   make runner-check     a real round trip through the VM: status, stdout/stderr, files, timeout
#
# RUNNER_OBJS: the runner's host code, linked into build/pagevisor (and its static twin).

RUNNER_SRCS := vmm/runner/runner.c vmm/runner/frames.c vmm/runner/vm_path.c vmm/runner/runner_cli.c vmm/runner/cpio.c vmm/fdio.c vmm/prefix.c vmm/input_wait.c \
               vmm/runner/sparse_file.c vmm/runner/volume_sync.c
RUNNER_OBJS := $(patsubst vmm/%.c,$(BUILD)/vmm/%.o,$(RUNNER_SRCS))

$(RUNNER_OBJS): $(BUILD)/vmm/%.o: vmm/%.c $(VMM_HEADERS) shared/pv_abi.h
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -c $< -o $@

# Unit test: the cpio writer, the host->VM path rule, the result-stream parser (ASan + UBSan).
RUNNER_SAN_FLAGS := $(if $(SAN_FLAGS),$(SAN_FLAGS),-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
RUNNER_TEST := $(BUILD)/tests/unit/test_runner
RUNNER_TEST_OBJS := $(patsubst vmm/%.c,$(BUILD)/runner-san/vmm/%.o,$(RUNNER_SRCS))

$(RUNNER_TEST_OBJS): $(BUILD)/runner-san/vmm/%.o: vmm/%.c $(VMM_HEADERS) shared/pv_abi.h
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(RUNNER_SAN_FLAGS) -c $< -o $@

$(RUNNER_TEST): tests/unit/test_runner.c $(RUNNER_TEST_OBJS)
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)if [ ! -f /usr/include/CUnit/Basic.h ]; then \
		echo "CUnit is missing: apt-get install libcunit1-dev" >&2; exit 1; fi
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(RUNNER_SAN_FLAGS) -Ivmm -o $@ $< $(RUNNER_TEST_OBJS) -lcunit

UNIT_TESTS += $(RUNNER_TEST)
unit-tests: $(RUNNER_TEST)

.PHONY: runner runner-check guest-host
runner:
	$(Q)tests/kvm-runner/prepare.sh

# The one step every target that boots a guest depends on: nothing where this host's KVM runs
# 32-bit paged guests; elsewhere it says why, installs QEMU and prepares the runner (once; it
# is cached, see PAGEVISOR_CACHE in README.md).
guest-host: $(PAGEVISOR)
	$(Q)tests/kvm-runner/prepare.sh --if-needed $(PAGEVISOR)

# A small driver that calls runner_main() directly, so the runner can be checked without the
# rest of pagevisor (the VM gets no pagevisor: PAGEVISOR_STATIC=none).
RUNNER_CLI := $(BUILD)/tests/kvm-runner/runner-cli
$(RUNNER_CLI): tests/kvm-runner/runner_cli.c $(RUNNER_OBJS)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ivmm -o $@ $< $(RUNNER_OBJS)

runner-check: $(RUNNER_CLI) runner
	$(Q)tests/kvm-runner/check.sh $(RUNNER_CLI)

-include $(RUNNER_OBJS:.o=.d)
