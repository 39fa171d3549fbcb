/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfault - systematic allocation-failure sweeps for KUnit suites.
 *
 * A driver's fault suite is a table of struct kfault_op and three macros:
 *
 *	static struct kfault_target mydrv_target = {
 *		.name = "mydrv", .srcdir = "drivers/misc/mydrv/",
 *		.prefix = "mydrv_",
 *	};
 *	KFAULT_OP(mydrv_target, probe, .ctx_size = sizeof(struct my_ctx),
 *		  .expected_err = -ENOMEM, .setup = my_setup, .run = my_probe,
 *		  .check_rollback = my_unbound, .check_success = my_bound,
 *		  .teardown = my_teardown);
 *	static struct kunit_case mydrv_fault_cases[] = {
 *		KFAULT_OP_CASE(probe),
 *		KUNIT_CASE(kfault_canary_fault_injection),
 *		KUNIT_CASE(kfault_canary_kasan),
 *		KUNIT_CASE_SLOW(kfault_kmemleak_confirmation),
 *		KUNIT_CASE(kfault_sweep_summary),
 *		{}
 *	};
 *	KFAULT_SUITE(mydrv_fault, mydrv_target, mydrv_fault_cases);
 *
 * Each KFAULT_OP_CASE is a parameterised KUnit case: parameter 0 sweeps the
 * operation (its allocations counted once, then each failed in turn, each
 * run on a fresh state) and runs it once with no fault; every later
 * parameter is one fault point with its verdict:
 *
 *  - handled: the documented errno, state rolled back, a normal operation
 *    right after succeeds;
 *  - absorbed: the injection fired but the operation succeeded through a
 *    fallback (kvmalloc falling back to vmalloc), state as after a clean run;
 *  - failures: wrong errno, state not rolled back, leak (allocation tags of
 *    the target's source directory changed), or a kernel report (KASAN,
 *    WARN, BUG, lockdep, sleeping in atomic context).
 *
 * The four kfault_* cases prove the oracles alive (fault injection, KASAN and
 * kmemleak canaries), confirms with kmemleak (two scans after its 5 s age)
 * that nothing of the target leaked, and prints the sweep's statistics.
 *
 * The library's parts: knobs.c (debugfs fault-injection knobs), tables.c
 * (which console lines and frames are whose), console.c (the printk ring
 * buffer: fault-injection dumps, kernel reports), text.c (the target's text),
 * tags.c (its allocation tags, the precise leak check), ids.c (failed sites
 * and their stable ids), probes.c (the tracepoints, arming fail_nth),
 * sweep.c (counting, arming, judging), output.c (every "kfault:" line the
 * harness parses, the verdict names), kunit.c (parameters, baseline,
 * canaries), kmemleak.c (the kmemleak confirmation), suites.c (sweeping any
 * built-in KUnit suite).
 *
 * Counting modes: KFAULT_WINDOW (default) counts every allocation made in
 * the armed window, the kernel's on the driver's behalf included; a driver
 * must handle the failure of any kernel API it calls.  KFAULT_STACK_FILTER
 * counts only allocations whose stack passes through the target's text
 * (failslab/fail_page_alloc require-start/end), for windows that must hold
 * harness code that allocates.
 *
 * Knobs.  In 6.12 failslab and fail_page_alloc skip sleeping allocations,
 * highmem and order-0 pages by default, and these knobs exist only in
 * debugfs.  They are reached without userspace through debugfs_lookup()
 * and the file's i_private, and every value changed is restored at exit.
 *
 * Requirements: the target and this library built in (=y),
 * CONFIG_MEM_ALLOC_PROFILING for the precise leak check.
 */
#ifndef _KFAULT_H
#define _KFAULT_H

#include <kunit/test.h>
#include <linux/types.h>

#define KFAULT_SYM_LEN		96
#define KFAULT_MAX_POINTS	KFAULT_MAX_NTH
#define KFAULT_MAX_NTH		400	/* like iommufd_fail_nth's cap */
#define KFAULT_TEXT_LEN		160
#define KFAULT_LEAKS_LEN	320

/*
 * Verdicts.  The first nine are an operation's, best first (crash: a
 * kernel-mode fault that guard.c caught); passed and test-failed are the
 * any-suite sweep's (suites.c): the case passed although an allocation
 * failed, or failed its own expectations because of it.  Their names
 * (output.c) are the harness's Verdict (harness/kfault/console/protocol.py), which
 * adds the harness's own hang; a test checks they agree.
 */
enum kfault_verdict {
	KFAULT_HANDLED,
	KFAULT_ABSORBED,
	KFAULT_NOT_FIRED,
	KFAULT_SITE_CHANGED,
	KFAULT_WRONG_ERRNO,
	KFAULT_BAD_STATE,
	KFAULT_LEAK,
	KFAULT_REPORT,
	KFAULT_CRASH,
	KFAULT_PASSED,
	KFAULT_TEST_FAILED,
	KFAULT_NR_VERDICTS,
};

const char *kfault_verdict_name(enum kfault_verdict v);

static inline bool kfault_verdict_ok(enum kfault_verdict v)
{
	return v == KFAULT_HANDLED || v == KFAULT_ABSORBED ||
	       v == KFAULT_PASSED || v == KFAULT_TEST_FAILED;
}

/* Which allocation failed, relative to the call the driver made. */
enum kfault_nesting {
	KFAULT_DIRECT,		/* the driver's call itself */
	KFAULT_INTERNAL,	/* inside the API (vmalloc's metadata, ...) */
	KFAULT_BOOKKEEPING,	/* kmemleak or slab metadata: never visible */
};

/* Where an injected failure hit. */
struct kfault_site {
	char attr[16];			/* "failslab", "fail_page_alloc" */
	char allocator[40];		/* e.g. "kmem_cache_alloc" */
	char inner[40];			/* what called the failing allocator */
	char caller[KFAULT_SYM_LEN];	/* innermost target frame, sym+off/size */
	char file[40];			/* target call site, when its alloc */
	unsigned int line;		/* tag says so (MEM_ALLOC_PROFILING) */
	unsigned long addr;		/* its return address */
	u32 hash;			/* of allocator + target frame names */
	u32 id;				/* stable: hash + occurrence count */
	unsigned int occurrence;	/* earlier points with the same hash */
	bool silent;			/* fired, site unknown (__GFP_NOWARN page) */
	u8 nested;			/* enum kfault_nesting */
	unsigned int fill;		/* kfault.target's attempt (1), or 0 */
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
 * One operation of the target.  Every callback gets the op's private
 * context (ctx_size bytes, zeroed).  setup() builds a fresh state, given
 * the op's setup_arg (how far to build it, say), and records whatever
 * check_rollback() compares against; run() is the call under test;
 * teardown() frees everything, whatever run() returned.
 */
struct kfault_op {
	const char *name;
	size_t ctx_size;
	enum kfault_mode mode;
	int expected_err;			/* usually -ENOMEM */
	unsigned long setup_arg;
	int (*setup)(void *ctx, unsigned long arg);
	int (*run)(void *ctx);
	int (*check_rollback)(void *ctx);	/* 0: state as before run() */
	int (*check_success)(void *ctx);	/* 0: state as after a clean run */
	int (*verify)(void *ctx);		/* 0: a normal op works now */
	void (*teardown)(void *ctx);
};

struct kfault_env;

/*
 * The code under test.  Its text is found from its source directory (the
 * functions its allocation tags name) and its symbol prefix; the suite's
 * and this library's code must not share the prefix.
 */
struct kfault_target {
	const char *name;	/* announced on the console, e.g. "refdev" */
	const char *srcdir;	/* e.g. "drivers/net/netdevsim/" */
	const char *prefix;	/* its function-name prefix, e.g. "nsim_" */
	struct kfault_env *env;	/* set by the suite's init */
};

/* suite_init / suite_exit: knobs set and restored, target text and tags. */
struct kfault_env *kfault_env_init(const struct kfault_target *target);
void kfault_env_exit(struct kfault_env *env);

/* Result of one point. */
struct kfault_result {
	enum kfault_verdict verdict;
	unsigned int nth;		/* the nth that reproduced the point */
	int ret;			/* what run() returned */
	bool fired;
	struct kfault_site site;	/* as seen in this run */
	char detail[KFAULT_TEXT_LEN];	/* why, for a failing verdict */
	char leaks[KFAULT_LEAKS_LEN];	/* "file:line fn +N/+BB", ... */
	char report[KFAULT_TEXT_LEN];	/* first kernel report line */
	char report_site[KFAULT_SYM_LEN]; /* its first target frame */
	unsigned long report_addr;
	unsigned int reports;		/* memory-safety reports of the point */
	bool flooded;			/* ... the rest were silenced */
	long printed;			/* console bytes of its guarded calls */
	bool muted;			/* ... the console silenced past the bound */
	bool wrote;			/* ... one of a write: memory is corrupted */
	bool left;			/* the KUnit bus could not be put back */
	u64 ns;
};

/* Run one point (nth = 0: a clean run with no injection). */
void kfault_run_point(struct kfault_env *env, const struct kfault_op *op,
		      const struct kfault_point *point,
		      struct kfault_result *res);

/*
 * Sweep one operation: count its allocations once with nothing failing
 * (the kernel's own bookkeeping left out), then fail each of them in turn,
 * the k-th by arming fail_nth right after the (k-1)-th, recognised by its
 * site and occurrence - the same points,
 * ids and verdicts every run.  Returns the number of points, -EALREADY when
 * kfault.resume/kfault.only skip the operation, or an errno.  Silent
 * absorbed failures are counted in *bookkeeping instead of being listed.
 */
int kfault_sweep(struct kfault_env *env, const struct kfault_op *op,
		 struct kfault_point *points, struct kfault_result *results,
		 unsigned int max, unsigned int *bookkeeping);

/* ---- KUnit glue (kunit.c) ---------------------------------------------- */

struct kfault_case_state;

struct kfault_param {
	struct kfault_case_state *state;
	unsigned int index;		/* 0: baseline, else points[index - 1] */
};

/*
 * An operation's case.  Its points, results and parameters are allocated
 * when KUnit asks for the first parameter and freed after the last: a
 * suite of twenty operations does not keep 9 MiB of them in .data.
 */
struct kfault_case_state {
	struct kfault_target *target;
	const struct kfault_op *op;
	int nr;				/* points swept, or errno */
	unsigned int bookkeeping;
	struct kfault_point *points;	/* KFAULT_MAX_POINTS each */
	struct kfault_result *results;
	struct kfault_param *params;	/* KFAULT_MAX_POINTS + 1 */
	struct kfault_param first;	/* parameter 0, if they cannot be */
};

const void *kfault_param_next(struct kfault_case_state *st, const void *prev,
			      char *desc);
void kfault_case_run(struct kunit *test);
int kfault_suite_init(struct kfault_target *target);
void kfault_suite_exit(struct kfault_target *target);
int kfault_test_init(struct kunit *test, struct kfault_target *target);
void kfault_canary_fault_injection(struct kunit *test);
void kfault_canary_kasan(struct kunit *test);
void kfault_kmemleak_confirmation(struct kunit *test);
void kfault_sweep_summary(struct kunit *test);

/*
 * Operation _name of _target: its struct kfault_op (the fields after the
 * name, e.g. .ctx_size = ..., .run = ...) and its parameter generator.  The
 * name is written once: the op's .name and its case's name come from it.
 */
#define KFAULT_OP(_target, _name, ...)					\
static const struct kfault_op _name##_kfault_op = {			\
	.name = #_name, __VA_ARGS__					\
};									\
static struct kfault_case_state _name##_kfault_state = {		\
	.target = &(_target), .op = &_name##_kfault_op,			\
};									\
static const void *_name##_kfault_gen(const void *prev, char *desc)	\
{									\
	return kfault_param_next(&_name##_kfault_state, prev, desc);	\
}

/* Its case, named "<name>_fault_sweep". */
#define KFAULT_OP_CASE(_name)						\
	{ .run_case = kfault_case_run, .name = #_name "_fault_sweep",	\
	  .generate_params = _name##_kfault_gen,			\
	  .module_name = KBUILD_MODNAME }

/*
 * After the operations, every fault suite lists the oracles' cases:
 *
 *	KUNIT_CASE(kfault_canary_fault_injection),
 *	KUNIT_CASE(kfault_canary_kasan),
 *	KUNIT_CASE_SLOW(kfault_kmemleak_confirmation),
 *	KUNIT_CASE(kfault_sweep_summary),
 */

#define KFAULT_SUITE(_suite, _target, _cases)				\
static struct kfault_target *const _suite##_kfault_target = &(_target);	\
static int _suite##_kfault_suite_init(struct kunit_suite *suite)	\
{									\
	return kfault_suite_init(_suite##_kfault_target);		\
}									\
static void _suite##_kfault_suite_exit(struct kunit_suite *suite)	\
{									\
	kfault_suite_exit(_suite##_kfault_target);			\
}									\
static int _suite##_kfault_init(struct kunit *test)			\
{									\
	return kfault_test_init(test, _suite##_kfault_target);		\
}									\
static struct kunit_suite _suite##_kfault_suite = {			\
	.name = #_suite,						\
	.suite_init = _suite##_kfault_suite_init,			\
	.suite_exit = _suite##_kfault_suite_exit,			\
	.init = _suite##_kfault_init,					\
	.test_cases = _cases,						\
};									\
kunit_test_suite(_suite##_kfault_suite)

#endif /* _KFAULT_H */
