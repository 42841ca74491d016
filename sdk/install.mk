# sdk/install.mk - `make install` and the SDK users build their own images with: pagevisor,
# its static twin and both kernels, the images' headers, crt0.o, libntuser.a and image.ld, a
# pkg-config file, the compiler driver pagevisor-cc and the man page pagevisor(1).
#   make install [PREFIX=/usr/local] [DESTDIR=staging-dir]
#     PREFIX/bin/pagevisor, PREFIX/bin/pagevisor-cc
#     PREFIX/lib/pagevisor/{pagevisor-static,kernel.elf,kernel-3gb.elf,crt0.o,libntuser.a,image.ld}
#     PREFIX/lib/pagevisor/runner/{prepare.sh,init}: what prepares the KVM runner's cache
#     PREFIX/include/pagevisor/ntapi.h and the headers it includes
#     PREFIX/lib/pkgconfig/pagevisor.pc (and pagevisor-sse.pc: the same with SSE and x87
#     floating point), PREFIX/share/man/man1/pagevisor{,-cc}.1
#   make uninstall      removes exactly those files
#   make install-test   installs into a temporary prefix and builds and runs an image there
# The staged pieces are built under build/sdk/ first. Included by the top-level Makefile.

PREFIX  ?= /usr/local
DESTDIR ?=
INSTALL ?= install

SDK_DIR := $(BUILD)/sdk
SDK_VERSION := $(shell sed -n 's/^\#define PV_VERSION "\(.*\)"/\1/p' vmm/main.c)
# The image flags of guest/guest.mk without the tree's include paths, dependency files and
# -Werror (a user's warnings stay warnings); gcc's own include directory is added where used.
SDK_GCC_INCLUDE := $(shell $(GUEST_CC) -m32 -print-file-name=include)
SDK_IMAGE_CFLAGS := $(filter-out -Ishared -Iguest/user/include -MMD -MP -Werror -isystem \
                      $(SDK_GCC_INCLUDE),$(GUEST_IMAGE_CFLAGS))
# Images that use SSE (the kernel keeps each thread's SSE and x87 state): what pagevisor-cc
# -msse2 uses.
SDK_SSE_CFLAGS := $(patsubst -mgeneral-regs-only,-msse2 -mfpmath=sse,$(SDK_IMAGE_CFLAGS))

SDK_CC      := $(SDK_DIR)/pagevisor-cc
SDK_PC      := $(SDK_DIR)/pagevisor.pc $(SDK_DIR)/pagevisor-sse.pc
SDK_HEADERS := $(SDK_DIR)/include/pagevisor/.staged
SDK_MAN     := sdk/pagevisor.1 sdk/pagevisor-cc.1
SDK_LIBEXEC := $(PAGEVISOR_STATIC) $(GUEST_KERNEL) $(GUEST_KERNEL_3GB)
SDK_LIBS    := $(GUEST_USER_CRT0) $(GUEST_USER_LIB) $(GUEST_USER_LDS)
SDK_RUNNER  := tests/kvm-runner/prepare.sh tests/kvm-runner/init

.PHONY: sdk install uninstall install-test
all: $(SDK_CC) $(SDK_PC) $(SDK_HEADERS)
sdk: $(SDK_CC) $(SDK_PC) $(SDK_HEADERS)

$(SDK_CC): sdk/pagevisor-cc.in sdk/install.mk guest/guest.mk Makefile
	$(call say,GEN,$@)
	@mkdir -p $(@D)
	$(Q)sed 's|@IMAGE_CFLAGS@|$(SDK_IMAGE_CFLAGS)|' $< >$@.tmp && chmod 755 $@.tmp && mv $@.tmp $@

$(SDK_DIR)/pagevisor.pc: SDK_PC_NAME := pagevisor
$(SDK_DIR)/pagevisor.pc: SDK_PC_CFLAGS := $(SDK_IMAGE_CFLAGS)
$(SDK_DIR)/pagevisor-sse.pc: SDK_PC_NAME := pagevisor-sse
$(SDK_DIR)/pagevisor-sse.pc: SDK_PC_CFLAGS := $(SDK_SSE_CFLAGS)
$(SDK_PC): sdk/pagevisor.pc.in sdk/install.mk guest/guest.mk Makefile vmm/main.c
	$(call say,GEN,$@)
	@mkdir -p $(@D)
	$(Q)sed -e 's|@IMAGE_CFLAGS@|$(SDK_PC_CFLAGS)|' -e 's|@GCC_INCLUDE@|$(SDK_GCC_INCLUDE)|' \
		-e 's|@VERSION@|$(SDK_VERSION)|' -e 's|@NAME@|$(SDK_PC_NAME)|' $< >$@.tmp && mv $@.tmp $@

