# guest/guest.mk - the guest side: the kernel (build/guest/kernel.elf, i386 Multiboot ELF32
# linked at 0x80100000, loaded at 1 MiB; build/guest/kernel-3gb.elf, the same linked at
# 0xC0900000 for /3GB), the user runtime (build/guest/user/) and one test
# image per tests/images/NAME.c (build/images/NAME.elf, static ELF32 at 0x00400000).
# Included by the top-level Makefile, which defines GUEST_CC, GUEST_CFLAGS, GUEST_LD, Q, say.

GUEST_KERNEL := $(BUILD)/guest/kernel.elf
# The same kernel linked above hyperspace (0xC0900000) for /3GB (pagevisor run --3gb).
GUEST_KERNEL_3GB := $(BUILD)/guest/kernel-3gb.elf
GUEST_IMAGE_SOURCES := $(sort $(wildcard tests/images/*.c))
GUEST_IMAGES := $(patsubst tests/images/%.c,$(BUILD)/images/%.elf,$(GUEST_IMAGE_SOURCES))
export GUEST_KERNEL GUEST_KERNEL_3GB GUEST_IMAGES

GUEST_AR ?= ar

GUEST_KERNEL_SOURCES := $(sort $(wildcard guest/arch/i386/*.S guest/arch/i386/*.c \
                          guest/ke/*.c guest/ex/*.c guest/ob/*.c guest/ps/*.c \
                          guest/mm/*.c guest/dbgk/*.c guest/ldr/*.c guest/ldr/*.S guest/io/*.c guest/rtl/*.c))
GUEST_KERNEL_OBJECTS := $(patsubst guest/%,$(BUILD)/guest/kernel/%.o,$(basename $(GUEST_KERNEL_SOURCES)))
GUEST_KERNEL_3GB_OBJECTS := $(patsubst guest/%,$(BUILD)/guest/kernel-3gb/%.o,$(basename $(GUEST_KERNEL_SOURCES)))
GUEST_KERNEL_LDS := guest/arch/i386/kernel.ld
GUEST_KERNEL_CFLAGS := $(GUEST_CFLAGS) -Iguest/include -fno-strict-aliasing -MMD -MP

GUEST_USER_SOURCES := $(sort $(wildcard guest/user/*.c guest/user/*.S guest/rtl/*.c))
GUEST_USER_CRT0 := $(BUILD)/guest/user/user/crt0.o
GUEST_USER_OBJECTS := $(filter-out $(GUEST_USER_CRT0),\
                        $(patsubst guest/%,$(BUILD)/guest/user/%.o,$(basename $(GUEST_USER_SOURCES))))
GUEST_USER_LIB := $(BUILD)/guest/user/libntuser.a
GUEST_USER_LDS := guest/user/image.ld
# User code probes its stack a page at a time (GCC's stack-clash protection, the equivalent of
# NT's __chkstk): a frame larger than a page then grows the stack through its guard page page
# by page instead of jumping past it.
GUEST_USER_CFLAGS := $(GUEST_CFLAGS) -fstack-clash-protection -Iguest/include \
                     -Iguest/user/include -MMD -MP
GUEST_IMAGE_CFLAGS := $(GUEST_CFLAGS) -fstack-clash-protection -Iguest/user/include -MMD -MP

.PHONY: guest guest-qemu-test
all: $(GUEST_KERNEL) $(GUEST_KERNEL_3GB) $(GUEST_IMAGES)
guest: $(GUEST_KERNEL) $(GUEST_KERNEL_3GB) $(GUEST_IMAGES)

# Boot the kernel and every image under QEMU's emulator (see tests/multiboot-qemu.sh).
guest-qemu-test: $(GUEST_KERNEL) $(GUEST_IMAGES)
	$(Q)bash tests/multiboot-qemu.sh

$(BUILD)/guest/kernel/%.o: guest/%.c
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_KERNEL_CFLAGS) -c -o $@ $<

$(BUILD)/guest/kernel/%.o: guest/%.S
	$(call say,AS,$@)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_KERNEL_CFLAGS) -c -o $@ $<

$(BUILD)/guest/kernel-3gb/%.o: guest/%.c
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_KERNEL_CFLAGS) -DPV_KERNEL_3GB -c -o $@ $<

$(BUILD)/guest/kernel-3gb/%.o: guest/%.S
	$(call say,AS,$@)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_KERNEL_CFLAGS) -DPV_KERNEL_3GB -c -o $@ $<

# The link map through the C preprocessor (-undef: no "i386" macro) for each link base.
$(BUILD)/guest/kernel.ld: $(GUEST_KERNEL_LDS)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) -E -P -undef -x c -o $@ $<

$(BUILD)/guest/kernel-3gb.ld: $(GUEST_KERNEL_LDS)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) -E -P -undef -x c -DPV_KERNEL_3GB -o $@ $<

# The system DLL (ntdll, at 0x77F60000), linked on its own and carried inside both kernels
# (ldr/ntdllimg.S), which map it into every process (ldr/sysdll.c).
GUEST_NTDLL := $(BUILD)/guest/ntdll.elf
$(BUILD)/guest/ntdll/ntdll.o: guest/ntdll/ntdll.S guest/include/ntservices.h
	$(call say,AS,$@)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_KERNEL_CFLAGS) -c -o $@ $<

$(BUILD)/guest/ntdll/except.o: guest/ntdll/except.c
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_KERNEL_CFLAGS) -c -o $@ $<

$(GUEST_NTDLL): $(BUILD)/guest/ntdll/ntdll.o $(BUILD)/guest/ntdll/except.o guest/ntdll/ntdll.ld
	$(call say,LD,$@)
	$(Q)$(GUEST_LD) -T guest/ntdll/ntdll.ld -z max-page-size=0x1000 -o $@ \
	    $(BUILD)/guest/ntdll/ntdll.o $(BUILD)/guest/ntdll/except.o

$(BUILD)/guest/kernel/ldr/ntdllimg.o $(BUILD)/guest/kernel-3gb/ldr/ntdllimg.o: $(GUEST_NTDLL)
$(BUILD)/guest/kernel/ldr/ntdllimg.o $(BUILD)/guest/kernel-3gb/ldr/ntdllimg.o: \
    GUEST_KERNEL_CFLAGS += -DPV_NTDLL_IMAGE='"$(abspath $(GUEST_NTDLL))"'

$(GUEST_KERNEL): $(GUEST_KERNEL_OBJECTS) $(BUILD)/guest/kernel.ld
	$(call say,LD,$@)
	$(Q)$(GUEST_LD) -T $(BUILD)/guest/kernel.ld -z max-page-size=0x1000 -o $@ $(GUEST_KERNEL_OBJECTS)

$(GUEST_KERNEL_3GB): $(GUEST_KERNEL_3GB_OBJECTS) $(BUILD)/guest/kernel-3gb.ld
	$(call say,LD,$@)
	$(Q)$(GUEST_LD) -T $(BUILD)/guest/kernel-3gb.ld -z max-page-size=0x1000 -o $@ \
		$(GUEST_KERNEL_3GB_OBJECTS)

$(BUILD)/guest/user/%.o: guest/%.c
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_USER_CFLAGS) -c -o $@ $<

$(BUILD)/guest/user/%.o: guest/%.S
	$(call say,AS,$@)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_USER_CFLAGS) -c -o $@ $<

$(GUEST_USER_LIB): $(GUEST_USER_OBJECTS)
	$(call say,AR,$@)
	@rm -f $@
	$(Q)$(GUEST_AR) rcs $@ $^

$(BUILD)/images/%.o: tests/images/%.c
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_IMAGE_CFLAGS) -c -o $@ $<

$(BUILD)/images/%.elf: $(BUILD)/images/%.o $(GUEST_USER_CRT0) $(GUEST_USER_LIB) $(GUEST_USER_LDS)
	$(call say,LD,$@)
	$(Q)$(GUEST_LD) -T $(GUEST_USER_LDS) -z max-page-size=0x1000 -o $@ \
		$(GUEST_USER_CRT0) $< $(GUEST_USER_LIB)

# tokyo-vm's code (tests/images/tokyo/): a flat blob linked where tokyo-vm only reserves
# memory, carried by the two launchers that page it in (fault-launcher, veh-launcher).
TOKYO_BLOB := $(BUILD)/images/tokyo/code.bin
$(BUILD)/images/tokyo/code.o: tests/images/tokyo/code.c tests/images/tokyo/tokyo.h
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_IMAGE_CFLAGS) -O2 -c -o $@ $<

$(BUILD)/images/tokyo/code.elf: $(BUILD)/images/tokyo/code.o tests/images/tokyo/code.ld
	$(call say,LD,$@)
	$(Q)$(GUEST_LD) -T tests/images/tokyo/code.ld -o $@ $<

$(TOKYO_BLOB): $(BUILD)/images/tokyo/code.elf
	$(call say,OBJCOPY,$@)
	$(Q)objcopy -O binary $< $@

$(BUILD)/images/fault-launcher.o $(BUILD)/images/veh-launcher.o: $(TOKYO_BLOB)
$(BUILD)/images/fault-launcher.o $(BUILD)/images/veh-launcher.o: \
    GUEST_IMAGE_CFLAGS += -DTOKYO_BLOB='"$(abspath $(TOKYO_BLOB))"'

.PRECIOUS: $(BUILD)/images/%.o
.SECONDARY: $(GUEST_USER_CRT0)

-include $(GUEST_KERNEL_OBJECTS:.o=.d) $(GUEST_KERNEL_3GB_OBJECTS:.o=.d) $(GUEST_USER_OBJECTS:.o=.d) $(GUEST_USER_CRT0:.o=.d) \
         $(GUEST_IMAGES:.elf=.d)
