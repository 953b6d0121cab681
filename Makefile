# Makefile - paraprof: one non-recursive build for the library, the analyzer,
# the launcher, the tests, the benchmarks and the demo.
#
#   make            build/libparaprof.so, build/paraprof-report, build/paraprof
#   make check      every test (unit, integration, man pages)
#   make check-asan the integration tests through an ASan+UBSan build
#   make demo       build and profile examples/demo, print the report, write
#                   a flame graph (build/demo/flamegraph.svg)
#   make bench      the benchmarks in bench/
#   make fuzz       libFuzzer target on the dump loader (clang)
#   make deps       install the Debian packages the build needs
#   make install    install under $(DESTDIR)$(PREFIX); make uninstall removes it
# Switches: V=1 (show commands), ASAN=1, UBSAN=1, TSAN=1, WERROR=1,
# PREFIX, DESTDIR, CC, CFLAGS.

PREFIX ?= /usr/local
DESTDIR ?=
# The version: paraprof-report --version prints it and paraprof.pc carries it.
VERSION := 0.1.0
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
# CI (CI=true) builds with -Werror.
ifeq ($(CI),true)
WERROR ?= 1
endif
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
LIB_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -D_GNU_SOURCE -DPARAPROF_BUILDING_LIBRARY \
	-ftls-model=initial-exec $(CFLAGS)
APP_CFLAGS := $(BASE_CFLAGS) -D_GNU_SOURCE $(CFLAGS)

# Debian packages the build and the tests need (the tests read JSON with
# python3 and lint the man pages with groff).
DEB_PACKAGES := libelf-dev libcmocka-dev python3 groff-base
# The pprof export: protobuf-c's compiler and library, zlib.
DEB_PACKAGES += libprotobuf-c-dev protobuf-c-compiler zlib1g-dev

# $(call pp_apt_install,PACKAGES[,APT_FLAGS]): apt-get install those of
# PACKAGES that are missing (as root directly, otherwise through sudo), with
# APT_FLAGS added; quiet and instant when none is.  The one rule that
# installs packages: deps, fuzz-deps, request-deps, bench-server-deps,
# bench-hooks, exporter-deps, exporter-test-deps, exports-test-deps and
# watch-test-deps use it.
pp_apt_install = missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
			missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "  DEPS    apt-get install$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $(2) \
			$$missing >/dev/null || exit 1; \
	fi

