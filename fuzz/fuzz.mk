# fuzz/fuzz.mk - libFuzzer targets (clang) of the host code and of the guest's image loader, and the
# replay of their checked-in corpus under ASan+UBSan with gcc, without clang, for `make test`.
#   make fuzz FUZZ_SECONDS=N   run each target for N seconds (default 60), one after another;
#                              new inputs go to build/fuzz/corpus/TARGET, crashes to
#                              build/fuzz/artifacts/, seeded from fuzz/corpus/TARGET
#   make fuzz-replay           every file of fuzz/corpus/ through every target once
#   FUZZ_TARGETS=loader        only the targets named

FUZZ_TARGETS := hypercall loader image_store trace pt_walk guest_elf gdb_stub
FUZZ_SECONDS ?= 60
FUZZ_CC      := clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# kvm_x86.c's MSR buffer (a struct kvm_msrs followed by its entries) is a GNU extension clang
# warns about.
FUZZ_CFLAGS  := $(filter-out -O2,$(HOST_CFLAGS)) -O1 $(FUZZ_SAN) -Ifuzz \
                -Wno-gnu-variable-sized-type-not-at-end
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_OBJS    := $(patsubst vmm/%.c,$(FUZZ_DIR)/obj/vmm/%.o,$(filter-out vmm/main.c,$(VMM_SRCS)))
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/bin/,$(FUZZ_TARGETS))
FUZZ_REPLAY  := $(FUZZ_DIR)/replay
FUZZ_REPLAY_OBJS := $(patsubst %,$(FUZZ_DIR)/replay-obj/%.o,$(FUZZ_TARGETS))

.PHONY: deps-fuzz fuzz fuzz-build fuzz-replay
deps-fuzz:
	$(Q)tests/ensure-packages.sh build fuzz

$(FUZZ_DIR)/obj/vmm/%.o: vmm/%.c $(VMM_HEADERS) $(wildcard shared/*.h) | deps-fuzz
	@mkdir -p $(@D)
	$(call say,CLANG,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/bin/%: fuzz/fuzz_%.c fuzz/fuzz_ram.h $(FUZZ_OBJS) | deps-fuzz
	@mkdir -p $(@D)
	$(call say,CLANG,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(VMM_LIBS)

# The guest kernel's image loader, built for the host with its shims (no host objects).
FUZZ_GUEST_ELF_DEPS := fuzz/fuzz_guest_elf.c guest/ldr/elf.c $(wildcard guest/include/*.h)
$(FUZZ_DIR)/bin/guest_elf: $(FUZZ_GUEST_ELF_DEPS) | deps-fuzz
	@mkdir -p $(@D)
	$(call say,CLANG,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Iguest/include -fsanitize=fuzzer -o $@ $<

fuzz-build: $(FUZZ_BINS)
.SECONDARY: $(FUZZ_OBJS) $(FUZZ_REPLAY_OBJS)

# One target at a time (the machine's cores are shared); each one's libFuzzer log goes to
# build/fuzz/TARGET.log. A crash stops the run there, its input saved as
# build/fuzz/artifacts/TARGET-crash-*.
fuzz: fuzz-build
	$(Q)for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts; \
		echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
		$(FUZZ_DIR)/bin/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
			-close_fd_mask=3 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- \
			$(FUZZ_DIR)/corpus/$$t fuzz/corpus/$$t >$(FUZZ_DIR)/$$t.log 2>&1; rc=$$?; \
		grep -E '^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs|^stat::number_of_executed_units|^SUMMARY|crash-' $(FUZZ_DIR)/$$t.log; \
		test $$rc -eq 0 || { echo "fuzz: $$t found a crash (log $(FUZZ_DIR)/$$t.log)"; exit 1; }; \
	done

# The replay: each target built by gcc with the unit tests' sanitizers, its entry point renamed.
$(FUZZ_DIR)/replay-obj/%.o: fuzz/fuzz_%.c fuzz/fuzz_ram.h $(VMM_HEADERS) | deps-test
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Ifuzz -DLLVMFuzzerTestOneInput=fuzz_one_$* -c $< -o $@

$(FUZZ_DIR)/replay-obj/guest_elf.o: $(FUZZ_GUEST_ELF_DEPS) | deps-test
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iguest/include \
		-DLLVMFuzzerTestOneInput=fuzz_one_guest_elf -c $< -o $@

$(FUZZ_REPLAY): fuzz/replay.c tests/junit.h $(FUZZ_REPLAY_OBJS) $(VMM_SAN_OBJS) | deps-test
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) -o $@ $< $(FUZZ_REPLAY_OBJS) $(VMM_SAN_OBJS) $(VMM_LIBS)

fuzz-replay: $(FUZZ_REPLAY)
	$(Q)$(FUZZ_REPLAY) fuzz/corpus
