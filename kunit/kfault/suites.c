// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: sweep any built-in KUnit suite without editing it.
 *
 * The suite kfault_suites has one parameterised case; with
 * kfault.suites=GLOB on the kernel command line its parameters are the
 * points of every matching suite: each case (each parameter of a
 * parameterised case) run with current->fail_nth = 1, 2, ... armed in the
 * case's own thread before suite->init, until the injection no longer
 * fires (at most KFAULT_MAX_NTH).  A point runs init, the case and exit in
 * KUnit try-catch threads the way the KUnit executor does, so that a
 * point's result is a parameter of this suite's case in the KTAP output.
 *
 * Verdicts: passed (the case passed although the injection fired),
 * test-failed (its own expectations failed because an allocation failed:
 * expected, not a finding), and report (a kernel report during the point:
 * KASAN, WARN, BUG, lockdep, ...).  A crash takes the boot down with the
 * point's "try" line last on the console, as for the op sweeps.
 */
#include <kunit/test.h>
#include <kunit/try-catch.h>
#include <linux/glob.h>
#include <linux/moduleparam.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

static char suites[128];
module_param_string(suites, suites, sizeof(suites), 0644);
MODULE_PARM_DESC(suites, "GLOB - the built-in KUnit suites kfault_suites sweeps");

#define KFAULT_SUITES_NAME	"kfault_suites"

/* Where the walk over suites, cases, parameters and nth is. */
struct kfault_any {
	struct kunit_suite * const *suite;
	struct kunit_case *kcase;
	const void *param;		/* the case's parameter, or NULL */
	unsigned int param_nr;		/* its number, from 1; 0: no parameters */
	char param_desc[KUNIT_PARAM_DESC_SIZE];
	char op[KFAULT_SYM_LEN];	/* "suite.case" or "suite.case.N" */
	unsigned int nth;
	bool fired;			/* the last point's injection fired */
	/* the point being run */
	struct kunit inner;
	struct task_struct *task;	/* the try thread, held until read */
	int init_err;
};

static struct kfault_any kfault_any;
static struct kfault_env *kfault_suites_env;

static struct kunit_suite * const *kfault_any_suite(struct kunit_suite * const *from)
{
	for (; from < __kunit_suites_end; from++)
		if (strcmp((*from)->name, KFAULT_SUITES_NAME) &&
		    glob_match(suites, (*from)->name))
			return from;
	return NULL;
}

/* The first parameter of the current case; false if it has none to run. */
static bool kfault_any_start_case(struct kfault_any *a)
{
	a->param = NULL;
	a->param_nr = 0;
	a->param_desc[0] = '\0';
	if (!a->kcase->generate_params)
		return true;
	a->param = a->kcase->generate_params(NULL, a->param_desc);
	a->param_nr = 1;
	return a->param;
}

/* The next parameter, case or suite; false at the end. */
static bool kfault_any_next(struct kfault_any *a)
{
	if (a->kcase->generate_params) {
		a->param_desc[0] = '\0';
		a->param = a->kcase->generate_params(a->param, a->param_desc);
		a->param_nr++;
		if (a->param)
			return true;
	}
	for (;;) {
		a->kcase++;
		while (!a->kcase->run_case) {
			a->suite = kfault_any_suite(a->suite + 1);
			if (!a->suite)
				return false;
			a->kcase = (*a->suite)->test_cases;
		}
		if (kfault_any_start_case(a))
			return true;
	}
}

static void kfault_any_name(struct kfault_any *a)
{
	if (a->param_nr)
		snprintf(a->op, sizeof(a->op), "%s.%s.%u", (*a->suite)->name,
			 a->kcase->name, a->param_nr);
	else
		snprintf(a->op, sizeof(a->op), "%s.%s", (*a->suite)->name,
			 a->kcase->name);
}

/*
 * kfault.resume=OP:NTH (OP "suite.case" or "suite.case.N", the point of
 * the "try" line a crash left last): walk on to that point, resume after it.
 */
static bool kfault_any_resume(struct kfault_any *a)
{
	const char *at = kfault_resume();
	size_t len = strcspn(at, ":");
	unsigned int nth;

	if (!at[0] || kstrtouint(at + len + 1, 10, &nth))
		return true;
	for (;;) {
		kfault_any_name(a);
		if (strlen(a->op) == len && !strncmp(a->op, at, len)) {
			a->nth = nth;
			a->fired = true;	/* go on with nth + 1 */
			return true;
		}
		if (!kfault_any_next(a))
			return false;
	}
}

static const void *kfault_any_gen(const void *prev, char *desc)
{
	struct kfault_any *a = &kfault_any;
	char *hash;

	if (!prev) {
		if (!suites[0])
			return NULL;
		a->suite = kfault_any_suite(__kunit_suites_start);
		if (!a->suite)
			return NULL;
		a->kcase = (*a->suite)->test_cases - 1;
		a->param = NULL;
		a->param_nr = 0;
		a->fired = false;
		if (!kfault_any_next(a) || !kfault_any_resume(a))
			return NULL;
		a->nth = a->fired ? a->nth + 1 : 1;
		a->fired = false;
	} else if (a->fired && a->nth < KFAULT_MAX_NTH) {
		a->nth++;
	} else {
		if (!kfault_any_next(a))
			return NULL;
		a->nth = 1;
	}
	kfault_any_name(a);
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s.%s%s%s%s: fail %u",
		 (*a->suite)->name, a->kcase->name, a->param ? " [" : "",
		 a->param_desc, a->param ? "]" : "", a->nth);
	/* '#' starts a KTAP directive: kunit.py would drop the result */
	while ((hash = strchr(desc, '#')))
		*hash = '_';
	return a;
}

