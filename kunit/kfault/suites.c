// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: sweep any built-in KUnit suite without editing it.
 *
 * The suite kfault_suites has one parameterised case; with
 * kfault.suites=GLOB on the kernel command line its parameters are the
 * points of every matching suite.  Each case (each parameter of a
 * parameterised case) runs once with nothing failing, counting its
 * allocations in the case's own thread from before suite->init (point 0,
 * the baseline); point k then fails the k-th, armed as the op sweeps arm
 * it (sweep.c): after the event with the (k-1)-th's site and occurrence,
 * so that the kernel's own bookkeeping moves no point.  At most
 * KFAULT_MAX_NTH points a case.  A point runs suite_init, init, the case,
 * exit and suite_exit the way the KUnit executor does, in KUnit try-catch
 * threads, so that a point's result is a parameter of this suite's case in
 * the KTAP output.  Sites come from allocation tags (the call being made,
 * with its file:line); kfault.suites_dirs=DIR,... names the directories
 * whose tags the precise leak check compares before and after each point.
 *
 * Verdicts: passed (the case passed although the injection fired),
 * test-failed (its own expectations failed because an allocation failed:
 * expected, not a finding), and the findings report (a kernel report
 * during the point: KASAN, WARN, BUG, lockdep, ..., or a driver or device
 * it left on the KUnit bus, bus.c) and leak (a tag of
 * suites_dirs holds more than before the point).  A crash takes the boot
 * down with the point's "try" line last on the console, as for the op
 * sweeps.
 */
#include <kunit/test.h>
#include <kunit/try-catch.h>
#include <linux/glob.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "internal.h"
#include "string-stream.h"	/* lib/kunit: a point's log */

static char suites[128];
module_param_string(suites, suites, sizeof(suites), 0644);
MODULE_PARM_DESC(suites, "GLOB - the built-in KUnit suites kfault_suites sweeps");

static char suites_dirs[1024];
module_param_string(suites_dirs, suites_dirs, sizeof(suites_dirs), 0644);
MODULE_PARM_DESC(suites_dirs, "DIR,... - source directories of the suites and the code they test");

/*
 * kfault.shard=I/N sweeps every N-th case from the I-th (0 <= I < N): the
 * cases (a parameter, a suite's suite_init stage: each its own) are
 * numbered in sweep order over all the matching suites, so the N shards
 * together sweep each once, and a CI matrix can run them on N machines.
 */
static char shard[16];
module_param_string(shard, shard, sizeof(shard), 0644);
MODULE_PARM_DESC(shard, "I/N - sweep every N-th case of kfault.suites, from the I-th");

/*
 * kfault.until=OP ends the sweep after case OP's baseline: with
 * kfault.resume, a slice of the sweep, to find which earlier point left the
 * state that OP's baseline fails on (the harness bisects over slices).
 */
static char until[KFAULT_SYM_LEN];
module_param_string(until, until, sizeof(until), 0644);
MODULE_PARM_DESC(until, "OP - end the suite sweep after this case's baseline");

/*
 * kfault.exclude=GLOB,... leaves the matching suites out of kfault.suites:
 * a night's policy (configs/nightly.toml) and the suites the harness has
 * capped.  Their cases keep their numbers, so every shard keeps its cases.
 */
static char exclude[1024];
module_param_string(exclude, exclude, sizeof(exclude), 0644);
MODULE_PARM_DESC(exclude, "GLOB,... - suites of kfault.suites not to sweep");

/*
 * kfault.suite_ms=N: once a suite's points have taken N ms in this boot,
 * the rest of it is skipped with a "kfault: capped" line, so that no one
 * suite takes the night.  0: no cap.
 */
static unsigned int suite_ms;
module_param(suite_ms, uint, 0644);
MODULE_PARM_DESC(suite_ms, "N - skip the rest of a suite after N ms of its points");

/* Any code: no prefix, sites from allocation tags (ids.c). */
static struct kfault_target kfault_suites_target = {
	.name = "suites",
	.srcdir = suites_dirs,
	.prefix = "",
};

#define KFAULT_SUITES_NAME	"kfault_suites"

