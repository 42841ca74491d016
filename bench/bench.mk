# bench/bench.mk - `make bench`: benchmarks measured side by side with their peers on this
# machine, printed as tables and saved as JSON under build/bench/. Never asserts a time.
#   make bench                all of them, one after the other
#   make bench-host-path      the host service path only: pages served through a tiny 32-bit
#                             guest's hypercalls against userfaultfd and pread, clusters of 1, 3
#                             and 16 pages, directly where this host's KVM runs that guest
#                             (host-path --check), else in the KVM runner VM (bench/host-path.sh;
#                             BENCH_ARGS="--pages 4096 --runs 3", --runner forces the runner)
#   make bench-full-system    the full system only: the guest's demand-zero faults and page-ins
#                             against Linux and userfaultfd on the same kernel, in the KVM runner
#                             VM where this host's KVM cannot run the guest (BENCH_FS_ARGS:
#                             full-system options, e.g. BENCH_FS_ARGS="--runs 3")
#   make bench-clusters       clustered page-ins only: VM exits per page-in by backing store
#                             (image, section, pagefile), sequential and random (bench/clusters.sh)
#   make bench-appel          Appel & Li's user-level VM primitives: a protection fault handled
#                             in user mode, in the guest and in Linux (SIGSEGV, userfaultfd)
#                             (bench/appel.sh; BENCH_APPEL_ARGS="--runs 5 --pages 1024")
#   make bench-trace          what --trace costs: host instructions per record (callgrind) and
#                             a traced demand-zero loop against an untraced one, each format
#                             (bench/trace.sh; BENCH_TRACE_ARGS="--runs 5 --pages 8192")
#   make bench-boot           boot to exit of hello: pagevisor run --stats's phases (VMM set-up,
#                             guest boot, images, guest exit, teardown) and qemu-system-i386
#                             -kernel booting the same kernel, both timed from outside
#                             (bench/boot.sh; BENCH_BOOT_ARGS="--runs 9")

