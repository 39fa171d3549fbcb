# kfault: fault-injection and leak-checking harness for kernel drivers.
# 'make help' lists the targets.

# Debian's Python packages (pytest, jinja2) are installed for /usr/bin/python3;
# another python3 earlier on PATH (pyenv, venv) usually lacks them.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
KFAULT_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kfault
ifdef KDIR
KDIR_GIVEN := 1
else
KDIR := $(KFAULT_CACHE)/linux-source-6.12
KDIR_GIVEN := 0
endif
# builds go in kfault's view of the tree (harness/kfault/checkout/tree.py)
BUILD_DIR ?= $(KDIR)/.kfault/.kunit-kfault
FILTER ?=
# configs/targets/<TARGET>.toml; empty: the one marked 'default = true' (refdev)
TARGET ?=
OUT ?= out
BASELINE ?=
export KDIR KFAULT_CACHE KDIR_GIVEN
# the kfault package (harness/kfault), whether or not it is pip-installed
export PYTHONPATH := $(CURDIR)/harness$(if $(PYTHONPATH),:$(PYTHONPATH))

HARNESS = $(PYTHON) -m kfault --kdir $(KDIR)
# a make check of kfault's own says how it ended, as each kfault command does
# (.ci/run reads KFAULT_EXIT_FILE's last line): $(call record,CODE NAME: MEANING)
record = if [ -n "$$KFAULT_EXIT_FILE" ]; then echo "$(1)" >> "$$KFAULT_EXIT_FILE"; fi
TARGET_ARG = $(if $(TARGET),--target $(TARGET))
C_SOURCES = $(wildcard module/*.c module/*.h kunit/*/*.c kunit/*/*.h harness/kfault/user/*.c)

.PHONY: help setup link unlink configs targets skeleton kunit modules-test sweep merge shard-test nightly bench repro review review-test fix-review-test crash-test user-crash-test determinism calibrate check pytest pytest-kernel test clean

help:
	@echo "kfault targets (KDIR=$(KDIR)):"
	@echo "  setup    install Debian packages and unpack linux-source-6.12 (one time)"
	@echo "  targets  list the targets (configs/targets/*.toml); TARGET= picks one"
	@echo "  kunit    build the UML kernel with configs/ and run the target's KUnit suites"
	@echo "  check    checkpatch --strict on module/ and kunit/, flake8 + mypy on harness/"
	@echo "  pytest   the harness's own tests"
	@echo "  pytest-kernel  every KUnit case and fault point of the last 'make kunit' as a pytest item"
	@echo "  modules-test  driver and suites as modules in a UML boot: insmod, suites, rmmod, kmemleak"
	@echo "  sweep    the fault sweep across boots: survives kernel crashes, resumes after a kill;"
	@echo "           SUITE='glob' [KUNITCONFIG=...] sweeps any built-in KUnit suites unedited;"
	@echo "           SHARD=I/N sweeps every N-th of their cases from the I-th (a CI matrix);"
	@echo "           a target with [user] (TARGET=refdev-load, refdev-syscalls, modtests,"
	@echo "           upstream-modules, netdevsim-sysfs) is swept from user space: module"
	@echo "           load/unload and system calls with fail-nth, in the modules kernel"
	@echo "  merge    SUITE='glob' SHARDS=N: one report of its N shards; AGAINST=dir checks it"
	@echo "           equals an unsharded sweep on every (case, point id, verdict)"
	@echo "  shard-test  property-entry in 2 shards, merged: equal to its unsharded sweep"
	@echo "  nightly  sweep every suite of all_tests.config in a kernel of its own (hours),"
	@echo "           in NIGHTLY_SHARDS parallel shards; BASELINE= an earlier night's report.json"
	@echo "  bench    SUITE='kunit*': the sweep against one boot per point: docs/BENCHMARKS.md"
	@echo "  repro    POINT=op:id: re-run one fault point twice, its evidence, is it deterministic"
	@echo "  review   PATCH=file.patch, or BASE=rev [HEAD=rev] of a git KDIR: sweep both sides,"
	@echo "           compare by stable id (out/review/review.md); REVIEW_ARGS='--on base.patch'"
	@echo "  determinism  the fault sweep RUNS=3 times: share of (operation, id, verdict) that agree;"
	@echo "           SUITE='glob' compares sweeps of those KUnit suites; a target swept from"
	@echo "           user space compares its sweeps from user space (the same ids)"
	@echo "  calibrate  review each seeded defect patch (configs/defects/): new at its line, fixed by its reverse"
	@echo "  crash-test  sweep kfault_init_deref, whose init faults: the crash is caught in one boot"
	@echo "  user-crash-test  sweep upstream-modules: kunit-test.ko's crashes in KUnit's threads are caught"
	@echo "  fix-review-test  review our fix of finding 11 (docs/findings/kunit/0001): fixed, nothing new"
	@echo "  test     everything CI runs: setup, check, pytest, kunit (refdev, netdevsim, kfault),"
	@echo "           pytest-kernel, determinism (refdev, property-entry, modtests), sweep SUITE=property-entry"
	@echo "           (and in 2 shards, merged),"
	@echo "           calibrate, review-test, fix-review-test, crash-test, user-crash-test, modules-test,"
	@echo "           sweeps from user space (modtests, refdev-syscalls)"
	@echo "  skeleton DRIVER=drivers/...: a target file, its fragment and an op-table stub for"
	@echo "           that driver (out/skeleton/NAME); then make kunit TARGET=out/skeleton/NAME/NAME.toml"
	@echo "  link     link this checkout into KDIR (done by kunit); unlink undoes it"
	@echo "  configs  regenerate configs/.kunitconfig and configs/modules/.kunitconfig"
	@echo "  clean    remove the build directory and out/, unlink the tree"
	@echo "Variables: TARGET=netdevsim (or a target file's path)  KDIR=/path/to/linux  BUILD_DIR=dir  FILTER='suite*'  OUT=out"
	@echo "           BASELINE=report.json"
	@echo "           CALIBRATE_ARGS='--kernel-arg kfault.leak_check=0'  PYTHON=python3"
	@echo "           KUNITCONFIG=path (kunit: added to ours; sweep SUITE=: the suites')"
	@echo "           ARGS='...': any flag of the command, spelled as kunit.py spells it, e.g."
	@echo "           ARGS='--jobs 2 --kconfig_add CONFIG_KASAN=n --kernel_args kfault.guard=0'"
	@echo "           (kfault COMMAND --help, or python3 -m kfault, lists them)"

setup:
	@./harness/setup.sh

link:
	@$(HARNESS) link

unlink:
	@$(HARNESS) unlink

configs:
	@$(HARNESS) configs

targets:
	@$(HARNESS) targets

# DRIVER=drivers/... of KDIR: a target file, its fragment and an op-table stub
skeleton:
	@$(HARNESS) skeleton '$(DRIVER)' $(if $(filter command line,$(origin OUT)),--out $(OUT)/skeleton)

kunit:
	@$(HARNESS) kunit $(TARGET_ARG) --build-dir $(BUILD_DIR) --out $(OUT) \
		$(if $(BASELINE),--baseline $(BASELINE)) $(if $(KUNITCONFIG),--kunitconfig $(KUNITCONFIG)) \
		$(ARGS) $(FILTER)

modules-test:
	@$(HARNESS) modules $(TARGET_ARG) --out $(OUT)

# SWEEP_ARGS: e.g. --fresh, --kernel-arg kfault.leak_check=0; for a target
# swept from user space, --only OP:ID runs that one point (its reproducer)
# SUITE='glob' sweeps any built-in KUnit suites instead (KUNITCONFIG= adds theirs);
# SHARD=I/N sweeps every N-th of their cases from the I-th (out/suites/sweep-shard-I-of-N),
# what a CI matrix runs on N machines; 'make merge SUITE=glob SHARDS=N' makes one report
sweep:
	@$(HARNESS) sweep $(TARGET_ARG) --build-dir $(BUILD_DIR) --out $(OUT) \
		$(if $(SUITE),--suite '$(SUITE)') $(if $(KUNITCONFIG),--kunitconfig $(KUNITCONFIG)) \
		$(if $(SHARD),--shard $(SHARD)) $(SWEEP_ARGS) $(ARGS)

merge:
	@$(HARNESS) merge --build-dir $(BUILD_DIR) --out $(OUT) --suite '$(SUITE)' \
		$(if $(KUNITCONFIG),--kunitconfig $(KUNITCONFIG)) --shards $(or $(SHARDS),2) \
		$(if $(AGAINST),--against $(AGAINST))

# make test: property-entry swept in 2 shards, merged, equal to its unsharded sweep
shard-test:
	@$(MAKE) --no-print-directory sweep SUITE=property-entry SHARD=0/2 SWEEP_ARGS=--fresh
	@$(MAKE) --no-print-directory sweep SUITE=property-entry SHARD=1/2 SWEEP_ARGS=--fresh
	@$(MAKE) --no-print-directory merge SUITE=property-entry SHARDS=2 AGAINST=$(OUT)/suites/sweep

# Every suite of the kernel's all_tests.config that builds under UML, swept in
# a kernel of its own (.kunit-kfault-suites; a cold build of most of the tree):
# built once, then NIGHTLY_SHARDS shards in parallel (pytest-xdist, one UML a
# worker, harness/kfault/parallel), merged into one report (out/nightly/suites/
# sweep-merged-of-N/report).  The policy (configs/nightly.toml) leaves suites
# out and caps the time and boots of each; BASELINE= an earlier night's
# report.json compares the two by stable id (new, fixed, gone).  A boot may run
# for hours (--timeout 14400); one silent for 120 s is a hang (--idle, its default).
NIGHTLY_BOOTS ?= 2000
NIGHTLY_SHARDS ?= 2
NIGHTLY_SUITES ?= *
NIGHTLY_CONFIG ?= tools/testing/kunit/configs/all_tests.config
NIGHTLY_POLICY ?= configs/nightly.toml
NIGHTLY = --build-dir $(BUILD_DIR) --out $(abspath $(OUT))/nightly --suite '$(NIGHTLY_SUITES)' \
	--kunitconfig $(NIGHTLY_CONFIG)
nightly:
	@$(HARNESS) build $(NIGHTLY)
	@$(PYTHON) -m pytest -p xdist -n $(NIGHTLY_SHARDS) -q -p no:cacheprovider harness/kfault/parallel \
		--shards $(NIGHTLY_SHARDS) --sweep "--kdir $(KDIR) sweep $(NIGHTLY) \
		--policy $(abspath $(NIGHTLY_POLICY)) --timeout 14400 --max-boots $(NIGHTLY_BOOTS) \
		$(SWEEP_ARGS)"; \
	$(HARNESS) merge $(NIGHTLY) --shards $(NIGHTLY_SHARDS) --policy $(abspath $(NIGHTLY_POLICY)) \
		$(if $(BASELINE),--baseline $(abspath $(BASELINE)))

# Our sweep of SUITE= (kunit*) against one boot per fault point on the same
# points, 2 shards against 1, and a rebuild after touching a driver file:
# docs/BENCHMARKS.md.  BENCH_ARGS: --runs N --sample N --touch FILE
bench:
	@$(HARNESS) bench --build-dir $(BUILD_DIR) --out $(abspath $(OUT)) \
		--suite '$(or $(SUITE),kunit*)' $(BENCH_ARGS)

# POINT=OP:ID or OP:NTH (ids: out/report/TARGET/report.json), e.g. POINT=open:e3e5e880
repro:
	@$(HARNESS) repro $(TARGET_ARG) --build-dir $(BUILD_DIR) --out $(OUT) $(REPRO_ARGS) $(ARGS) "$(POINT)"

# PATCH=file.patch (a series, an mbox, or a directory of *.patch) against this
# checkout or KDIR: both sides swept, compared by stable id; exit 1 on new findings
# BASE=rev [HEAD=rev] (default HEAD) instead: the two revisions of a git KDIR
review:
	@$(HARNESS) review $(TARGET_ARG) --build-dir $(BUILD_DIR) --out $(OUT) $(REVIEW_ARGS) $(ARGS) \
		$(if $(KUNITCONFIG),--kunitconfig $(KUNITCONFIG)) \
		$(if $(PATCH),"$(PATCH)") $(if $(BASE),--base '$(BASE)' --head '$(or $(HEAD),HEAD)')

# make test's review: the example patch must come out as its new leak, its hunk
# reported as executed (gcov: the changed line 54 ran) under the open points,
# harness exit 1
review-test:
	@mkdir -p $(OUT); $(HARNESS) review --build-dir $(BUILD_DIR) --out $(OUT) configs/review/open-unwind-leak.patch \
		> $(OUT)/review-test.log 2>&1; rc=$$?; tail -3 $(OUT)/review-test.log; \
	if [ $$rc -ne 1 ] || ! grep -q "| handled -> leak | refdev_session.c:37 |" $(OUT)/review/review.md \
		|| ! grep -q "^- .module/refdev_session.c:51. (.refdev_open.): executed: line(s) [0-9, ]*54[0-9, ]* of .* ran (gcov); [1-9][0-9]* point(s) ran in it: open 1" \
			$(OUT)/review/review.md; then \
		echo "review-test: expected the new leak at refdev_session.c:37, its hunk executed (gcov) under the open points, and exit 1 (got $$rc): see $(OUT)/review-test.log"; \
		$(call record,1 review-test: the example patch did not come out as expected); exit 1; fi; \
	$(call record,0 review-test: as expected); \
	grep "^- .module/refdev_session.c:51." $(OUT)/review/review.md; \
	echo "review-test: the dropped kfree is a new leak at refdev_session.c:37, its hunk executed (gcov) under swept points, exit 1"

# make test's fix: our patch for finding 11 (docs/findings/kunit/0001) against
# the stock tree, the suite that shows it (kunit_device) swept on both sides: the
# driver point 10 left on the kunit bus must come out fixed, nothing new, exit 0
FIX_PATCH = docs/findings/kunit/0001-kunit-device-Unregister-the-driver-or-device-if-kuni.patch
fix-review-test:
	@mkdir -p $(OUT); $(HARNESS) review --build-dir $(BUILD_DIR) --out $(OUT) --suite kunit_device $(FIX_PATCH) \
		> $(OUT)/fix-review-test.log 2>&1; rc=$$?; tail -1 $(OUT)/fix-review-test.log; \
	if [ $$rc -ne 0 ] || ! grep -q "^review: 0 new, [1-9][0-9]* fixed" $(OUT)/fix-review-test.log \
		|| ! grep -q "kunit_add_action | report -> test-failed | resource.c:101 | kfault: left registered on the kunit bus" \
			$(OUT)/review/review.md; then \
		echo "fix-review-test: expected kunit_device_test's point 10 (a driver left on the kunit bus) fixed, nothing new, exit 0 (got $$rc): see $(OUT)/fix-review-test.log"; \
		$(call record,1 fix-review-test: the fix did not come out as expected); exit 1; fi; \
	$(call record,0 fix-review-test: as expected); \
	echo "fix-review-test: the kunit_add_action() fix removes the driver point 10 left on the kunit bus, nothing new, exit 0"

# make test's crash: kfault_init_deref's init dereferences an allocation it
# does not check; the fault is caught in the boot (kunit/kfault/guard.c): one
# boot, the point's verdict crash
crash-test:
	@mkdir -p $(OUT); $(MAKE) --no-print-directory sweep SUITE=kfault_init_deref SWEEP_ARGS=--fresh \
		> $(OUT)/crash-test.log 2>&1; grep "^sweep: [0-9]* points" $(OUT)/crash-test.log; \
	if ! grep -q "^sweep: [0-9]* points and [0-9]* baselines, 1 crashes (1 caught in the boot, 0 took the boot down)" \
			$(OUT)/crash-test.log || grep -q "^sweep: boot 2:" $(OUT)/crash-test.log; then \
		echo "crash-test: expected kfault_init_deref's crash caught in one boot: see $(OUT)/crash-test.log"; \
		$(call record,1 crash-test: the crash was not caught in one boot); exit 1; fi; \
	$(call record,0 crash-test: as expected); \
	echo "crash-test: the suite's crash cost a point, not a boot"

# make test's crash from user space: kunit-test.ko's U3 faults in KUnit's
# cleanup kthreads, which modsuites.c guards: they must be caught in the boot
# (at least 20 of them), the whole of upstream-modules swept in at most 3
# boots (it took 26 before), exit 1 for its known-unfixed U3/U4 findings
user-crash-test:
	@mkdir -p $(OUT); $(HARNESS) sweep --target upstream-modules --build-dir $(BUILD_DIR) \
		--out $(OUT) --fresh --max-boots 3 > $(OUT)/user-crash-test.log 2>&1; rc=$$?; \
	line=$$(grep "^usersweep: upstream-modules: 1108 points" $(OUT)/user-crash-test.log); echo "$$line"; \
	caught=$$(echo "$$line" | sed -n 's/.*(\([0-9]*\) caught in the boot.*/\1/p'); \
	if [ $$rc -ne 1 ] || [ -z "$$caught" ] || [ "$$caught" -lt 20 ] \
			|| grep -q "INCOMPLETE" $(OUT)/user-crash-test.log; then \
		echo "user-crash-test: expected all 1108 points in at most 3 boots, 20 or more crashes caught in the boot (got exit $$rc): see $(OUT)/user-crash-test.log"; \
		$(call record,1 user-crash-test: the crashes of kunit-test.ko's threads were not caught); exit 1; fi; \
	$(call record,0 user-crash-test: as expected); \
	echo "user-crash-test: $$caught crashes in KUnit's threads cost a point each, not a boot"