/* Where the walk over suites, cases, parameters and nth is. */
struct kfault_any {
	struct kunit_suite * const *suite;
	struct kunit_case *kcase;
	bool suite_stage;		/* the suite's suite_init/exit point */
	const void *param;		/* the case's parameter, or NULL */
	unsigned int param_nr;		/* its number, from 1; 0: no parameters */
	char param_desc[KUNIT_PARAM_DESC_SIZE];
	char op[KFAULT_SYM_LEN];	/* "suite.case" or "suite.case.N" */
	unsigned int index;		/* the case's number in sweep order */
	unsigned int shard, shards;	/* kfault.shard=I/N; shards 0: all */
	struct kunit_suite * const *timed;	/* the suite whose clock runs */
	u64 since;			/* ... since this (ns), in this boot */
	struct kunit_suite * const *capped;	/* its points took suite_ms */
	unsigned int nth;		/* 0: the counting run, the baseline */
	bool counted;			/* expect[] holds this case's events */
	unsigned int events;
	u32 expect[KFAULT_MAX_NTH];	/* the counting run's site hashes */
	struct kfault_site sites[KFAULT_MAX_NTH];	/* ... and sites */
	bool hit;			/* the failure was the point's event */
	bool rerun_failed;		/* passed once, failed run again */
	char first_report[KFAULT_TEXT_LEN];	/* the first run's */
	unsigned int arm_count;		/* fail_nth once armed */
	/* the point being run */
	struct kunit inner;
	struct task_struct *task;	/* the try thread, held until read */
	struct string_stream *log;	/* the point's, as KUnit gives a case */
	bool disarmed;			/* the case returned: left is fail_nth */
	struct kfault_fault fault;	/* the case's or its exit's, if caught */
	struct kfault_fault exit_fault;	/* the exit's guarded call */
	struct kfault_bus_state bus;	/* the KUnit bus before the attempt */
	unsigned int left;
	int init_err;
	struct kfault_result res;
};

static struct kfault_any kfault_any;

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

static bool kfault_any_first_case(struct kfault_any *a);

/* a->suite was just reached: its suite_init point, else its first case. */
static bool kfault_any_enter(struct kfault_any *a)
{
	a->kcase = (*a->suite)->test_cases;
	a->param = NULL;
	a->param_nr = 0;
	a->param_desc[0] = '\0';
	a->suite_stage = (*a->suite)->suite_init || (*a->suite)->suite_exit;
	return a->suite_stage || kfault_any_first_case(a);
}

/* From a->kcase on: the first case with something to run, in any suite. */
static bool kfault_any_first_case(struct kfault_any *a)
{
	for (;;) {
		if (!a->kcase->run_case) {
			a->suite = kfault_any_suite(a->suite + 1);
			return a->suite && kfault_any_enter(a);
		}
		if (kfault_any_start_case(a))
			return true;
		a->kcase++;
	}
}

/* The next parameter, case or suite; false at the end. */
static bool kfault_any_next(struct kfault_any *a)
{
	a->index++;
	if (a->suite_stage) {
		a->suite_stage = false;
		return kfault_any_first_case(a);
	}
	if (a->kcase->generate_params) {
		a->param_desc[0] = '\0';
		a->param = a->kcase->generate_params(a->param, a->param_desc);
		a->param_nr++;
		if (a->param)
			return true;
	}
	a->kcase++;
	return kfault_any_first_case(a);
}

