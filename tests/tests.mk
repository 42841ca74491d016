# tests/tests.mk - unit tests (CUnit, host, under ASan+UBSan), the integration runner that boots
# every guest test image, and `make test`.

UNIT_SRCS   := $(filter-out tests/unit/test_runner.c,$(wildcard tests/unit/test_*.c))
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
UNIT_CFLAGS := $(HOST_CFLAGS) $(SAN_FLAGS) -Ivmm -Itests/unit

$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/unit.h tests/unit/pfn_fixture.h $(VMM_SAN_OBJS) | deps-test
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(UNIT_CFLAGS) -o $@ $< $(VMM_SAN_OBJS) -lcunit $(VMM_LIBS)

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

$(INTEGRATION): tests/integration/integration.c | deps-test
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $< -lcunit

$(INTEGRATION_STATIC): tests/integration/integration.c | deps-test
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -static -o $@ $< -l:libcunit.a

.PHONY: integration multiboot-qemu
# On a host whose KVM cannot run 32-bit paged guests the suite runs in the KVM runner VM,
# which is prepared (downloaded once, cached) first.
integration: all $(INTEGRATION) $(INTEGRATION_STATIC)
	$(Q)if ! $(PAGEVISOR) probe >/dev/null 2>&1; then tests/kvm-runner/prepare.sh; fi
	$(Q)$(INTEGRATION) $(if $(CASE),--only=$(CASE))

# The same kernel under another Multiboot loader: QEMU's -kernel.
multiboot-qemu: all
	$(Q)tests/multiboot-qemu.sh

.PHONY: cli-tests
cli-tests: all
	$(Q)tests/cli.sh $(PAGEVISOR)

# Console input from a real terminal (a pseudo-terminal): keys, Ctrl-D, Ctrl-C, SIGTERM, and
# input that comes later than --timeout (typed, and from a pipe), with the terminal's modes
# checked afterwards. Boots the guest five times.
CONSOLE_TTY := $(BUILD)/tests/console-tty
$(CONSOLE_TTY): tests/console-tty.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $<

.PHONY: console-tty
console-tty: all $(CONSOLE_TTY)
	$(Q)if ! $(PAGEVISOR) probe >/dev/null 2>&1; then tests/kvm-runner/prepare.sh; fi
	$(Q)$(CONSOLE_TTY) $(PAGEVISOR) $(BUILD)/guest/kernel.elf $(BUILD)/images/console-echo.elf

.PHONY: san-smoke
san-smoke: all $(PAGEVISOR_SAN)
	$(Q)tests/san-smoke.sh $(PAGEVISOR_SAN)

test: deps-test all unit-tests cli-tests san-smoke multiboot-qemu integration console-tty