/* In the case's own thread: arm, init, the case (as kunit_try_run_case). */
static void kfault_any_try(void *data)
{
	struct kfault_any *a = data;
	struct kunit_suite *suite = *a->suite;
	struct kunit *test = &a->inner;

	a->task = get_task_struct(current);
	current->kunit_test = test;
	WRITE_ONCE(current->fail_nth, a->nth);
	if (suite->init) {
		a->init_err = suite->init(test);
		if (a->init_err) {
			kunit_err(test, "failed to initialize: %d\n", a->init_err);
			kunit_set_failure(test);
			return;
		}
	}
	a->kcase->run_case(test);
}

static void kfault_any_catch(void *data)
{
	struct kfault_any *a = data;

	kunit_set_failure(&a->inner);
}

static void kfault_any_cleanup(void *data)
{
	struct kfault_any *a = data;
	struct kunit_suite *suite = *a->suite;

	current->kunit_test = &a->inner;
	WRITE_ONCE(current->fail_nth, 0);
	/* as kunit_try_run_case_cleanup(): exit runs even after a failed init */
	if (suite->exit)
		suite->exit(&a->inner);
	kunit_cleanup(&a->inner);
}

static void kfault_any_run(struct kfault_any *a, kunit_try_catch_func_t try)
{
	struct kunit_try_catch tc = {
		.test = &a->inner, .try = try, .catch = kfault_any_catch,
	};

	kunit_try_catch_run(&tc, a);
}

/* One point: the case with its nth allocation failing. */
static void kfault_suites_point(struct kunit *test)
{
	struct kfault_any *a = (struct kfault_any *)test->param_value;
	struct kunit_suite *suite = *a->suite;
	struct kfault_result res = { };
	unsigned int left = 0;
	const char *verdict;
	int err;
	u32 id;

	KUNIT_ASSERT_NOT_NULL(test, a);
	if (suite->suite_init) {
		err = suite->suite_init(suite);
		if (err) {
			a->fired = false;
			kunit_skip(test, "%s's suite_init failed: %d", suite->name, err);
		}
	}
	kunit_init_test(&a->inner, a->kcase->name, NULL);
	a->inner.param_value = a->param;
	a->task = NULL;
	a->init_err = 0;
	pr_info("kfault: try op=%s nth=%u\n", a->op, a->nth);
	kfault_log_mark(kfault_suites_env);
	kfault_any_run(a, kfault_any_try);
	if (a->task) {
		left = READ_ONCE(a->task->fail_nth);
		put_task_struct(a->task);
	}
	kfault_any_run(a, kfault_any_cleanup);
	if (suite->suite_exit)
		suite->suite_exit(suite);
	rcu_barrier();
	kfault_log_scan(kfault_suites_env, NULL, &res);
	a->fired = !left;
	verdict = !a->fired ? "not-fired" : res.report[0] ? "report" :
		  a->inner.status == KUNIT_FAILURE ? "test-failed" : "passed";
	id = kfault_fnv(kfault_fnv(KFAULT_FNV_SEED, a->op, strlen(a->op)),
			&a->nth, sizeof(a->nth));
	pr_info("kfault: ran op=%s nth=%u verdict=%s nesting=0 site=// id=%08x\n",
		a->op, a->nth, verdict, id);
	if (a->fired)
		kunit_info(test, "kfault: op=%s nth=%u fill=0 ran=%u attr=- allocator=- inner=- site=- file=-:0 addr=0x0 id=%08x verdict=%s ret=%d us=0 leaked=[] report=[%s] report_site=%s report_addr=0x%lx detail=[%s%s]\n",
			   a->op, a->nth, a->nth, id, verdict, a->init_err,
			   res.report, res.report_site[0] ? res.report_site : "-",
			   res.report_addr, a->param_desc[0] ? "param " : "",
			   a->param_desc);
	if (!a->fired)
		kunit_skip(test, "the injection no longer fires: %u allocations",
			   a->nth - 1);
	KUNIT_EXPECT_TRUE_MSG(test, !res.report[0], "kernel report: %s",
			      res.report);
}

/* Only the knobs (failslab and fail_page_alloc must fail sleeping allocations). */
static int kfault_suites_init(struct kunit_suite *suite)
{
	int err;

	kfault_suites_env = kzalloc(sizeof(*kfault_suites_env), GFP_KERNEL);
	if (!kfault_suites_env)
		return -ENOMEM;
	err = kfault_knobs_set(&kfault_suites_env->knobs);
	if (err) {
		kfree(kfault_suites_env);
		kfault_suites_env = NULL;
	}
	return err;
}

static void kfault_suites_exit(struct kunit_suite *suite)
{
	if (!kfault_suites_env)
		return;
	kfault_knobs_restore(kfault_suites_env->knobs.knob,
			     ARRAY_SIZE(kfault_suites_env->knobs.knob));
	kfree(kfault_suites_env);
	kfault_suites_env = NULL;
}

static struct kunit_case kfault_suites_cases[] = {
	KUNIT_CASE_PARAM(kfault_suites_point, kfault_any_gen),
	{}
};

static struct kunit_suite kfault_suites_suite = {
	.name = KFAULT_SUITES_NAME,
	.suite_init = kfault_suites_init,
	.suite_exit = kfault_suites_exit,
	.test_cases = kfault_suites_cases,
};

kunit_test_suite(kfault_suites_suite);
