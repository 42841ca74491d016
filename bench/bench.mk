# bench/bench.mk - `make bench`: benchmarks measured side by side with their peers on this
# machine, printed as a table and saved as JSON under build/bench/. Never asserts a time.

BENCH_DIR       := $(BUILD)/bench
BENCH_HOST_PATH := $(BENCH_DIR)/host-path
BENCH_GUEST_BIN := $(BENCH_DIR)/pagein.bin
BENCH_SRCS      := $(wildcard bench/*.c)
BENCH_OBJS      := $(patsubst bench/%.c,$(BENCH_DIR)/%.o,$(BENCH_SRCS)) $(BENCH_DIR)/guest_image.o
BENCH_VMM_OBJS  := $(BUILD)/vmm/pagefile.o $(BUILD)/vmm/kvm_x86.o
BENCH_CFLAGS    := $(HOST_CFLAGS) -Ivmm -Ibench
BENCH_ARGS      ?=

.PHONY: bench
bench: $(BENCH_HOST_PATH)
	$(Q)$(BENCH_HOST_PATH) --json $(BENCH_DIR)/host-path.json $(BENCH_ARGS)

$(BENCH_DIR)/%.o: bench/%.c $(wildcard bench/*.h bench/guest/*.h vmm/*.h shared/*.h) | deps-build
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
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -pthread -o $@ $^

-include $(patsubst %.o,%.d,$(filter-out $(BENCH_DIR)/guest_image.o,$(BENCH_OBJS)))