static void kfault_any_name(struct kfault_any *a)
{
	if (a->suite_stage)
		snprintf(a->op, sizeof(a->op), "%s.suite_init",
			 (*a->suite)->name);
	else if (a->param_nr)
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
static bool kfault_any_find(struct kfault_any *a, const char *op, size_t len)
{
	for (;;) {
		kfault_any_name(a);
		if (strlen(a->op) == len && !strncmp(a->op, op, len))
			return true;
		if (!kfault_any_next(a))
			return false;
	}
}

/* "I/N" into a->shard, a->shards; false (nothing swept) when malformed */
static bool kfault_any_shard(struct kfault_any *a)
{
	a->shard = 0;
	a->shards = 0;
	if (!shard[0])
		return true;
	if (sscanf(shard, "%u/%u", &a->shard, &a->shards) == 2 &&
	    a->shards && a->shard < a->shards)
		return true;
	pr_err("kfault: kfault.shard=%s: want I/N with 0 <= I < N\n", shard);
	return false;
}

/* @name matches a glob of kfault.exclude. */
static bool kfault_any_excluded(const char *name)
{
	return kfault_list_match(exclude, name);
}

/* The case is this shard's, of a suite neither excluded nor capped. */
static bool kfault_any_wanted(const struct kfault_any *a)
{
	return (!a->shards || a->index % a->shards == a->shard) &&
		a->suite != a->capped && !kfault_any_excluded((*a->suite)->name);
}

/* From here on, the first case this sweep wants; false at the end. */
static bool kfault_any_mine(struct kfault_any *a)
{
	while (!kfault_any_wanted(a))
		if (!kfault_any_next(a))
			return false;
	return true;
}

/*
 * kfault.suite_ms: the point about to run is past its suite's time in this
 * boot.  Says so once; the caller moves on to the next suite.
 */
static bool kfault_any_over(struct kfault_any *a)
{
	u64 now = ktime_get_ns();

	if (a->timed != a->suite) {
		a->timed = a->suite;
		a->since = now;
		return false;
	}
	if (!suite_ms || now - a->since <= (u64)suite_ms * NSEC_PER_MSEC)
		return false;
	kfault_print_capped((*a->suite)->name, suite_ms, a->op, a->nth);
	a->capped = a->suite;
	return true;
}

static bool kfault_any_resume(struct kfault_any *a)
{
	const char *at = kfault_resume();
	size_t len = strcspn(at, ":");
	unsigned int nth;

	if (!at[0] || kstrtouint(at + len + 1, 10, &nth))
		return true;
	if (!kfault_any_find(a, at, len))
		return false;
	/* OP:KFAULT_MAX_NTH: its baseline crashed the kernel, skip the case */
	if (nth >= KFAULT_MAX_NTH)
		return kfault_any_next(a);
	a->nth = nth + 1;
	return true;
}

/*
 * Every suite kfault.suites matches, once a sweep (its first boot): what
 * the report lists as swept, capped or excluded, so that none goes missing.
 */
static void kfault_any_list(void)
{
	struct kunit_suite * const *s;
	struct kunit_case *c;
	unsigned int cases;

	for (s = kfault_any_suite(__kunit_suites_start); s;
	     s = kfault_any_suite(s + 1)) {
		cases = 0;
		for (c = (*s)->test_cases; c->run_case; c++)
			cases++;
		kfault_print_suite((*s)->name, cases,
				   kfault_any_excluded((*s)->name));
	}
}

static const void *kfault_any_gen(const void *prev, char *desc)
{
	struct kfault_any *a = &kfault_any;
	char *hash;

	if (!prev) {
		if (!suites[0])
			return NULL;
		if (!kfault_only()[0] && !kfault_resume()[0])
			kfault_any_list();
		a->suite = kfault_any_suite(__kunit_suites_start);
		a->nth = 0;
		a->index = 0;
		a->timed = NULL;
		a->capped = NULL;
		if (!kfault_any_shard(a) || !a->suite || !kfault_any_enter(a) ||
		    !kfault_any_resume(a))
			return NULL;
		/* kfault.only=OP (with kfault.resume=OP:N-1): point N alone */
		if (kfault_only()[0] &&
		    !kfault_any_find(a, kfault_only(), strlen(kfault_only())))
			return NULL;
		if (!kfault_only()[0] && !kfault_any_wanted(a)) {
			/* resumed in a case this sweep no longer wants */
			a->nth = 0;
			if (!kfault_any_mine(a))
				return NULL;
		}
		a->counted = false;
	} else if (kfault_only()[0]) {
		return NULL;
	} else if (!a->nth && !strcmp(a->op, until)) {
		return NULL;	/* kfault.until=OP: its baseline was the last */
	} else if (a->counted && a->nth < a->events) {
		a->nth++;
	} else {
		if (!kfault_any_next(a) || !kfault_any_mine(a))
			return NULL;
		a->nth = 0;
		a->counted = false;
	}
	kfault_any_name(a);
	if (!kfault_only()[0] && kfault_any_over(a)) {
		if (!kfault_any_mine(a))
			return NULL;
		a->nth = 0;
		a->counted = false;
		kfault_any_name(a);
	}
	if (a->nth)
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s%s%s%s: fail %u", a->op,
			 a->param ? " [" : "", a->param_desc,
			 a->param ? "]" : "", a->nth);
	else
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s%s%s%s: no fault (baseline)",
			 a->op, a->param ? " [" : "", a->param_desc,
			 a->param ? "]" : "");
	/* '#' starts a KTAP directive: kunit.py would drop the result */
	while ((hash = strchr(desc, '#')))
		*hash = '_';
	return a;
}

