# Makefile - paraprof: one non-recursive build for the library, the analyzer,
# the launcher, the tests, the benchmarks and the demo.
#
#   make            build/libparaprof.so, build/paraprof-report, build/paraprof
#   make check      every test (unit, integration, man pages)
#   make demo       build and profile examples/demo, print the report
#   make bench      the benchmarks in bench/
#   make fuzz       libFuzzer target on the dump loader (clang)
#   make deps       install the Debian packages the build needs
# Switches: V=1 (show commands), ASAN=1, UBSAN=1, TSAN=1, WERROR=1,
# PREFIX, DESTDIR, CC, CFLAGS.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CXX ?= c++
BUILD ?= build

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN := -Wall -Wextra -Wshadow -Wundef -Wwrite-strings -Wstrict-prototypes \
	-Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif

CFLAGS ?= -O2 -g
SAN :=
ifeq ($(ASAN),1)
SAN += -fsanitize=address
endif
ifeq ($(UBSAN),1)
SAN += -fsanitize=undefined -fno-sanitize-recover=undefined
endif
ifeq ($(TSAN),1)
SAN += -fsanitize=thread
endif
BASE_CFLAGS := -std=gnu11 $(WARN) -Iinclude -MMD -MP $(SAN)
LIB_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -D_GNU_SOURCE \
	-ftls-model=initial-exec $(CFLAGS)
APP_CFLAGS := $(BASE_CFLAGS) -D_GNU_SOURCE $(CFLAGS)

# Debian packages the build and the tests need.
DEB_PACKAGES := libunwind-dev libelf-dev libcmocka-dev

PRELOAD_SRC := $(sort $(wildcard preload/*.c))
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/%.o)
ANALYZER_SRC := $(sort $(wildcard analyzer/*.c))
ANALYZER_LIB_OBJ := $(filter-out $(BUILD)/analyzer/main.o,$(ANALYZER_SRC:%.c=$(BUILD)/%.o))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PROG_C := $(sort $(wildcard tests/progs/*.c))
PROG_CXX := $(sort $(wildcard tests/progs/*.cc))
PROG_BIN := $(PROG_C:tests/progs/%.c=$(BUILD)/progs/%) \
	$(PROG_CXX:tests/progs/%.cc=$(BUILD)/progs/%)

LIB := $(BUILD)/libparaprof.so
REPORT := $(BUILD)/paraprof-report
LAUNCHER := $(BUILD)/paraprof
TESTREADER := $(BUILD)/tests/ppdump

.PHONY: all deps check unit integration demo bench fuzz install clean
all: $(LIB) $(if $(ANALYZER_SRC),$(REPORT)) $(if $(wildcard tools/paraprof.c),$(LAUNCHER))

# Installs the Debian packages that are missing; as root directly, otherwise
# through sudo.  Quiet and instant when all are there.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing=1; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "  DEPS    apt-get install $(DEB_PACKAGES)"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
			$(DEB_PACKAGES) >/dev/null || exit 1; \
	fi

$(BUILD)/preload/%.o: preload/%.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIB): $(PRELOAD_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) -shared $(SAN) -Wl,-soname,libparaprof.so -o $@ $^ -lpthread -ldl

# The same objects as an archive, for unit tests that test one module.
$(BUILD)/libpp_preload.a: $(PRELOAD_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/analyzer/%.o: analyzer/%.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -c -o $@ $<

$(BUILD)/libpp_analyzer.a: $(ANALYZER_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(REPORT): $(BUILD)/analyzer/main.o $(BUILD)/libpp_analyzer.a
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN) -o $@ $^ -lelf -lstdc++ -lm

$(LAUNCHER): tools/paraprof.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -DPARAPROF_LIBDIR='"$(PREFIX)/lib"' -o $@ $<

# ---- tests --------------------------------------------------------------
$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libpp_preload.a \
		$(if $(ANALYZER_SRC),$(BUILD)/libpp_analyzer.a) | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -Ipreload -Ianalyzer -o $@ $< \
		$(BUILD)/libpp_preload.a \
		$(if $(ANALYZER_SRC),$(BUILD)/libpp_analyzer.a) \
		-lcmocka -lelf -lstdc++ -lpthread -ldl -lm

$(TESTREADER): tests/ppdump.c include/paraprof/format.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $<

# Sample programs, built the way a user builds: instrumented, optimised.
PROG_FLAGS := -O2 -g -finstrument-functions -fno-inline
$(BUILD)/progs/%: tests/progs/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(PROG_FLAGS) -Iinclude -o $@ $< -lpthread $(PROG_LIBS_$*)

$(BUILD)/progs/%: tests/progs/%.cc
	@mkdir -p $(@D)
	@echo "  CXX     $<"
	$(Q)$(CXX) $(PROG_FLAGS) -o $@ $< -lpthread

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "  UNIT    $$t"; $$t; done

integration: all $(TESTREADER) $(PROG_BIN)
	$(Q)BUILD=$(BUILD) sh tests/run-integration.sh

check: all
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory integration

clean:
	rm -rf $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/include/paraprof
	install -m 755 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	$(if $(wildcard $(REPORT)),install -m 755 $(REPORT) $(DESTDIR)$(PREFIX)/bin/)
	$(if $(wildcard $(LAUNCHER)),install -m 755 $(LAUNCHER) $(DESTDIR)$(PREFIX)/bin/)
	install -m 644 include/paraprof/format.h $(DESTDIR)$(PREFIX)/include/paraprof/
	$(if $(wildcard include/paraprof.h),install -m 644 include/paraprof.h $(DESTDIR)$(PREFIX)/include/)

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d)

# ---- benchmarks of the runtime (bench/hooks.sh) ----
$(BUILD)/bench/fibbench: bench/fibbench.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g -finstrument-functions -o $@ $<

$(BUILD)/bench/libfloor.so: bench/floor.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -fPIC -shared -ftls-model=initial-exec -o $@ $<

.PHONY: bench-hooks
bench-hooks: $(LIB) $(BUILD)/bench/fibbench $(BUILD)/bench/libfloor.so
	@command -v uftrace >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get install -y -qq uftrace >/dev/null; }
	$(Q)BUILD=$(BUILD) sh bench/hooks.sh