# ntapi.h and every header it includes from the tree (gcc -MM finds them), side by side in one
# directory: ntapi.h's "../../include/NAME" becomes "NAME".
$(SDK_HEADERS): guest/user/include/ntapi.h $(wildcard guest/include/*.h shared/*.h) sdk/install.mk
	$(call say,GEN,$(@D))
	$(Q)rm -rf $(@D) && mkdir -p $(@D)
	$(Q)deps=$$($(GUEST_CC) $(filter-out -MMD -MP,$(GUEST_IMAGE_CFLAGS)) -MM -MT x -x c $<) || exit 1; \
	deps=$$(sed -e 's/^x://' -e 's/\\$$//' <<<"$$deps" | xargs realpath -e | sort -u) || exit 1; \
	for h in $$deps; do \
		n=$$(basename $$h); \
		if [[ -e $(@D)/$$n ]]; then echo "install: two headers named $$n ($$h)" >&2; exit 1; fi; \
		sed 's|^\(#include "\)\.\./\.\./include/\([^"]*"\)|\1\2|' $$h >$(@D)/$$n || exit 1; \
	done; \
	if grep -n '#include "\.\.' $(@D)/*.h; then echo "install: a staged header still includes ../" >&2; exit 1; fi
	$(Q)touch $@

install: $(PAGEVISOR) $(SDK_LIBEXEC) $(SDK_LIBS) $(SDK_CC) $(SDK_PC) $(SDK_HEADERS) $(SDK_MAN) \
         $(SDK_RUNNER)
	$(call say,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pagevisor/runner \
		$(DESTDIR)$(PREFIX)/include/pagevisor $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/share/man/man1
	$(Q)$(INSTALL) -m 755 $(PAGEVISOR) $(SDK_CC) $(DESTDIR)$(PREFIX)/bin/
	$(Q)$(INSTALL) -m 755 $(PAGEVISOR_STATIC) $(DESTDIR)$(PREFIX)/lib/pagevisor/
	$(Q)$(INSTALL) -m 644 $(GUEST_KERNEL) $(GUEST_KERNEL_3GB) $(SDK_LIBS) \
		$(DESTDIR)$(PREFIX)/lib/pagevisor/
	$(Q)$(INSTALL) -m 755 tests/kvm-runner/prepare.sh $(DESTDIR)$(PREFIX)/lib/pagevisor/runner/
	$(Q)$(INSTALL) -m 644 tests/kvm-runner/init $(DESTDIR)$(PREFIX)/lib/pagevisor/runner/
	$(Q)$(INSTALL) -m 644 $(SDK_DIR)/include/pagevisor/*.h $(DESTDIR)$(PREFIX)/include/pagevisor/
	$(Q)$(INSTALL) -m 644 $(SDK_PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	$(Q)$(INSTALL) -m 644 $(SDK_MAN) $(DESTDIR)$(PREFIX)/share/man/man1/

uninstall:
	$(call say,RM,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(PREFIX)/bin/pagevisor $(DESTDIR)$(PREFIX)/bin/pagevisor-cc \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/pagevisor.pc \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/pagevisor-sse.pc \
		$(DESTDIR)$(PREFIX)/share/man/man1/pagevisor.1 \
		$(DESTDIR)$(PREFIX)/share/man/man1/pagevisor-cc.1
	$(Q)rm -rf $(DESTDIR)$(PREFIX)/lib/pagevisor $(DESTDIR)$(PREFIX)/include/pagevisor

# Installs into a temporary prefix (and a DESTDIR staging), then builds an image outside the
# tree with the installed pagevisor-cc and pkg-config and runs it with the installed pagevisor.
install-test: deps-test all guest-host
	$(Q)tests/install.sh