/* Count (nth 0), or arm point nth as kfault_call() does for an op. */
static void kfault_any_arm(struct kfault_any *a, struct kfault_catch *c)
{
	kfault_catch_arm(c, a->expect, a->nth, a->arm_count);
	c->stack_filter = false;
	WRITE_ONCE(current->fail_nth, a->nth == 1 ? a->arm_count : 0);
	WRITE_ONCE(c->armed, current);
}

/*
 * Disarmed as soon as the case returns: the try thread's exit (freeing a
 * SLAB_TYPESAFE_BY_RCU sighand allocates under SLUB_RCU_DEBUG) is not the
 * case's.  A case that aborts on a failed assertion exits armed.
 */
static void kfault_any_disarm(struct kfault_any *a, struct kfault_catch *c)
{
	WRITE_ONCE(c->armed, NULL);
	a->left = READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
	a->disarmed = true;
}

static int kfault_any_body(void *data)
{
	struct kfault_any *a = data;
	struct kunit_suite *suite = *a->suite;
	struct kunit *test = &a->inner;

	if (suite->init) {
		a->init_err = suite->init(test);
		if (a->init_err)
			return a->init_err;
	}
	a->kcase->run_case(test);
	return 0;
}

/*
 * In the case's own thread: arm, init, the case (as kunit_try_run_case()),
 * a kernel-mode fault caught as x86_64's "try faulted" (guard.c).
 */
static void kfault_any_try(void *data)
{
	struct kfault_any *a = data;
	struct kfault_catch *c = &kfault_suites_target.env->catch;
	struct kunit *test = &a->inner;

	a->task = get_task_struct(current);
	kfault_live_add_task(&kfault_suites_target.env->live, current);
	current->kunit_test = test;
	kfault_any_arm(a, c);
	kfault_guard(kfault_any_body, a, &a->fault);
	kfault_any_disarm(a, c);
	kfault_guard_end(a->op, a->nth, &a->fault, &a->res);
	if (a->fault.caught) {
		kunit_err(test, "try faulted\n");
		kunit_set_failure(test);
	} else if (a->init_err) {
		kunit_err(test, "failed to initialize: %d\n", a->init_err);
		kunit_set_failure(test);
	}
}

/*
 * As kunit_catch_run_case(): a thread that ended by a throw (a failed
 * assertion, kunit_skip()) has its status set already; one that timed out
 * or died otherwise failed.
 */
static void kfault_any_catch(void *data)
{
	struct kfault_any *a = data;

	if (a->inner.try_catch.try_result)
		kunit_set_failure(&a->inner);
}

static int kfault_any_exit(void *data)
{
	struct kfault_any *a = data;
	struct kunit_suite *suite = *a->suite;

	/* as kunit_try_run_case_cleanup(): exit runs even after a failed init */
	if (suite->exit)
		suite->exit(&a->inner);
	kunit_cleanup(&a->inner);
	return 0;
}

static void kfault_any_cleanup(void *data)
{
	struct kfault_any *a = data;

	current->kunit_test = &a->inner;
	WRITE_ONCE(current->fail_nth, 0);
	kfault_live_add_task(&kfault_suites_target.env->live, current);
	kfault_guard(kfault_any_exit, a, &a->exit_fault);
	kfault_guard_end(a->op, a->nth, &a->exit_fault, &a->res);
	if (a->exit_fault.caught && !a->fault.caught)
		a->fault = a->exit_fault;
}

/*
 * In a thread of its own, as KUnit runs a case: the point's own struct
 * kunit's try_catch, the one that kunit_skip() and a failed assertion
 * throw to (kunit_try_catch_throw(&test->try_catch)).  A thread that ended
 * by a throw left its guarded call open: closed here.
 */
static void kfault_any_run(struct kfault_any *a, kunit_try_catch_func_t try,
			   struct kfault_fault *fault)
{
	struct kunit_try_catch *tc = &a->inner.try_catch;

	tc->test = &a->inner;
	tc->try = try;
	tc->catch = kfault_any_catch;
	kunit_try_catch_run(tc, a);
	if (kfault_guard_ended())
		kfault_guard_end(a->op, a->nth, fault, &a->res);
}

/* A point is named by the counting run's event, hit or not; a baseline by its case */
static u32 kfault_any_id(const struct kfault_any *a, unsigned int nth)
{
	if (nth)
		return kfault_expect_id(a->expect, nth);
	return kfault_fnv(kfault_fnv(KFAULT_FNV_SEED, a->op, strlen(a->op)),
			  &nth, sizeof(nth));
}