BENCH_DIR       := $(BUILD)/bench
BENCH_HOST_PATH := $(BENCH_DIR)/host-path
BENCH_HOST_PATH_STATIC := $(BENCH_DIR)/host-path-static
# Everything bench/host-path.sh needs: the driver here, its static twin and pagevisor's for the
# KVM runner VM, and pagevisor (which starts the runner).
BENCH_HP_DEPS   := $(BENCH_HOST_PATH) $(BENCH_HOST_PATH_STATIC) $(PAGEVISOR) $(PAGEVISOR_STATIC)
BENCH_GUEST_BIN := $(BENCH_DIR)/pagein.bin
BENCH_SRCS      := $(wildcard bench/*.c)
BENCH_OBJS      := $(patsubst bench/%.c,$(BENCH_DIR)/%.o,$(BENCH_SRCS)) $(BENCH_DIR)/guest_image.o
BENCH_VMM_OBJS  := $(BUILD)/vmm/store/pagefile.o $(BUILD)/vmm/fdio.o $(BUILD)/vmm/kvm_x86.o
BENCH_CFLAGS    := $(HOST_CFLAGS) -Ivmm -Ibench
BENCH_ARGS      ?=
BENCH_FS_ARGS   ?=

BENCH_IMAGE_SRCS := $(wildcard bench/images/*.c)
BENCH_IMAGES     := $(patsubst bench/images/%.c,$(BENCH_DIR)/images/%.elf,$(BENCH_IMAGE_SRCS))
BENCH_FS         := $(BENCH_DIR)/full-system
BENCH_FS_OBJS    := $(patsubst bench/full/%.c,$(BENCH_DIR)/full/%.o,$(wildcard bench/full/*.c)) \
                    $(BENCH_DIR)/uffd_peer.o $(BENCH_DIR)/workload.o $(BENCH_DIR)/util.o \
                    $(BUILD)/vmm/trace/trace.o $(BUILD)/vmm/trace/pte_format.o
# Everything the full-system run needs: the driver, the images, the guest kernel, pagevisor
# and its static twin (which the runner VM gets).
BENCH_FS_DEPS    := $(BENCH_FS) $(BENCH_IMAGES) $(GUEST_KERNEL) $(PAGEVISOR) $(PAGEVISOR_STATIC)
# Appel & Li's primitives: its own static driver, with full-system's guest runner and clock.
BENCH_APPEL      := $(BENCH_DIR)/vm-primitives
BENCH_APPEL_OBJS := $(BENCH_DIR)/appel/appel.o $(BENCH_DIR)/full/fs_guest.o \
                    $(BENCH_DIR)/full/fs_peers.o $(BENCH_DIR)/uffd_peer.o $(BENCH_DIR)/workload.o \
                    $(BENCH_DIR)/util.o \
                    $(BUILD)/vmm/trace/trace.o $(BUILD)/vmm/trace/pte_format.o
BENCH_APPEL_DEPS := $(BENCH_APPEL) $(BENCH_DIR)/images/bench-appel.elf $(GUEST_KERNEL) \
                    $(PAGEVISOR) $(PAGEVISOR_STATIC)
BENCH_APPEL_ARGS ?=
# What --trace costs (the rules are under "trace" below).
BENCH_TRACE_COST     := $(BENCH_DIR)/trace-cost
BENCH_TRACE_OVERHEAD := $(BENCH_DIR)/trace-overhead
BENCH_TRACE_DEPS     := $(BENCH_TRACE_COST) $(BENCH_TRACE_OVERHEAD) $(BENCH_DIR)/images/bench-dz.elf \
                        $(GUEST_KERNEL) $(PAGEVISOR) $(PAGEVISOR_STATIC)
BENCH_TRACE_ARGS ?=
# Boot to exit of hello (the rules are under "boot" below).
BENCH_BOOT_TIMES := $(BENCH_DIR)/boot-times
BENCH_BOOT_DEPS  := $(BENCH_BOOT_TIMES) $(GUEST_KERNEL) $(BUILD)/images/hello.elf \
                    $(PAGEVISOR) $(PAGEVISOR_STATIC)
BENCH_BOOT_ARGS  ?=

.PHONY: bench bench-host-path bench-full-system bench-clusters bench-appel
bench: $(BENCH_HP_DEPS) $(BENCH_FS_DEPS) $(BENCH_APPEL_DEPS) $(BENCH_TRACE_DEPS) \
       $(BENCH_BOOT_DEPS) guest-host
	$(Q)bench/host-path.sh $(BENCH_ARGS)
	$(Q)bench/full-system.sh $(BENCH_FS_ARGS)
	$(Q)bench/clusters.sh
	$(Q)bench/appel.sh $(BENCH_APPEL_ARGS)
	$(Q)tests/ensure-packages.sh bench
	$(Q)bench/trace.sh $(BENCH_TRACE_ARGS)
	$(Q)tests/ensure-packages.sh runner
	$(Q)bench/boot.sh $(BENCH_BOOT_ARGS)

bench-appel: $(BENCH_APPEL_DEPS) guest-host
	$(Q)bench/appel.sh $(BENCH_APPEL_ARGS)

bench-clusters: $(PAGEVISOR) $(GUEST_KERNEL) $(BENCH_DIR)/images/bench-cluster.elf guest-host
	$(Q)bench/clusters.sh

bench-host-path: $(BENCH_HP_DEPS)
	$(Q)bench/host-path.sh $(BENCH_ARGS)

bench-full-system: $(BENCH_FS_DEPS) guest-host
	$(Q)bench/full-system.sh $(BENCH_FS_ARGS)

$(BENCH_DIR)/%.o: bench/%.c $(wildcard bench/*.h bench/guest/*.h shared/*.h) $(VMM_HEADERS) | deps-build
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -MMD -c $< -o $@

# The guest: 32-bit code (gcc -m32 runs the preprocessor, then as --32), linked at its load
# address (PAGEIN_LOAD_GPA in bench/guest/pagein.h) and cut down to a flat binary.
$(BENCH_DIR)/guest/pagein.o: bench/guest/pagein.S bench/guest/pagein.h | deps-build
	@mkdir -p $(@D)
	$(call say,AS,$@)
	$(Q)$(GUEST_CC) -m32 -c -Ibench/guest $< -o $@

$(BENCH_DIR)/guest/pagein.elf: $(BENCH_DIR)/guest/pagein.o
	$(call say,LD,$@)
	$(Q)$(GUEST_LD) -Ttext=0x1000 -e _start -o $@ $<

$(BENCH_GUEST_BIN): $(BENCH_DIR)/guest/pagein.elf
	$(call say,OBJCOPY,$@)
	$(Q)objcopy -O binary -j .text $< $@

# The host program carries the guest inside it (.incbin finds it through -I).
$(BENCH_DIR)/guest_image.o: bench/guest_image.S $(BENCH_GUEST_BIN)
	$(call say,AS,$@)
	$(Q)$(HOST_CC) -c -Wa,-I$(BENCH_DIR) $< -o $@

$(BENCH_HOST_PATH): $(BENCH_OBJS) $(BENCH_VMM_OBJS)
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -pthread -o $@ $^ -lm

# Its static twin, for the KVM runner VM's busybox userland (bench/host-path.sh puts it there).
$(BENCH_HOST_PATH_STATIC): $(BENCH_OBJS) $(BENCH_VMM_OBJS)
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -static -pthread -o $@ $^ -lm

-include $(patsubst %.o,%.d,$(filter-out $(BENCH_DIR)/guest_image.o,$(BENCH_OBJS)))

# ------------------------------------------------------------------------- full system
# Guest images of the full-system benchmark (bench/images/NAME.c -> build/bench/images/
# NAME.elf), compiled and linked exactly as the test images are (guest/guest.mk).
$(BENCH_DIR)/images/%.o: bench/images/%.c bench/images/pvbench.h
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(GUEST_CC) $(GUEST_IMAGE_CFLAGS) -Ibench/images -c -o $@ $<

$(BENCH_DIR)/images/%.elf: $(BENCH_DIR)/images/%.o $(GUEST_USER_CRT0) $(GUEST_USER_LIB) \
                           $(GUEST_USER_LDS)
	$(call say,LD,$@)
	$(Q)$(GUEST_LD) -T $(GUEST_USER_LDS) -z max-page-size=0x1000 -o $@ \
		$(GUEST_USER_CRT0) $< $(GUEST_USER_LIB)

.PRECIOUS: $(BENCH_DIR)/images/%.o
-include $(BENCH_IMAGES:.elf=.d)

# The full-system driver: one static program (it also runs inside the KVM runner VM, whose
# userland is busybox), reusing the host-path benchmark's userfaultfd file peer.
$(BENCH_DIR)/full/%.o: bench/full/%.c $(wildcard bench/full/*.h bench/*.h shared/*.h) $(VMM_HEADERS) \
                       | deps-build
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -Ibench/full -MMD -c $< -o $@

$(BENCH_FS): $(BENCH_FS_OBJS)
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -static -pthread -o $@ $^ -lm

-include $(patsubst %.o,%.d,$(filter $(BENCH_DIR)/full/%,$(BENCH_FS_OBJS)))

$(BENCH_DIR)/appel/%.o: bench/appel/%.c $(wildcard bench/full/*.h bench/*.h shared/*.h) | deps-build
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -Ibench/full -MMD -c $< -o $@

$(BENCH_APPEL): $(BENCH_APPEL_OBJS)
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -static -pthread -o $@ $^ -lm

-include $(BENCH_DIR)/appel/appel.d

# ----------------------------------------------------------------------- trace
# What --trace costs (bench/trace.sh): host instructions per fault record on the vCPU's exit
# path and on the writer thread, counted by callgrind on bench/trace/trace_cost.c (no VM), and
# a traced warm demand-zero loop against an untraced one in each format
# (bench/trace/trace_overhead.c, static: it also runs in the KVM runner VM). Their variables are
# at the top: `bench:` names them.

$(BENCH_DIR)/trace/%.o: bench/trace/%.c $(VMM_HEADERS) $(wildcard bench/full/*.h bench/*.h shared/*.h) \
                        | deps-build
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -Ibench/full -MMD -c $< -o $@

$(BENCH_TRACE_COST): $(BENCH_DIR)/trace/trace_cost.o $(VMM_LIB_OBJS)
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(VMM_LIBS)

$(BENCH_TRACE_OVERHEAD): $(BENCH_DIR)/trace/trace_overhead.o $(BENCH_DIR)/full/fs_guest.o \
                         $(BENCH_DIR)/full/fs_peers.o $(BENCH_DIR)/uffd_peer.o \
                         $(BENCH_DIR)/workload.o $(BENCH_DIR)/util.o \
                         $(BUILD)/vmm/trace/trace.o $(BUILD)/vmm/trace/pte_format.o
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -static -pthread -o $@ $^ -lm

-include $(BENCH_DIR)/trace/trace_cost.d $(BENCH_DIR)/trace/trace_overhead.d

.PHONY: bench-trace
bench-trace: $(BENCH_TRACE_DEPS) guest-host
	$(Q)tests/ensure-packages.sh bench
	$(Q)bench/trace.sh $(BENCH_TRACE_ARGS)

# ----------------------------------------------------------------------- boot
# Boot to exit of hello (bench/boot.sh): pagevisor run --stats N times, its phases and the whole
# run, beside qemu-system-i386 -kernel booting the same kernel and image, each run timed from
# outside by build/bench/boot-times (static: it also runs in the KVM runner VM). Its variables
# are at the top.

$(BENCH_DIR)/boot/%.o: bench/boot/%.c | deps-build
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -MMD -c $< -o $@

$(BENCH_BOOT_TIMES): $(BENCH_DIR)/boot/boot_times.o
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -static -o $@ $^

-include $(BENCH_DIR)/boot/boot_times.d

.PHONY: bench-boot
bench-boot: $(BENCH_BOOT_DEPS) guest-host
	$(Q)tests/ensure-packages.sh runner
	$(Q)bench/boot.sh $(BENCH_BOOT_ARGS)
