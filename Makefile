# Osprey build: GNU Make, no configure step.
#
#   make                         build build/osprey
#   make check                   install test deps if missing, build, run all tests
#   make SANITIZE=address,undefined check
#   make V=1                     show full command lines
#
# Sources are discovered per subsystem folder; a new .c file in one of
# SUBDIRS is built into libosprey.a without touching this file.  Unit tests
# are tests/unit/test-*.c, one cmocka binary each.

BUILD    ?= build
CC       ?= gcc
SUBDIRS  := util qom memory system chardev accel/tcg accel/kvm target/x86 \
            hw/core hw/char hw/timer hw/intc hw/pci hw/acpi hw/misc hw/i386 hw/nvram \
            hw/block hw/virtio hw/isa hw/rtc hw/input monitor migration block net

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
            -Wno-missing-field-initializers -fno-strict-aliasing \
            -D_GNU_SOURCE -pthread -MMD -MP -Iinclude
LDFLAGS  += -pthread
LDLIBS   += -lm -lrt

ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# Optional libraries, found with pkg-config.  Each one found defines
# CONFIG_<NAME> so code can use it; missing ones are simply left out.
PKG_CONFIG ?= pkg-config
define optional_lib
ifeq ($$(shell $(PKG_CONFIG) --exists $(1) 2>/dev/null && echo yes),yes)
CFLAGS += -DCONFIG_$(2) $$(shell $(PKG_CONFIG) --cflags $(1))
LDLIBS += $$(shell $(PKG_CONFIG) --libs $(1))
endif
endef
# Required: userspace RCU (bulletproof flavour: threads need no registration)
# so vCPU threads read FlatViews without the big lock.
REQUIRED_PKGS := liburcu-bp
CFLAGS += $(shell $(PKG_CONFIG) --cflags $(REQUIRED_PKGS) 2>/dev/null)
LDLIBS += $(shell $(PKG_CONFIG) --libs $(REQUIRED_PKGS) 2>/dev/null || echo -lurcu-bp)

$(eval $(call optional_lib,slirp,SLIRP))
$(eval $(call optional_lib,capstone,CAPSTONE))
$(eval $(call optional_lib,libzstd,ZSTD))
$(eval $(call optional_lib,zlib,ZLIB))

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRCS  := $(filter-out system/main.c,$(foreach d,$(SUBDIRS),$(wildcard $(d)/*.c)))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ  := $(BUILD)/obj/system/main.o
TOOL_SRCS := $(wildcard tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tools/%.c=$(BUILD)/%)
TEST_SRCS := $(wildcard tests/unit/test-*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# Unit tests about threads, run again under ThreadSanitizer by make check.
TSAN_TESTS := test-cpus test-main-loop test-timer
LIB       := $(BUILD)/libosprey.a

# Types register themselves from constructors, so every object file must be
# linked even when nothing references it by name.
WHOLE_LIB := -Wl,--whole-archive $(LIB) -Wl,--no-whole-archive

.PHONY: all check unit-tests fuzz-targets clean deps run guest guest-tests bench
all: $(BUILD)/osprey $(TOOL_BINS)

# Build dependencies are installed by the README's commands (make check,
# make run) through scripts/install-deps.sh; plain `make` expects them.

$(BUILD)/osprey: $(MAIN_OBJ) $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(WHOLE_LIB) $(LDLIBS)

# Tools (osprey-img, ...): one tools/<name>.c each, linked with the library.
$(BUILD)/%: $(BUILD)/obj/tools/%.o $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(WHOLE_LIB) $(LDLIBS)

$(LIB): $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -Itests/unit -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(WHOLE_LIB) $(LDLIBS) -lcmocka

unit-tests: $(TEST_BINS)

# libFuzzer targets: tests/fuzz/fuzz-<name>.c, built with
#   make CC=clang SANITIZE=fuzzer-no-link,address BUILD=build-fuzz fuzz-targets
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(WHOLE_LIB) $(LDLIBS)

fuzz-targets: $(FUZZ_BINS)

# The README's test command.  Installs what the tests need, builds, runs the
# cmocka unit tests and the pytest system tests, and ends with
# "N passed, N failed".
# Unless a sanitizer build was asked for, it also runs the threaded unit
# tests under ThreadSanitizer and every fuzz target for FUZZ_SECONDS.
FUZZ_SECONDS ?= 10
ifeq ($(SANITIZE),)
CHECK_EXTRA_BUILDS := tsan fuzz
endif
check:
	$(Q)scripts/install-deps.sh test
	$(Q)$(MAKE) --no-print-directory all unit-tests guest guest-tests
ifneq ($(filter tsan,$(CHECK_EXTRA_BUILDS)),)
	$(Q)$(MAKE) --no-print-directory SANITIZE=thread BUILD=$(BUILD)-tsan \
		$(TSAN_TESTS:%=$(BUILD)-tsan/tests/%)
endif
ifneq ($(filter fuzz,$(CHECK_EXTRA_BUILDS)),)
	$(Q)$(MAKE) --no-print-directory CC=clang SANITIZE=fuzzer-no-link,address \
		BUILD=$(BUILD)-fuzz fuzz-targets
endif
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) \
		$(if $(filter tsan,$(CHECK_EXTRA_BUILDS)),TSAN_BUILD=$(BUILD)-tsan) \
		$(if $(filter fuzz,$(CHECK_EXTRA_BUILDS)),FUZZ_BUILD=$(BUILD)-fuzz) \
		tests/check.sh

deps:
	$(Q)scripts/install-deps.sh build

# Benchmarks (never part of make check): they print ratios against a
# reference run in the same invocation.
bench: all
	$(Q)BUILD=$(BUILD) bench/build.sh
	$(Q)$(BUILD)/bench/mips

# The default guest: a Debian cloud kernel and a busybox initramfs in
# build/guest/, made from Debian packages by scripts/build-guest.sh.
guest:
	$(Q)GUEST_DIR=$(BUILD)/guest scripts/build-guest.sh

# Our own x86 test programs (Multiboot ELFs), run by the system tests.
guest-tests:
	$(Q)BUILD=$(BUILD) tests/guest/build.sh

# The README's first command: set up and start the default guest, with the
# serial console and the monitor on this terminal (Ctrl-A x quits,
# Ctrl-A c switches between console and monitor).
RUN_MEM ?= 512
RUN_SMP ?= 2
run:
	$(Q)scripts/install-deps.sh build
	$(Q)$(MAKE) --no-print-directory all guest
	$(Q)$(BUILD)/osprey -M pc -m $(RUN_MEM) -smp $(RUN_SMP) -nographic \
		-kernel $(BUILD)/guest/vmlinuz -initrd $(BUILD)/guest/initramfs.cpio.gz \
		-append "console=ttyS0 quiet"

clean:
	rm -rf $(BUILD) $(BUILD)-tsan $(BUILD)-fuzz

-include $(LIB_OBJS:.o=.d) $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%.d) $(MAIN_OBJ:.o=.d) $(TOOL_SRCS:%.c=$(BUILD)/obj/%.d) $(TEST_SRCS:tests/%.c=$(BUILD)/obj/tests/%.d)