/*
 * A failed page allocation never reaches the tracepoint: the console's
 * FAULT_INJECTION dump says it was fail_page_alloc's and which function
 * allocated.  If the point's event was that page, the point has its site.
 */
static void kfault_any_page_failure(struct kfault_any *a,
				    struct kfault_env *env)
{
	const struct kfault_site *want = &a->sites[a->nth - 1];
	struct kfault_result *res = &a->res;
	struct kfault_site seen = { };
	const char *fn;

	kfault_console_scan(&env->console, &env->text, &seen, res);
	if (strcmp(want->allocator, "page") ||
	    strcmp(seen.attr, "fail_page_alloc"))
		return;
	fn = want->inner[0] ? want->inner : want->caller;
	if (strcmp(seen.inner, fn))
		return;
	res->site = *want;
	res->site.occurrence = kfault_occurrence(a->expect, a->nth - 1,
						 want->hash);
	a->hit = true;
}

/*
 * The thread an attempt's case ran in: kmemleak names it ("comm ..., pid
 * N") for each object it finds, so a leak found at the end of the boot is
 * the point's whose thread made it.
 */
static void kfault_any_thread(const struct kfault_any *a,
			      struct task_struct *task)
{
	kfault_print_thread(a->op, a->nth, task_pid_nr(task));
}

/*
 * A driver or device the attempt left on the KUnit bus is its finding: the
 * report, unless it has one already, and a "kfault: left" line that the
 * harness blames later failures on.
 */
/*
 * What the point left on the KUnit bus is its finding; the bus is then put
 * back as the point found it (bus.c), so that no later point runs on it.
 * What cannot be put back - a driver with devices bound, what a point
 * whose code faulted left - ends the boot after the point's result in the
 * harness's multi-boot sweeps (kfault_guard_damaged()).
 */
static void kfault_any_left(struct kfault_any *a)
{
	struct kfault_result *res = &a->res;
	struct kfault_bus left;
	char text[KFAULT_TEXT_LEN];
	int stuck;

	if (!kfault_bus_left(&a->bus.count, &left, text, sizeof(text)))
		return;
	stuck = kfault_bus_put_back(&a->bus, a->fault.caught ||
				    a->exit_fault.caught);
	kfault_print_left(a->op, a->nth, &left, &a->bus.removed);
	if (!res->report[0])
		snprintf(res->report, sizeof(res->report), "%s; %s", text,
			 stuck ? "not all taken off again" :
			 "kfault took them off again");
	res->left |= stuck > 0;
}