# The library: the runtime (preload/), the cache (cache/) and request
# profiling (request/).
PRELOAD_SRC := $(sort $(wildcard preload/*.c cache/*.c request/*.c))
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/%.o)
ANALYZER_SRC := $(sort $(wildcard analyzer/*.c))
ANALYZER_LIB_OBJ := $(filter-out $(BUILD)/analyzer/main.o,$(ANALYZER_SRC:%.c=$(BUILD)/%.o))
# The pprof export's message code, generated from analyzer/pprof.proto into
# $(BUILD)/gen (never committed), and the libraries it needs.
PPROF_GEN := $(BUILD)/gen/pprof.pb-c.c
ANALYZER_LIB_OBJ += $(PPROF_GEN:%.c=%.o)
EXPORT_LIBS := -lprotobuf-c -lz
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PROG_C := $(sort $(wildcard tests/progs/*.c))
PROG_CXX := $(sort $(wildcard tests/progs/*.cc))
# partial_o3: tests/progs/partial.c at -O3; accuracy_noinst: accuracy.c
# without -finstrument-functions; tests/progs/dl/*.c: instrumented libraries
# the programs dlopen (their rules are with the programs')
PROG_DL := $(patsubst tests/progs/dl/%.c,$(BUILD)/progs/lib%.so,$(sort $(wildcard tests/progs/dl/*.c)))
# tests/progs/noinst_dl/*.c: libraries built without the flag (their time
# is seen by the CPU samples only)
PROG_NOINST_DL := $(patsubst tests/progs/noinst_dl/%.c,$(BUILD)/progs/libnoinst_%.so,\
	$(sort $(wildcard tests/progs/noinst_dl/*.c)))
PROG_BIN := $(PROG_C:tests/progs/%.c=$(BUILD)/progs/%) \
	$(PROG_CXX:tests/progs/%.cc=$(BUILD)/progs/%) $(BUILD)/progs/partial_o3 \
	$(BUILD)/progs/accuracy_noinst $(BUILD)/progs/libcalls_fortify $(PROG_DL) $(PROG_NOINST_DL)

LIB := $(BUILD)/libparaprof.so
REPORT := $(BUILD)/paraprof-report
LAUNCHER := $(BUILD)/paraprof
TESTREADER := $(BUILD)/tests/ppdump

.PHONY: all deps check unit integration demo bench fuzz install clean
all: $(LIB) $(if $(ANALYZER_SRC),$(REPORT)) $(if $(wildcard tools/paraprof.c),$(LAUNCHER))

# make deps: installs the Debian packages of the build that are missing.
deps:
	@$(call pp_apt_install,$(DEB_PACKAGES))

$(PRELOAD_OBJ): $(BUILD)/%.o: %.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIB): $(PRELOAD_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) -shared $(SAN) -Wl,-soname,libparaprof.so -o $@ $^ -lpthread -ldl -lelf -lgcc_s

# The same objects as an archive, for unit tests that test one module.
$(BUILD)/libpp_preload.a: $(PRELOAD_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/analyzer/%.o: analyzer/%.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -c -o $@ $<

$(PPROF_GEN): analyzer/pprof.proto | deps
	@mkdir -p $(@D)
	@echo "  PROTOC  $<"
	$(Q)protoc-c --proto_path=analyzer --c_out=$(@D) $<
$(PPROF_GEN:%.c=%.h): $(PPROF_GEN)
$(PPROF_GEN:%.c=%.o): $(PPROF_GEN)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -c -o $@ $<
$(BUILD)/analyzer/report_pprof.o: $(PPROF_GEN:%.c=%.h)
$(BUILD)/analyzer/report_pprof.o: APP_CFLAGS += -I$(BUILD)/gen

$(BUILD)/libpp_analyzer.a: $(ANALYZER_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# main.o prints the version: rebuilt when the Makefile (VERSION) changes.
$(BUILD)/analyzer/main.o: APP_CFLAGS += -DPARAPROF_VERSION_STRING='"$(VERSION)"'
$(BUILD)/analyzer/main.o: Makefile

$(REPORT): $(BUILD)/analyzer/main.o $(BUILD)/libpp_analyzer.a
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN) -o $@ $^ -lelf -lstdc++ -lm $(EXPORT_LIBS)

# -MMD writes one .d for the two sources, the last one's: the report options'
# header, which tools/paraprof.c includes, is named here
$(LAUNCHER): tools/paraprof.c tools/progcheck.c tools/progcheck.h analyzer/report_opts.h analyzer/escape.h | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -DPARAPROF_LIBDIR='"$(PREFIX)/lib"' -o $@ $(filter %.c %.a,$^) -lelf

# ---- paraprof-exporter (tools/exporter*.c): profiles as Prometheus metrics ----
# Built on the analyzer's library (libpp_analyzer.a finds, opens, copies and
# validates segments and dumps) and on libmicrohttpd, which exporter-deps
# installs.  Its tests need Debian's prometheus (the server and promtool),
# which exporter-test-deps installs without the node exporter it recommends.
EXPORTER := $(BUILD)/paraprof-exporter
EXPORTER_OBJ := $(BUILD)/tools/exporter.o $(BUILD)/tools/exporter_metrics.o \
	$(BUILD)/tools/exporter_text.o
EXPORTER_DEB := libmicrohttpd-dev
EXPORTER_TEST_DEB := prometheus
.PHONY: exporter-deps exporter-test-deps
exporter-deps: deps
	@$(call pp_apt_install,$(EXPORTER_DEB))
exporter-test-deps: exporter-deps
	@$(call pp_apt_install,$(EXPORTER_TEST_DEB),--no-install-recommends)

$(EXPORTER_OBJ): $(BUILD)/tools/%.o: tools/%.c | exporter-deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -Ianalyzer -c -o $@ $<

$(EXPORTER): $(EXPORTER_OBJ) $(BUILD)/libpp_analyzer.a
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN) -o $@ $^ -lmicrohttpd -lelf -lstdc++ -lm -lpthread

all: $(EXPORTER)

# ---- common/: the format layer, in libpp_common.a ----
# Linked by the library, the analyzer, the launcher and the unit tests; built
# -fPIC with the library's flags (hidden: the library exports nothing more).
# Included as "common/<name>.h".
COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_LIB := $(BUILD)/libpp_common.a
LIB_CFLAGS += -I.
APP_CFLAGS += -I.
$(BUILD)/common/%.o: common/%.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(COMMON_LIB): $(COMMON_SRC:%.c=$(BUILD)/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIB) $(REPORT) $(LAUNCHER) $(EXPORTER): $(COMMON_LIB)

# ---- tests --------------------------------------------------------------
# tests/synth.c: the synthetic dump writer of the unit tests and of
# bench/gen_dump (included as "synth.h", with -Itests).
SYNTH_OBJ := $(BUILD)/tests/synth.o
$(SYNTH_OBJ): tests/synth.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -Itests -c -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libpp_preload.a \
		$(if $(ANALYZER_SRC),$(BUILD)/libpp_analyzer.a) $(SYNTH_OBJ) $(COMMON_LIB) | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -Ipreload -Icache -Irequest -Ianalyzer -Itests -I$(BUILD)/gen -o $@ $< \
		$(BUILD)/libpp_preload.a \
		$(if $(ANALYZER_SRC),$(BUILD)/libpp_analyzer.a) $(SYNTH_OBJ) $(COMMON_LIB) \
		-lcmocka -lelf -lgcc_s -lstdc++ -lpthread -ldl -lm $(EXPORT_LIBS)

# request/'s pure parts, tested alone: test_route links request/route.o and
# test_limiter request/limiter.o, nothing of the profiler, so a dependency
# that creeps into them fails the build.
REQUEST_PURE := route limiter
$(REQUEST_PURE:%=$(BUILD)/tests/test_%): $(BUILD)/tests/test_%: tests/unit/test_%.c \
		$(BUILD)/request/%.o | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -Irequest -o $@ $< $(filter %.o,$^) -lcmocka

$(TESTREADER): tests/ppdump.c include/paraprof/format.h $(COMMON_LIB)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $< $(COMMON_LIB)

# Sample programs, built the way a user builds: instrumented, optimised
# (inlined bodies still call the hooks, from their host's frame).  -MMD: a
# program is rebuilt when include/paraprof.h changes.
PROG_FLAGS := -O2 -g -finstrument-functions -MMD -MP
$(BUILD)/progs/%: tests/progs/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(PROG_FLAGS) -Iinclude -o $@ $< -lpthread $(PROG_LIBS_$*)

# noinst_*: programs that use the C API without -finstrument-functions.
$(BUILD)/progs/noinst_%: tests/progs/noinst_%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g -MMD -MP -Iinclude -o $@ $< -lpthread

# The function gcc splits by partial inlining, also at -O3 (issue 9).
$(BUILD)/progs/partial_o3: tests/progs/partial.c
	@mkdir -p $(@D)
	@echo "  CC      $< (-O3)"
	$(Q)$(CC) $(PROG_FLAGS) -O3 -o $@ $<

# The blocking calls' program as hardened builds make it: read, poll, recv
# and pread through their fortified entry points (__read_chk ...).
$(BUILD)/progs/libcalls_fortify: tests/progs/libcalls.c
	@mkdir -p $(@D)
	@echo "  CC      $< (_FORTIFY_SOURCE=2)"
	$(Q)$(CC) $(PROG_FLAGS) -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -o $@ $< -lpthread

# The accuracy suite's programs of known cost, as they run without the
# profiler: what the profile of the instrumented build should say once the
# hooks' own cost is taken out (tests/integration/accuracy.sh).
$(BUILD)/progs/accuracy_noinst: tests/progs/accuracy.c
	@mkdir -p $(@D)
	@echo "  CC      $< (not instrumented)"
	$(Q)$(CC) -O2 -g -MMD -MP -o $@ $< -lpthread

$(BUILD)/progs/lib%.so: tests/progs/dl/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(PROG_FLAGS) -fPIC -shared -o $@ $<

$(BUILD)/progs/libnoinst_%.so: tests/progs/noinst_dl/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g -MMD -MP -fPIC -shared -o $@ $<

$(BUILD)/progs/%: tests/progs/%.cc
	@mkdir -p $(@D)
	@echo "  CXX     $<"
	$(Q)$(CXX) $(PROG_FLAGS) -o $@ $< -lpthread

# Unit tests that drive the hooks in-process write their dump into $(BUILD)/tests.
unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "  UNIT    $$t"; \
		PARAPROF_OUTPUT=$(BUILD)/tests PARAPROF_QUIET=1 $$t; done

# make integration and make adversarial: their rules, with every program
# they need, are at the end of this file (TEST_PREREQS).

# Every test: unit, integration (man pages included), adversarial, the cache
# under ThreadSanitizer, the integration suite under ASan and UBSan, and
# FUZZ_SECONDS of libFuzzer on the dump loader.  Each stage prints one line;
# its output is in $(CHECK_LOGS)/STAGE.log (the fuzzer's in $(FUZZ_LOG)).  A
# stage that fails prints its log's tail, and check stops with its status.
CHECK_LOGS := $(BUILD)/check
# $(call pp_stage,LABEL,LOG,COMMAND,SUMMARY): runs COMMAND with its output in
# $(CHECK_LOGS)/LOG.log and prints "  LABEL   " and what the shell command
# SUMMARY prints reading the log ($$log is its name).
pp_stage = log=$(CHECK_LOGS)/$(2).log; \
	if $(3) >$$log 2>&1; then \
		printf '  %-8s%s\n' '$(1)' "$$(<$$log $(4))"; \
	else \
		rc=$$?; grep -v '^  TEST .* 0 failed$$' $$log | tail -n 60; \
		printf '  %-8s%s\n' '$(1)' "FAILED (status $$rc; log: $$log)"; exit $$rc; \
	fi
# What each stage's log says: the counts of cmocka and of run-integration.sh.
CHECK_SUM_CMOCKA = awk '/^\[  PASSED  \]/ { n += $$4 } END { print n " tests passed (log: '"$$log"')" }'
CHECK_SUM_SUITE = sed -n 's|^\([0-9]* passed, [0-9]* failed\)$$|\1 (log: '"$$log"')|p'
CHECK_SUM_ASAN = $(CHECK_SUM_SUITE) | sed 's/ (log:/, no sanitizer report (log:/'
# The builds of check run as many jobs as there are CPUs (the tests one at
# a time): half the suite's time was spent compiling on one core.
CHECK_JOBS := $(shell nproc 2>/dev/null || echo 1)
check:
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) all
	@mkdir -p $(CHECK_LOGS)
	@$(call pp_stage,UNIT,unit,$(MAKE) --no-print-directory unit,$(CHECK_SUM_CMOCKA))
	@$(call pp_stage,INTEGR,integration,$(MAKE) --no-print-directory integration,$(CHECK_SUM_SUITE))
	@$(call pp_stage,ADVERS,adversarial,$(MAKE) --no-print-directory adversarial,$(CHECK_SUM_SUITE))
	@$(call pp_stage,TSAN,tsan,$(MAKE) --no-print-directory check-tsan,$(CHECK_SUM_CMOCKA))
	@$(call pp_stage,ASAN,asan,$(MAKE) --no-print-directory check-asan,$(CHECK_SUM_ASAN))
	@$(call pp_stage,FUZZ,fuzz,$(MAKE) --no-print-directory fuzz-run FUZZ_SECONDS=$(FUZZ_SECONDS),sed -n 's/^  FUZZ  *\([0-9]\)/\1/p')
	@echo "check: unit tests, integration tests, ThreadSanitizer, ASan and UBSan, and $(FUZZ_SECONDS) s of fuzzing passed"
	@cat $(BUILD)/integration.summary $(BUILD)/adversarial.summary

clean:
	rm -rf $(BUILD) $(TSAN_BUILD) $(ASAN_BUILD)

# How a program links the library: the header's references are weak (so a
# program runs without it), and --as-needed would drop a library that only
# weak references need.
LINK_PARAPROF := -Wl,--no-as-needed -lparaprof -Wl,--as-needed

# ---- examples (examples/*.c; demo and cached have rules of their own) ----
# Each builds against the public header and links -lparaprof, as a user's
# program would; examples/stats.c is also instrumented.
EXAMPLES := $(BUILD)/examples/regions $(BUILD)/examples/spans $(BUILD)/examples/stats
$(BUILD)/examples/%: examples/%.c include/paraprof.h $(LIB)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g $(if $(filter stats,$*),-finstrument-functions) -Iinclude -o $@ $< \
		-L$(BUILD) -Wl,-rpath,$(abspath $(BUILD)) $(LINK_PARAPROF) -lpthread

.PHONY: examples
examples: $(EXAMPLES)

# paraprof.pc for pkg-config: cflags and libs of the installed library.
# Written each time into .tmp and kept only when it differs, so that it
# follows PREFIX from one make to the next (its prefix= line is PREFIX).
.PHONY: pp-force
$(BUILD)/paraprof.pc: pp-force
	@mkdir -p $(@D)
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' \
		'includedir=$${prefix}/include' '' 'Name: paraprof' \
		'Description: profiler for C and C++ programs: runtime and C API' \
		'Version: $(VERSION)' 'Cflags: -I$${includedir}' \
		'Libs: -L$${libdir} -Wl,--no-as-needed -lparaprof -Wl,--as-needed' >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

# What make install installs, and make uninstall removes: one list each
# (the tools whose sources are there, as `all` builds them).
INSTALL_BIN := $(if $(ANALYZER_SRC),$(REPORT)) $(if $(wildcard tools/paraprof.c),$(LAUNCHER)) \
	$(EXPORTER)
INSTALL_INC := $(wildcard include/paraprof.h)
INSTALL_INC_PP := include/paraprof/format.h
INSTALL_MAN1 := $(wildcard man/*.1)
INSTALL_MAN3 := $(wildcard man/*.3)
INSTALL_MAN5 := $(wildcard man/*.5)
I_PREFIX = $(DESTDIR)$(PREFIX)

.PHONY: uninstall
install: all $(BUILD)/paraprof.pc
	install -d $(I_PREFIX)/lib $(I_PREFIX)/bin $(I_PREFIX)/include/paraprof \
		$(I_PREFIX)/lib/pkgconfig $(I_PREFIX)/share/man/man1 \
		$(I_PREFIX)/share/man/man3 $(I_PREFIX)/share/man/man5
	install -m 755 $(LIB) $(I_PREFIX)/lib/
	install -m 644 $(BUILD)/paraprof.pc $(I_PREFIX)/lib/pkgconfig/
	install -m 644 $(INSTALL_MAN1) $(I_PREFIX)/share/man/man1/
	install -m 644 $(INSTALL_MAN3) $(I_PREFIX)/share/man/man3/
	install -m 644 $(INSTALL_MAN5) $(I_PREFIX)/share/man/man5/
	install -m 755 $(INSTALL_BIN) $(I_PREFIX)/bin/
	install -m 644 $(INSTALL_INC_PP) $(I_PREFIX)/include/paraprof/
	$(if $(INSTALL_INC),install -m 644 $(INSTALL_INC) $(I_PREFIX)/include/)

# Removes the files install installs, under the same DESTDIR and PREFIX, and
# include/paraprof when that leaves it empty; the shared directories (bin,
# lib, share/man/...) stay.
uninstall:
	rm -f $(I_PREFIX)/lib/$(notdir $(LIB)) $(I_PREFIX)/lib/pkgconfig/paraprof.pc \
		$(addprefix $(I_PREFIX)/share/man/man1/,$(notdir $(INSTALL_MAN1))) \
		$(addprefix $(I_PREFIX)/share/man/man3/,$(notdir $(INSTALL_MAN3))) \
		$(addprefix $(I_PREFIX)/share/man/man5/,$(notdir $(INSTALL_MAN5))) \
		$(addprefix $(I_PREFIX)/bin/,$(notdir $(INSTALL_BIN))) \
		$(addprefix $(I_PREFIX)/include/paraprof/,$(notdir $(INSTALL_INC_PP))) \
		$(addprefix $(I_PREFIX)/include/,$(notdir $(INSTALL_INC)))
	[ ! -d $(I_PREFIX)/include/paraprof ] || \
		rmdir --ignore-fail-on-non-empty $(I_PREFIX)/include/paraprof

-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d $(BUILD)/*/*/*.d)

# ---- benchmarks of the runtime (bench/hooks.sh) ----
$(BUILD)/bench/fibbench: bench/fibbench.c bench/clock.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g -finstrument-functions -o $@ $<

$(BUILD)/bench/libfloor.so: bench/floor.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -fPIC -shared -ftls-model=initial-exec -o $@ $<

$(BUILD)/bench/regionbench: bench/regionbench.c bench/clock.h include/paraprof.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g -Iinclude -o $@ $<

# 300 functions in the shape of a program's call graph (issue 11), generated
$(BUILD)/bench/callgraph.c: bench/gen_callgraph.sh
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)sh $< >$@.tmp && mv $@.tmp $@

$(BUILD)/bench/callgraph: $(BUILD)/bench/callgraph.c bench/clock.h
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g -finstrument-functions -Ibench -o $@ $<

.PHONY: bench-hooks
bench-hooks: $(LIB) $(BUILD)/bench/fibbench $(BUILD)/bench/libfloor.so $(BUILD)/bench/regionbench \
	$(BUILD)/bench/callgraph
	@command -v uftrace >/dev/null || { $(call pp_apt_install,uftrace); }
	$(Q)BUILD=$(BUILD) sh bench/hooks.sh

# ---- the demo, the analyzer bench, the fuzzer (examples/, bench/, tests/fuzz/) ----
# make demo: profiles examples/demo under the launcher and prints the report,
# writes the run's flame graph, $(BUILD)/demo/flamegraph.svg, and ends with
# the default target check (which fails by design; the demo does not).  Every
# line fits 80 columns.
DEMO := $(BUILD)/examples/demo
$(DEMO): examples/demo.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g -finstrument-functions -o $@ $< -lpthread

demo: deps all $(DEMO)
	$(Q)rm -rf $(BUILD)/demo
	$(Q)$(LAUNCHER) -o $(BUILD)/demo -- $(DEMO)
	@echo
	@echo "\$$ paraprof-report --format svg -o $(BUILD)/demo/flamegraph.svg \\"
	@echo "      $(BUILD)/demo/paraprof.*.ppd"
	$(Q)$(REPORT) --format svg -o $(BUILD)/demo/flamegraph.svg $(BUILD)/demo/paraprof.*.ppd
	@echo "A flame graph of the run (hover, click to zoom, Search): open"
	@echo "$(BUILD)/demo/flamegraph.svg in a browser"
	@echo
	@echo "\$$ paraprof-report --check $(BUILD)/demo/paraprof.*.ppd"
	$(Q)$(REPORT) --check $(BUILD)/demo/paraprof.*.ppd; rc=$$?; \
		[ $$rc -le 1 ] || exit $$rc; \
		echo "(exit status $$rc: 0 when every target holds, 1 when one fails)"

# bench/gen_dump writes synthetic dumps; make bench-report times
# paraprof-report on 100,000 functions x 16 threads (BENCH_K=16: every
# function in every thread).
GEN_DUMP := $(BUILD)/bench/gen_dump
$(GEN_DUMP): bench/gen_dump.c include/paraprof/format.h $(SYNTH_OBJ) $(COMMON_LIB) | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -Itests -o $@ $< $(SYNTH_OBJ) $(COMMON_LIB) -lelf -lm

.PHONY: bench-report fuzz-run
bench-report: $(REPORT) $(GEN_DUMP)
	$(Q)BUILD=$(BUILD) sh bench/report.sh
bench: bench-report

# make bench-accuracy: the accuracy table, programs of known cost against
# the report, with and without the hooks' cost (bench/accuracy.sh; the
# README's "Accuracy"; tests/integration/accuracy.sh checks the same rows).
.PHONY: bench-accuracy
bench-accuracy: $(LIB) $(REPORT) $(BUILD)/progs/accuracy $(BUILD)/progs/accuracy_noinst
	$(Q)BUILD=$(BUILD) sh bench/accuracy.sh
bench: bench-accuracy

# make bench-exporter: one scrape of paraprof-exporter over 100 synthetic
# live segments of 1,000 functions each (target <= 200 ms; bench/exporter.sh).
.PHONY: bench-exporter
bench-exporter: $(EXPORTER) $(GEN_DUMP) | request-deps
	$(Q)BUILD=$(BUILD) bash bench/exporter.sh
bench: bench-exporter

# make fuzz: libFuzzer target on the loader (and the report built from what
# it accepts), with ASan and UBSan, and its seed corpus: real dumps of
# tests/fuzz/seed_prog run under the library, and synthetic ones.
# make fuzz-run FUZZ_SECONDS=60: fuzzes that long; fails on a finding (the
# input is left in build/fuzz/crash-*).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_LOG := $(BUILD)/fuzz/fuzz.log
FUZZ_DIR := $(BUILD)/fuzz
FUZZER := $(FUZZ_DIR)/fuzz_load
FUZZ_DEB := clang libclang-rt-14-dev
FUZZ_SRC := tests/fuzz/fuzz_load.c $(filter-out analyzer/main.c,$(ANALYZER_SRC)) $(COMMON_SRC) \
	$(PPROF_GEN)

.PHONY: fuzz-deps fuzz-seeds
fuzz-deps: deps
	@command -v $(FUZZ_CC) >/dev/null && \
	echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' | \
		$(FUZZ_CC) -fsanitize=fuzzer -x c -o /dev/null - 2>/dev/null || { \
		$(call pp_apt_install,$(FUZZ_DEB)); }

$(FUZZER): $(FUZZ_SRC) $(wildcard analyzer/*.h common/*.h) include/paraprof/format.h | fuzz-deps
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -Iinclude -I. -Ianalyzer -I$(BUILD)/gen -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $(FUZZ_SRC) -lelf -lstdc++ -lm $(EXPORT_LIBS)

$(FUZZ_DIR)/seed_prog: tests/fuzz/seed_prog.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g -finstrument-functions -o $@ $< -lpthread

fuzz-seeds: $(LIB) $(GEN_DUMP) $(FUZZ_DIR)/seed_prog
	$(Q)rm -rf $(FUZZ_DIR)/seeds && mkdir -p $(FUZZ_DIR)/seeds
	$(Q)PARAPROF_QUIET=1 PARAPROF_SAMPLE=10000 PARAPROF_OUTPUT=$(FUZZ_DIR)/seeds LD_PRELOAD=$(abspath $(LIB)) \
		$(FUZZ_DIR)/seed_prog >/dev/null
	$(Q)set -e; s=1; for args in "-n 1 -t 1" "-n 20 -t 2" "-n 200 -t 4 -k 2" \
			"-n 50 -t 3 -k 3"; do \
		$(GEN_DUMP) -q $$args -s $$s -p $$((100 + s)) -r 1700000000000000000 \
			-o $(FUZZ_DIR)/seeds/synthetic.$$s.ppd; s=$$((s + 1)); \
	done
	@echo "  SEEDS   $$(ls $(FUZZ_DIR)/seeds | wc -l) dumps in $(FUZZ_DIR)/seeds"

fuzz: $(FUZZER) fuzz-seeds

# Its output (libFuzzer's statistics, some hundred lines) goes to $(FUZZ_LOG);
# it prints one line, or on a finding the log's tail, and fails.
fuzz-run: fuzz
	@mkdir -p $(FUZZ_DIR)/corpus
	$(Q)if $(FUZZER) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 \
		-dict=tests/fuzz/fuzz_load.dict -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds \
		>$(FUZZ_LOG) 2>&1; then \
		echo "  FUZZ    $(FUZZ_SECONDS) s, $$(sed -n 's/^stat::number_of_executed_units: *//p' \
			$(FUZZ_LOG)) runs, no finding (log: $(FUZZ_LOG))"; \
	else \
		tail -n 40 $(FUZZ_LOG); \
		echo "  FUZZ    a finding: see above; the input is in $(FUZZ_DIR)/ (log: $(FUZZ_LOG))"; \
		exit 1; \
	fi

# ---- the cache (cache/): its bench, its example, a TSan run ----
# make bench-cache: ns per hit and hits/s on one and two threads, against a
# one-mutex baseline (a measurement: it never fails on a slow machine).
# make check-tsan: the cache tests (test_cache, test_cache_flight) built with
# TSAN=1 into build-tsan and run.
# make example-cached: examples/cached under the launcher, which prints the
# report (the Caches section and its recommendation).
BENCH_CACHE := $(BUILD)/bench/bench_cache
$(BENCH_CACHE): bench/bench_cache.c $(BUILD)/libpp_preload.a $(COMMON_LIB) | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(APP_CFLAGS) -Icache -o $@ $< $(BUILD)/libpp_preload.a $(COMMON_LIB) \
		-lelf -lgcc_s -lstdc++ -lpthread -ldl -lm

.PHONY: bench-cache check-tsan example-cached
bench-cache: $(BENCH_CACHE)
	$(Q)$(BENCH_CACHE)
bench: bench-cache

TSAN_BUILD := build-tsan
TSAN_TESTS := test_cache test_cache_flight
check-tsan:
	$(Q)$(MAKE) --no-print-directory TSAN=1 BUILD=$(TSAN_BUILD) \
		$(TSAN_TESTS:%=$(TSAN_BUILD)/tests/%)
	$(Q)set -e; for t in $(TSAN_TESTS); do echo "  TSAN    $(TSAN_BUILD)/tests/$$t"; \
		TSAN_OPTIONS="halt_on_error=1 exitcode=66" PARAPROF_QUIET=1 \
		PARAPROF_OUTPUT=$(TSAN_BUILD)/tests $(TSAN_BUILD)/tests/$$t; done

# make check-asan: the library, the analyzer, the launcher and the test
# tools built with ASan and UBSan into build-asan, and the integration suite
# run through them.  The test programs are not built with the sanitizers, so
# the ASan runtime is preloaded before the library (PARAPROF_TEST_PRELOAD,
# tests/lib.sh).  Every sanitizer report fails the run.  ASan and
# LeakSanitizer write theirs to build-asan/sanitizer/ (log_path) whatever
# process made them, even one whose exit status no test looks at, and the
# target fails when an "ERROR:" is there (the files are printed, warnings
# too) or a test failed.  UBSan's go to the process's stderr (gcc 12's
# libubsan ignores log_path next to ASan) and end it with status 87, which
# the tests see.  LeakSanitizer runs at the exit of every process the ASan
# runtime is in (the tools, and every program run under the library);
# tests/lsan.supp lists the memory kept until the exit on purpose.  The
# runtime is gcc's (CC=gcc or cc).
ASAN_BUILD := build-asan
ASAN_LOGS := $(abspath $(ASAN_BUILD))/sanitizer
ASAN_ENV := ASAN_OPTIONS="halt_on_error=1:exitcode=86:detect_leaks=1:log_path=$(ASAN_LOGS)/asan" \
	LSAN_OPTIONS="suppressions=$(abspath tests/lsan.supp):print_suppressions=0" \
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87" \
	PARAPROF_TEST_PRELOAD="$$($(CC) -print-file-name=libasan.so)"
.PHONY: check-asan
check-asan:
	$(Q)rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	$(Q)$(MAKE) --no-print-directory -j$(CHECK_JOBS) ASAN=1 UBSAN=1 BUILD=$(ASAN_BUILD) all
	$(Q)$(ASAN_ENV) $(MAKE) --no-print-directory ASAN=1 UBSAN=1 BUILD=$(ASAN_BUILD) integration; \
	rc=$$?; \
	for f in $(ASAN_LOGS)/*; do \
		[ -e "$$f" ] || continue; \
		if grep -q 'ERROR: ' "$$f"; then \
			rc=1; echo "  SAN     report in $$f:"; \
		else \
			echo "  SAN     warning (not a report) in $$f:"; \
		fi; \
		cat "$$f"; \
	done; \
	[ $$rc -eq 0 ] && echo "  SAN     ASan and UBSan: no report"; exit $$rc

EXAMPLE_CACHED := $(BUILD)/examples/cached
$(EXAMPLE_CACHED): examples/cached.c include/paraprof.h $(LIB)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g -finstrument-functions -Iinclude -o $@ $< \
		-L$(BUILD) -Wl,-rpath,$(abspath $(BUILD)) $(LINK_PARAPROF) -lpthread

example-cached: deps all $(EXAMPLE_CACHED)
	$(Q)rm -rf $(BUILD)/cached
	$(Q)$(LAUNCHER) -o $(BUILD)/cached -- $(EXAMPLE_CACHED)

# ---- request profiling (request/): the example server, its bench ----
# examples/server is an HTTP server on libmicrohttpd, built with
# -finstrument-functions and NOT linked with -lparaprof (the header's weak
# calls), so it runs under LD_PRELOAD or without the library (the bench's
# baseline).  tests/integration/request_server.sh drives it with curl;
# make bench-server drives it with wrk (a measurement, not a timed test).
# request-deps and bench-server-deps install what is missing, as deps does.
REQUEST_DEB := libmicrohttpd-dev curl
BENCH_SERVER_DEB := wrk
EXAMPLE_SERVER := $(BUILD)/examples/server
BENCH_REQUEST := $(BUILD)/bench/requestbench

.PHONY: request-deps bench-server-deps bench-server
request-deps: deps
	@$(call pp_apt_install,$(REQUEST_DEB))
bench-server-deps: request-deps
	@$(call pp_apt_install,$(BENCH_SERVER_DEB))

$(EXAMPLE_SERVER): examples/server.c include/paraprof.h | request-deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -g -finstrument-functions -Iinclude -o $@ $< \
		-lmicrohttpd -lpthread

# One begin/end pair in a tight loop (not instrumented).
$(BENCH_REQUEST): bench/requestbench.c bench/clock.h include/paraprof.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -g -Iinclude -o $@ $< -lpthread

bench-server: $(LIB) $(REPORT) $(EXAMPLE_SERVER) $(BENCH_REQUEST) | bench-server-deps
	$(Q)BUILD=$(BUILD) bash bench/server.sh
bench: bench-server

# ---- the test suites and what they need, in one place ----
# tests/integration: the library, the analyzer and the launcher on real
# programs; tests/adversarial: what an attacker or a hostile file tries (other
# users, planted files, symlinks, FIFOs); run as root, they make a throw-away
# user.  Both run the test programs, the examples and synthetic dumps.
TEST_PREREQS := all $(TESTREADER) $(PROG_BIN) $(GEN_DUMP) $(EXAMPLES) $(EXAMPLE_CACHED) \
	$(EXAMPLE_SERVER) exports-test-deps watch-test-deps
# What the tests of the exports run: headless Chromium renders the SVG flame
# graph (report_flamegraph.sh; Debian's python3 with PIL counts the
# screenshot's pixels), go tool pprof reads the pprof file (report_pprof.sh).
EXPORTS_TEST_DEB := chromium golang-go python3-pil
.PHONY: exports-test-deps
exports-test-deps: deps
	@$(call pp_apt_install,$(EXPORTS_TEST_DEB))
# report_watch.sh drives paraprof-report --watch in a detached tmux session.
WATCH_TEST_DEB := tmux
.PHONY: watch-test-deps
watch-test-deps: deps
	@$(call pp_apt_install,$(WATCH_TEST_DEB))
.PHONY: adversarial
integration: $(TEST_PREREQS) | exporter-test-deps
	$(Q)BUILD=$(BUILD) sh tests/run-integration.sh integration
adversarial: $(TEST_PREREQS)
	$(Q)BUILD=$(BUILD) sh tests/run-integration.sh adversarial