# RUNS: how many sweeps to compare
determinism:
	@$(HARNESS) determinism $(TARGET_ARG) --build-dir $(BUILD_DIR) --out $(OUT) --runs $(or $(RUNS),3) \
		$(if $(SUITE),--suite '$(SUITE)') $(if $(KUNITCONFIG),--kunitconfig $(KUNITCONFIG))

# CALIBRATE_ARGS: e.g. --kernel-arg kfault.leak_check=0, --kconfig-add CONFIG_KASAN=n
calibrate:
	@$(HARNESS) calibrate $(TARGET_ARG) --build-dir $(BUILD_DIR) --out $(OUT) $(CALIBRATE_ARGS) $(ARGS)

check:
	@$(HARNESS) configs --check
	@perl $(KDIR)/scripts/checkpatch.pl --strict --no-tree --quiet --show-types -f $(C_SOURCES) \
		&& echo "checkpatch: $(words $(C_SOURCES)) files clean"
	@$(PYTHON) -m flake8 --max-line-length=100 harness && echo "flake8: clean"
	@$(PYTHON) -m mypy --strict --no-error-summary harness && echo "mypy: clean"

pytest:
	@$(PYTHON) -m pytest -q -p no:cacheprovider harness/tests

# PYTEST_ARGS: e.g. -k 'probe_fault_sweep and alloc_pages' -x --junitxml=out/kunit.xml
pytest-kernel:
	@$(PYTHON) -m pytest -q -p no:cacheprovider -p kfault.pytest_plugin --kfault-kdir $(KDIR) \
		$(if $(TARGET),--kfault-target $(TARGET)) $(PYTEST_ARGS) $(BUILD_DIR)/test.log

