# pagevisor: a KVM monitor and an NT-style 32-bit guest kernel.
#   make          build everything into build/
#   make run      build and run the demo (installs missing Debian packages when root)
#   make test     build and run unit tests and every guest test image
#   make bench    benchmarks: ratios against peers run side by side on this machine
#   make clean    remove build/
#   V=1           show full commands
# Each area keeps its own rules in an .mk file beside its sources.

V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

BUILD   := build
SHELL   := /bin/bash

# Build in parallel by default, one job per CPU; `make -jN` (or -j1) on the command line wins.
# The test suites themselves run one after another (see `test` in tests/tests.mk).
ifeq ($(MAKELEVEL)$(filter -j%,$(MAKEFLAGS)),0)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif

HOST_CC     ?= gcc
# The host program's areas (vmm/vmm.mk): the VM core, runner/, store/, trace/.
VMM_AREAS   := vmm vmm/gdb vmm/inspect vmm/runner vmm/store vmm/trace
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Ishared $(addprefix -I,$(VMM_AREAS)) \
               -D_GNU_SOURCE $(EXTRA_CFLAGS)
HOST_LDFLAGS := $(EXTRA_LDFLAGS)

GUEST_CC     := gcc
# Frame pointers: crash reports walk the guest's EBP chain for a backtrace.
GUEST_CFLAGS := -std=gnu11 -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
                -fno-asynchronous-unwind-tables -mgeneral-regs-only -fno-builtin -nostdinc \
                -isystem $(shell $(GUEST_CC) -m32 -print-file-name=include) \
                -O2 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -Ishared
GUEST_LD     := ld -m elf_i386

.PHONY: all run test clean
all:

include vmm/vmm.mk
include guest/guest.mk
include tests/tests.mk
include tests/kvm-runner/runner.mk
include bench/bench.mk
include sdk/install.mk
include fuzz/fuzz.mk

# The demo: the guest boots (its log shown with --verbose) and runs a process whose working set
# is larger than its 6 MiB of RAM, so pages move to and from the host's pagefile; it ends with
# the guest's and the host's summaries of faults by kind and pagefile traffic. Where this
# host's KVM cannot run 32-bit paged guests it runs in the KVM runner VM.
DEMO_IMAGES := --mem 6M $(BUILD)/images/demo-paging.elf summary
run: deps-build $(PAGEVISOR) $(PAGEVISOR_STATIC) $(GUEST_KERNEL) $(BUILD)/images/demo-paging.elf guest-host
	$(Q)$(PAGEVISOR) run --verbose $(DEMO_IMAGES)

# The second demo: nine processes of one image sharing its code pages (img-share), then a 1 MiB
# file of a scratch volume mapped and incremented by two processes in turn (map-increment), its
# checksum on the host afterwards.
.PHONY: run-sharing
run-sharing: deps-build $(PAGEVISOR) $(PAGEVISOR_STATIC) $(GUEST_KERNEL) $(BUILD)/images/img-share.elf \
             $(BUILD)/images/map-increment.elf guest-host
	$(Q)$(PAGEVISOR) run --stats $(BUILD)/images/img-share.elf
	$(Q)vol=$$(mktemp -d) && trap 'rm -rf "$$vol"' EXIT && \
	  head -c 1048576 /dev/zero >"$$vol/data.bin" && \
	  $(PAGEVISOR) run --stats --mem 4M --volume "$$vol" $(BUILD)/images/map-increment.elf data.bin -- \
	    $(BUILD)/images/map-increment.elf data.bin && \
	  echo "on the host: $$(cksum <"$$vol/data.bin") (every word is now 2)"

# The README's sample outputs, rewritten from real runs (docs/samples.sh).
.PHONY: readme-samples
readme-samples: all guest-host
	$(Q)docs/samples.sh README.md

clean:
	rm -rf $(BUILD)

# Print a short line per step unless V=1.
define say
	@$(if $(filter 1,$(V)),true,printf '  %-8s %s\n' "$(1)" "$(2)")
endef
