# vmm/vmm.mk - the host program build/pagevisor, its static twin for the KVM runner VM, and
# the object set unit tests link against. With SAN=1 the objects carry ASan and UBSan.

VMM_SRCS      := $(wildcard $(addsuffix /*.c,$(VMM_AREAS)))
VMM_HEADERS   := $(wildcard $(addsuffix /*.h,$(VMM_AREAS)))
VMM_OBJS      := $(patsubst vmm/%.c,$(BUILD)/vmm/%.o,$(VMM_SRCS))
VMM_LIB_OBJS  := $(filter-out $(BUILD)/vmm/main.o,$(VMM_OBJS))
VMM_LIBS      := -lcapstone -pthread
VMM_STATIC_LIBS := -l:libcapstone.a -pthread
PAGEVISOR     := $(BUILD)/pagevisor
PAGEVISOR_STATIC := $(BUILD)/pagevisor-static

# Sanitized objects for the unit tests (ASan + UBSan, traps on any report).
SAN_FLAGS     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
VMM_SAN_OBJS  := $(patsubst vmm/%.c,$(BUILD)/san/vmm/%.o,$(filter-out vmm/main.c,$(VMM_SRCS)))

all: $(PAGEVISOR) $(PAGEVISOR_STATIC)

$(BUILD)/vmm/%.o: vmm/%.c $(VMM_HEADERS) $(wildcard shared/*.h) | deps-build
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -c $< -o $@

$(BUILD)/san/vmm/%.o: vmm/%.c $(VMM_HEADERS) $(wildcard shared/*.h) | deps-build
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) -MMD -c $< -o $@

$(PAGEVISOR): $(VMM_OBJS)
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(VMM_LIBS)

$(PAGEVISOR_STATIC): $(VMM_OBJS)
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -static -o $@ $^ $(VMM_STATIC_LIBS)

-include $(VMM_OBJS:.o=.d)
# The whole host program with ASan and UBSan, for the sanitizer smoke test (tests/san-smoke.sh).
PAGEVISOR_SAN := $(BUILD)/san/pagevisor

# Beside it, links to the kernels and the static twin: build/san/ is laid out like build/, so
# the sanitized pagevisor finds its default kernel as build/pagevisor does.
$(PAGEVISOR_SAN): $(VMM_SAN_OBJS) $(BUILD)/san/vmm/main.o
	$(call say,LD,$@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $(SAN_FLAGS) -o $@ $^ $(VMM_LIBS)
	$(Q)ln -sfn ../guest $(BUILD)/san/guest && ln -sf ../pagevisor-static $(BUILD)/san/pagevisor-static

.SECONDARY: $(VMM_SAN_OBJS) $(BUILD)/san/vmm/main.o