# One kernel carries every target: the later kunit runs only boot it again.
test: setup check pytest kunit pytest-kernel
	@$(MAKE) --no-print-directory sweep TARGET=refdev-syscalls SWEEP_ARGS=--fresh
	@$(MAKE) --no-print-directory sweep TARGET=modtests SWEEP_ARGS=--fresh
	@$(MAKE) --no-print-directory determinism TARGET=modtests
	@$(MAKE) --no-print-directory kunit TARGET=netdevsim
	@$(MAKE) --no-print-directory kunit TARGET=kfault
	@$(MAKE) --no-print-directory determinism
	@$(MAKE) --no-print-directory sweep SUITE=property-entry SWEEP_ARGS=--fresh
	@$(MAKE) --no-print-directory shard-test
	@$(MAKE) --no-print-directory determinism SUITE=property-entry
	@$(MAKE) --no-print-directory sweep SUITE=kfault_page_site SWEEP_ARGS=--fresh
	@$(MAKE) --no-print-directory crash-test
	@$(MAKE) --no-print-directory user-crash-test
	@$(MAKE) --no-print-directory calibrate
	@$(MAKE) --no-print-directory review-test
	@$(MAKE) --no-print-directory fix-review-test
	@$(MAKE) --no-print-directory modules-test

clean:
	rm -rf $(BUILD_DIR) $(KDIR)/.kfault/.kunit-kfault-* $(OUT)
	-@$(HARNESS) unlink
	find harness -name __pycache__ -type d -exec rm -rf {} +
