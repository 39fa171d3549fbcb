/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfault - systematic allocation-failure sweeps for KUnit suites.
 *
 * A suite describes each driver operation as a struct kfault_op: how to
 * build a fresh state, the one call under test, how to check the state
 * after a failure and after a success, and how to tear everything down.
 * kfault_sweep() then runs the operation with current->fail_nth = 1, 2, ...
 * until the injection no longer fires, each time on a fresh state, and for
 * each such fault point records:
 *
 *  - the failed call site: the allocator the driver called, the innermost
 *    driver frame (symbol+offset), what inside the allocator failed, the
 *    file:line of the driver's call when its allocation tag says so, and a
 *    stable id (a hash of the allocator, the kind of nesting and the
 *    function names on the driver's part of the stack, plus an occurrence
 *    count) that survives unrelated code moving.  Slab failures are caught
 *    by probes on the kmalloc and kmem_cache_alloc tracepoints, which also
 *    see __GFP_NOWARN failures (kvmalloc's first attempt, kmemleak's
 *    metadata) and read current->alloc_tag; page failures are read from the
 *    FAULT_INJECTION stack dump in the printk ring buffer;
 *  - a verdict: handled (the documented errno, state rolled back, a normal
 *    operation right after succeeds), absorbed (the injection fired but the
 *    operation succeeded through a fallback, e.g. kvmalloc falling back to
 *    vmalloc, and the state is that of a clean run), or a failure: wrong
 *    errno, state not rolled back, leak, or a kernel report (KASAN, WARN,
 *    BUG, lockdep, sleeping in atomic context).
 *
 * Each point is judged in the same run that discovers it.  Running a point
 * again by its nth is not reliable: the kernel's own allocations (a new
 * slab page, its extension vector, kmemleak's pool) come and go between
 * runs and shift the numbering.  kfault_run_point() re-runs one nth and
 * says so (not-fired, site-changed) when that happens.
 *
 * Knobs.  In 6.12 failslab and fail_page_alloc skip sleeping allocations
 * (ignore-gfp-wait=Y), highmem and order-0 pages (min-order=1) by default,
 * and these knobs exist only in debugfs.  kfault_env_init() reaches them
 * without userspace through debugfs_lookup() and the file's i_private
 * pointer, sets ignore-gfp-wait=N (both), ignore-gfp-highmem=N, min-order=0
 * and verbose=2, and kfault_env_exit() restores every value it changed.
 * This relies on debugfs internals, not on a stable API; it needs
 * CONFIG_FAULT_INJECTION_DEBUG_FS=y and no "debugfs=off".
 *
 * Arming.  kfault writes current->fail_nth right before the call under
 * test and reads and clears it right after, so KUnit's own allocations are
 * never counted.  Two counting modes:
 *  - KFAULT_WINDOW (default): every allocation made in the window counts,
 *    including those the kernel makes on the driver's behalf
 *    (misc_register(), devres, kmemleak metadata).  A driver must handle
 *    the failure of any kernel API it calls, so this is the default.
 *  - KFAULT_STACK_FILTER: only allocations whose stack passes through the
 *    driver's text count (failslab/fail_page_alloc require-start/end,
 *    CONFIG_FAULT_INJECTION_STACKTRACE_FILTER).  Use it when the window
 *    has to contain harness code that allocates, e.g. device registration
 *    before a bus probe.
 *
 * Leak check.  With CONFIG_MEM_ALLOC_PROFILING every allocation call site
 * has a struct alloc_tag counting its live objects and pages (slab, large
 * kmalloc, vmalloc backing pages, alloc_pages).  kfault snapshots the
 * driver's tags before a point's setup and after its teardown (after an
 * rcu_barrier(), so kmemleak's RCU-freed metadata is gone): any site whose
 * count changed leaked (or over-freed), reported as file:line at once, with
 * no kmemleak age wait.  Allocations the kernel makes for the driver in
 * its own code (devres, misc device) are checked by kmemleak instead.
 *
 * Requirements: the driver and this library built in (=y), the driver's
 * objects linked before this library (Kbuild order), and the driver's
 * functions named with a common prefix.
 */
#ifndef _KFAULT_H
#define _KFAULT_H

#include <kunit/test.h>
#include <linux/alloc_tag.h>
#include <linux/types.h>

/*
 * The vmlinux section holding every built-in allocation call site's tag
 * (CODETAG_SECTIONS() in the linker script); no kernel header declares it.
 */
extern struct alloc_tag __start_alloc_tags[], __stop_alloc_tags[];

#define KFAULT_SYM_LEN		96
#define KFAULT_MAX_POINTS	96
#define KFAULT_MAX_TAGS		64
#define KFAULT_MAX_NTH		400	/* like iommufd_fail_nth's cap */
#define KFAULT_TEXT_LEN		160

/* Verdicts, best first. */
enum kfault_verdict {
	KFAULT_HANDLED,
	KFAULT_ABSORBED,
	KFAULT_NOT_FIRED,
	KFAULT_SITE_CHANGED,
	KFAULT_WRONG_ERRNO,
	KFAULT_BAD_STATE,
	KFAULT_LEAK,
	KFAULT_REPORT,
};

const char *kfault_verdict_name(enum kfault_verdict v);

static inline bool kfault_verdict_ok(enum kfault_verdict v)
{
	return v == KFAULT_HANDLED || v == KFAULT_ABSORBED;
}

/* Where an injected failure hit. */
struct kfault_site {
	char attr[16];			/* "failslab", "fail_page_alloc" */
	char allocator[40];		/* e.g. "kmem_cache_alloc" */
	char inner[40];			/* what called the failing allocator */
	char caller[KFAULT_SYM_LEN];	/* innermost driver frame, sym+off/size */
	char file[40];			/* driver call site, when its alloc */
	unsigned int line;		/* tag says so (MEM_ALLOC_PROFILING) */
	unsigned long addr;		/* its return address */
	u32 hash;			/* of allocator + driver frame names */
	u32 id;				/* stable: hash + occurrence count */
	unsigned int occurrence;	/* earlier points with the same hash */
	bool silent;			/* fired, site unknown (__GFP_NOWARN page) */
	u8 nested;			/* enum kfault_nesting */
	bool targeted;			/* failed by a filter on this call */
};

/* Which allocation failed, relative to the call the driver made. */
enum kfault_nesting {
	KFAULT_DIRECT,		/* the driver's call itself */
	KFAULT_INTERNAL,	/* inside the API (vmalloc's metadata, ...) */
	KFAULT_BOOKKEEPING,	/* kmemleak or slab metadata: never visible */
};

struct kfault_point {
	unsigned int nth;
	struct kfault_site site;
};

enum kfault_mode {
	KFAULT_WINDOW,
	KFAULT_STACK_FILTER,
};

/*
 * One driver operation.  Every callback gets the op's private context
 * (ctx_size bytes, zeroed).  setup() builds a fresh state and records
 * whatever check_rollback() compares against; run() is the call under
 * test; teardown() frees everything, whatever run() returned.
 */
struct kfault_op {
	const char *name;
	size_t ctx_size;
	enum kfault_mode mode;
	int expected_err;			/* usually -ENOMEM */
	int (*setup)(void *ctx);
	int (*run)(void *ctx);
	int (*check_rollback)(void *ctx);	/* 0: state as before run() */
	int (*check_success)(void *ctx);	/* 0: state as after a clean run */
	int (*verify)(void *ctx);		/* 0: a normal op works now */
	void (*teardown)(void *ctx);
};

struct kfault_env;

/* What the environment is for: the driver under test. */
struct kfault_target {
	const char *srcdir;	/* its source directory, e.g. "kfault/module/" */
	const char *prefix;	/* its function-name prefix, e.g. "refdev_" */
};

/* suite_init / suite_exit: knobs set and restored, driver tags found. */
struct kfault_env *kfault_env_init(const struct kfault_target *target);
void kfault_env_exit(struct kfault_env *env);
unsigned int kfault_env_nr_tags(struct kfault_env *env);

/* Result of one point. */
struct kfault_result {
	enum kfault_verdict verdict;
	unsigned int nth;		/* the nth that reproduced the point */
	int ret;			/* what run() returned */
	bool fired;
	struct kfault_site site;	/* as seen in this run */
	char detail[KFAULT_TEXT_LEN];	/* why, for a failing verdict */
	char leaks[KFAULT_TEXT_LEN];	/* "file:line fn +N" ... */
	char report[KFAULT_TEXT_LEN];	/* first kernel report line */
	char report_site[KFAULT_SYM_LEN]; /* its first driver frame */
	unsigned long report_addr;
	u64 ns;
};

/* Run one point (nth = 0: a clean run with no injection). */
void kfault_run_point(struct kfault_env *env, const struct kfault_op *op,
		      const struct kfault_point *point,
		      struct kfault_result *res);

/*
 * Sweep one operation: for nth = 1, 2, ... until the injection no longer
 * fires, run the point and keep its site and result; repeat the pass (at
 * most KFAULT_PASSES times) while it finds new sites, since the kernel's
 * own allocations shift the numbering from run to run.  Then every driver
 * call seen failing only inside (a kmemleak or slab metadata allocation,
 * a new slab page) is targeted once with the stack filter narrowed to that
 * call's return address, so that the call itself fails.  Returns the number
 * of points or an errno.  Failures of the kernel's own bookkeeping
 * (kmemleak metadata, slab extension vectors, a slab refilling itself) are
 * absorbed by design and tell nothing about the driver: when absorbed
 * cleanly they are counted in *bookkeeping instead of being listed.
 */
int kfault_sweep(struct kfault_env *env, const struct kfault_op *op,
		 struct kfault_point *points, struct kfault_result *results,
		 unsigned int max, unsigned int *bookkeeping);

/*
 * The kfault.resume=OP:NTH boot argument ("" if none): kfault_sweep()
 * returns -EALREADY for the operations swept before OP in an earlier boot,
 * and, with kfault.only=OP, for every operation but OP.
 */
const char *kfault_resume(void);

/*
 * "open: fail 3 kmem_cache_alloc <- refdev_open+0x5c": no '#', which KTAP
 * reads as the start of a directive (kunit.py then drops the result).
 */
void kfault_point_desc(const struct kfault_op *op,
		       const struct kfault_point *point, char *buf, size_t len);

/* The machine-readable KTAP diagnostic line for one point. */
void kfault_log_result(struct kunit *test, const struct kfault_op *op,
		       const struct kfault_point *point,
		       const struct kfault_result *res);

/* Sweep-wide statistics, printed by kfault_log_stats(). */
void kfault_log_stats(struct kunit *test, struct kfault_env *env);

/*
 * kmemleak through its debugfs file, without userspace: cmd ("scan",
 * "clear") is written, or with cmd NULL the current report is read into
 * out (NUL-terminated).  Returns bytes written/read or an errno.  Needs
 * the test's kthread (user memory comes from kunit_vm_mmap()).
 */
ssize_t kfault_kmemleak(struct kunit *test, const char *cmd, char *out,
			size_t len);

/* Did a console line containing needle appear since kfault_log_start()? */
void kfault_log_start(struct kfault_env *env);
bool kfault_log_seen(struct kfault_env *env, const char *needle);

#endif /* _KFAULT_H */