/* One run of the point: suite_init, init, the case, exit, suite_exit. */
static void kfault_any_attempt(struct kfault_any *a, struct kfault_env *env)
{
	struct kfault_catch *c = &env->catch;
	struct kunit_suite *suite = *a->suite;
	struct kfault_result *res = &a->res;
	unsigned int left = 0, untracked;

	memset(res, 0, sizeof(*res));
	res->nth = a->nth;
	kfault_bus_note(&a->bus);
	c->bus = &a->bus;
	kfault_tags_snapshot(env);
	kfault_console_mark(&env->console);
	kfault_live_begin(&env->live);
	/*
	 * With KUNIT_DEBUGFS a case has a log (kunit-test.c's log tests use
	 * it); one of the point's own, gone before the leak check.
	 */
	a->log = IS_ENABLED(CONFIG_KUNIT_DEBUGFS) ?
		alloc_string_stream(GFP_KERNEL) : NULL;
	if (IS_ERR(a->log))
		a->log = NULL;
	if (a->log)
		string_stream_set_append_newlines(a->log, true);
	/* a fresh struct kunit, as the executor's: priv must not be stale */
	memset(&a->inner, 0, sizeof(a->inner));
	kunit_init_test(&a->inner, a->op, a->log);
	a->init_err = 0;
	if (a->suite_stage) {
		/* suite_init armed in this thread; suite_exit if it worked */
		kfault_any_arm(a, c);
		a->init_err = suite->suite_init ? suite->suite_init(suite) : 0;
		WRITE_ONCE(c->armed, NULL);
		left = READ_ONCE(current->fail_nth);
		WRITE_ONCE(current->fail_nth, 0);
		kfault_any_thread(a, current);
		if (!a->init_err && suite->suite_exit)
			suite->suite_exit(suite);
		goto judge;
	}
	if (suite->suite_init) {
		a->init_err = suite->suite_init(suite);
		if (a->init_err) {
			snprintf(res->detail, sizeof(res->detail),
				 "suite_init failed with nothing armed: %d",
				 a->init_err);
			if (a->log)
				string_stream_destroy(a->log);
			a->log = NULL;
			kfault_live_end(&env->live, env, res->leaks, 0, &untracked);
			c->bus = NULL;
			return;
		}
	}
	a->inner.param_value = a->param;
	a->task = NULL;
	a->disarmed = false;
	memset(&a->fault, 0, sizeof(a->fault));
	kfault_any_run(a, kfault_any_try, &a->fault);
	WRITE_ONCE(c->armed, NULL);
	if (a->task) {
		left = a->disarmed ? a->left : READ_ONCE(a->task->fail_nth);
		kfault_any_thread(a, a->task);
		put_task_struct(a->task);
	}
	memset(&a->exit_fault, 0, sizeof(a->exit_fault));
	kfault_any_run(a, kfault_any_cleanup, &a->exit_fault);
	if (suite->suite_exit)
		suite->suite_exit(suite);
judge:
	if (a->log)
		string_stream_destroy(a->log);
	a->log = NULL;
	kfault_settle();
	res->fired = a->nth && c->fail_armed && !left;
	a->hit = false;
	if (res->fired && c->captured) {
		res->site = c->cap;
		a->hit = kfault_hit(&res->site, a->expect, a->nth);
	} else if (res->fired) {
		kfault_any_page_failure(a, env);
	}
	res->site.silent = res->fired && !res->site.hash;
	res->site.id = kfault_any_id(a, a->nth);
	kfault_tags_diff(env, res->leaks, sizeof(res->leaks));
	kfault_live_end(&env->live, env, res->leaks, sizeof(res->leaks),
			&untracked);
	env->stats.live_untracked += untracked;
	kfault_console_scan(&env->console, &env->text, NULL, res);
	kfault_catch_atomic_report(c, res);
	c->bus = NULL;
	kfault_any_left(a);
	if (a->fault.caught)
		kfault_guard_result(env, &a->fault, res);
}

/*
 * Point nth: its allocation failed, or a finding on the way.  As for an op
 * (kfault_point()), pass over allocations with no event of their own
 * between the (nth-1)-th event and the nth's.
 */
static void kfault_any_point(struct kfault_any *a, struct kfault_env *env)
{
	struct kfault_result *res = &a->res;

	for (a->arm_count = 1; a->arm_count <= 1 + KFAULT_MAX_SKIP;
	     a->arm_count++) {
		kfault_any_attempt(a, env);
		if (res->fired ? a->hit || res->report[0] || res->leaks[0] :
		    !env->catch.rearmed)
			break;
	}
	a->arm_count = 1;
}

static enum kfault_verdict kfault_any_verdict(const struct kfault_any *a)
{
	const struct kfault_result *res = &a->res;

	if (a->fault.caught)
		return KFAULT_CRASH;
	if (a->nth && !res->fired)
		return KFAULT_NOT_FIRED;
	if (res->report[0])
		return KFAULT_REPORT;
	if (res->leaks[0])
		return KFAULT_LEAK;
	if (a->nth && !a->hit)
		return KFAULT_SITE_CHANGED;	/* another allocation failed instead */
	if (a->inner.status == KUNIT_FAILURE || a->init_err)
		return KFAULT_TEST_FAILED;
	return KFAULT_PASSED;
}

/*
 * Point 0, the baseline: the case run twice with nothing armed.  The first
 * run makes what is made once (a cache, a lazy init); the second is the
 * counting run whose events name the points.  A case that passes once and
 * fails the second time left state behind - a reference never put, a node
 * never unregistered - and every point after it would see that state, not
 * its failure: a finding of its own, and no points.
 */
static void kfault_any_count(struct kfault_any *a, struct kfault_env *env)
{
	struct kfault_result *res = &a->res;
	bool first_ok;

	kfault_any_attempt(a, env);
	first_ok = a->inner.status != KUNIT_FAILURE && !a->init_err;
	strscpy(a->first_report, res->report, sizeof(a->first_report));
	env->catch.sites = a->sites;
	kfault_any_attempt(a, env);
	env->catch.sites = NULL;
	if (!res->report[0] && a->first_report[0])
		strscpy(res->report, a->first_report, sizeof(res->report));
	a->rerun_failed = first_ok && !res->report[0] &&
		(a->inner.status == KUNIT_FAILURE || a->init_err);
	if (a->rerun_failed)
		snprintf(res->report, sizeof(res->report),
			 "kfault: %s passes once, then fails: its first run left state behind",
			 a->op);
}

/* One point: the case with its nth allocation failing (0: counting). */
static void kfault_suites_point(struct kunit *test)
{
	struct kfault_any *a = (struct kfault_any *)test->param_value;
	struct kfault_env *env = kfault_suites_target.env;
	struct kfault_result *res;
	const struct kfault_site *s;
	unsigned int nth;
	enum kfault_verdict verdict;
	u64 start = ktime_get_ns();

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, env);
	kfault_bus_init(test);
	res = &a->res;
	s = &res->site;
	nth = a->nth;
	a->arm_count = 1;
	if (!a->counted) {
		/*
		 * Also after a resume: the points need this case's events.
		 * A crash in this run is the baseline's (point 0).
		 */
		kfault_print_try_id(a->op, 0, kfault_any_id(a, 0));
		a->nth = 0;
		kfault_any_count(a, env);
		a->nth = nth;
		a->events = a->rerun_failed ? 0 :
			min_t(unsigned int, env->catch.events, KFAULT_MAX_NTH);
		memcpy(a->expect, env->catch.hash, sizeof(a->expect));
		a->counted = true;
		if (env->catch.events > KFAULT_MAX_NTH)
			kfault_log_cap(test, a->op, env->catch.events);
	}
	if (nth && nth <= a->events)
		kfault_print_try_id(a->op, nth, kfault_any_id(a, nth));
	else if (nth)
		kfault_print_try_name(a->op, nth);
	if (nth > a->events) {
		kfault_print_done_name(a->op, nth);
		kunit_skip(test, "%s makes %u allocations", a->op, a->events);
	}
	if (nth)
		kfault_any_point(a, env);
	verdict = kfault_any_verdict(a);
	res->ns = ktime_get_ns() - start;	/* the baseline's: both its runs */
	kfault_print_ran_name(a->op, nth, verdict, s, env->catch.events);
	if (nth == a->events)
		kfault_print_done_name(a->op, nth + 1);
	/* every point has its result line, a skipped one too: the report is the run */
	kfault_log_any_result(test, a->op, nth, verdict, a->init_err, res,
			      a->param_desc);
	kfault_guard_damaged(a->op, nth, res);
	if (res->detail[0])
		kunit_skip(test, "%s", res->detail);
	if (nth && !res->fired)
		kunit_skip(test, "allocation %u was not reached this time", nth);
	KUNIT_EXPECT_TRUE_MSG(test, !res->report[0], "kernel report: %s",
			      res->report);
	KUNIT_EXPECT_TRUE_MSG(test, !res->leaks[0], "leaked: %s", res->leaks);
}

static int kfault_suites_init(struct kunit_suite *suite)
{
	return kfault_suite_init(&kfault_suites_target);
}

static void kfault_suites_exit(struct kunit_suite *suite)
{
	kfault_suite_exit(&kfault_suites_target);
}

/*
 * Nothing asked (no kfault.suites): a kernel booted for something else, the
 * modules kernel of the sweeps from user space, runs none of this.
 */
static int kfault_suites_test_init(struct kunit *test)
{
	if (!suites[0])
		kunit_skip(test, "kfault.suites names no suites to sweep");
	return kfault_test_init(test, &kfault_suites_target);
}

static struct kunit_case kfault_suites_cases[] = {
	KUNIT_CASE(kfault_canary_fault_injection),
	KUNIT_CASE_PARAM(kfault_suites_point, kfault_any_gen),
	/* after the points: its report taints, and a taint turns lockdep off */
	KUNIT_CASE(kfault_canary_kasan),
	KUNIT_CASE_SLOW(kfault_kmemleak_confirmation),
	{}
};

static struct kunit_suite kfault_suites_suite = {
	.name = KFAULT_SUITES_NAME,
	.suite_init = kfault_suites_init,
	.suite_exit = kfault_suites_exit,
	.init = kfault_suites_test_init,
	.test_cases = kfault_suites_cases,
};

kunit_test_suite(kfault_suites_suite);
