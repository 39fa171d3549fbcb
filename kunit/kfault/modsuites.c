// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: a KUnit test module's code runs in guarded calls.
 *
 * Loading a KUnit test module runs its suites (kunit_module_notify() at
 * MODULE_STATE_LIVE): each case, its init and its exit in kthreads of
 * KUnit's.  On UML a kernel-mode fault there panics ("Segfault with no
 * mm"): a sweep of the module load from user space lost a boot per crash
 * (upstream-modules: 24 of its 25 boots, U3 in docs/user-sweeps.md).
 *
 * While the user-space engine is open (user.c), each module that comes is
 * looked at before KUnit runs it (MODULE_STATE_COMING): its suites'
 * suite_init, suite_exit, init, exit and every case's run_case are called
 * through kfault_guard() (guard.c), which the in-kernel sweeps use for
 * their points.  A fault then ends that call only: its oops is printed,
 * the test is failed with a line saying so, and the load goes on; a fault
 * that leaves the kernel unusable (a lock held) still ends the boot.  KUnit
 * copies the suites before running them (kunit_filter_suites()), pointers
 * and all, so the originals are found again by name.  One module at a
 * time: the user-space sweep loads one.  Built with CONFIG_MODULES only.
 *
 * With the engine's "threads 1" (an operation's threads = true), each call
 * is also armed as the loading task's own (kfault_user_lend()): the cases'
 * allocations are points of the load.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/string.h>
#include <trace/events/sched.h>

#include "internal.h"

typedef void (*kfault_case_fn)(struct kunit *test);

struct kfault_mod_suite {
	const char *name;
	int (*suite_init)(struct kunit_suite *suite);
	void (*suite_exit)(struct kunit_suite *suite);
	int (*init)(struct kunit *test);
	void (*exit)(struct kunit *test);
	struct kunit_case *cases;	/* the module's own array, names kept */
	kfault_case_fn *run_case;	/* ... and their functions */
	unsigned int nr_cases;
};

/*
 * Static, not allocated: a module comes while the loading task is armed,
 * and an allocation of ours would be one of the load's events.
 */
#define KFAULT_MOD_SUITES	64
#define KFAULT_MOD_CASES	1024

static struct kfault_mods {
	const struct module *mod;	/* whose suites are wrapped, or NULL */
	struct kfault_mod_suite suites[KFAULT_MOD_SUITES];
	unsigned int nr;
	kfault_case_fn run_case[KFAULT_MOD_CASES];
	unsigned int nr_cases;
	struct kfault_mod_suite *now;	/* the suite KUnit runs */
	struct task_struct *in_call;	/* a guarded call's thread */
	struct task_struct *lent;	/* ... armed for the task it gives back to */
} kfault_mods;

static bool kfault_mods_tracking;

struct kfault_mod_call {
	void (*fn)(struct kunit *test);
	int (*ifn)(struct kunit *test);
	int (*sfn)(struct kunit_suite *suite);
	void (*sxfn)(struct kunit_suite *suite);
	struct kunit *test;
	struct kunit_suite *suite;
	int ret;
};

static int kfault_mod_call_fn(void *arg)
{
	struct kfault_mod_call *c = arg;

	if (c->fn)
		c->fn(c->test);
	else if (c->ifn)
		c->ret = c->ifn(c->test);
	else if (c->sfn)
		c->ret = c->sfn(c->suite);
	else if (c->sxfn)
		c->sxfn(c->suite);
	return 0;
}

/*
 * A KUnit assertion ends the test's thread inside the call (kthread_exit()):
 * its guard is closed as the thread goes, as a return would have.
 */
static void kfault_mods_exited(void *data, struct task_struct *p)
{
	if (READ_ONCE(kfault_mods.in_call) != p)
		return;
	WRITE_ONCE(kfault_mods.in_call, NULL);
	kfault_user_give_back(xchg(&kfault_mods.lent, NULL));
	kfault_guard_ended();
}

/* The call, guarded; false if it faulted (the oops is printed). */
static bool kfault_mod_guarded(struct kfault_mod_call *c, const char *what)
{
	struct kfault_fault fault;

	WRITE_ONCE(kfault_mods.lent, kfault_user_lend());
	WRITE_ONCE(kfault_mods.in_call, current);
	kfault_guard(kfault_mod_call_fn, c, &fault);
	WRITE_ONCE(kfault_mods.in_call, NULL);
	kfault_user_give_back(xchg(&kfault_mods.lent, NULL));
	if (fault.unusable)
		panic("kfault: the fault caught in %s left the kernel unusable\n",
		      what);
	if (!fault.caught)
		return true;
	pr_err("kfault: a kernel-mode fault ended %s, not the kernel\n", what);
	return false;
}

static struct kfault_mod_suite *kfault_mod_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < kfault_mods.nr; i++)
		if (!strcmp(kfault_mods.suites[i].name, name))
			return &kfault_mods.suites[i];
	return NULL;
}

static int kfault_mod_suite_init(struct kunit_suite *suite)
{
	struct kfault_mod_suite *s = kfault_mod_find(suite->name);
	struct kfault_mod_call c = { .sfn = s ? s->suite_init : NULL,
				     .suite = suite };

	kfault_mods.now = s;
	if (!c.sfn)
		return 0;
	return kfault_mod_guarded(&c, "a suite_init") ? c.ret : -EFAULT;
}

static void kfault_mod_suite_exit(struct kunit_suite *suite)
{
	struct kfault_mod_suite *s = kfault_mod_find(suite->name);
	struct kfault_mod_call c = { .sxfn = s ? s->suite_exit : NULL,
				     .suite = suite };

	if (c.sxfn)
		kfault_mod_guarded(&c, "a suite_exit");
	kfault_mods.now = NULL;
}

static void kfault_mod_test(struct kunit *test, struct kfault_mod_call *c,
			    const char *what)
{
	if (!kfault_mod_guarded(c, what))
		KUNIT_FAIL(test, "kfault: a kernel-mode fault ended the test's %s (the oops above)",
			   what);
}

static int kfault_mod_init(struct kunit *test)
{
	struct kfault_mod_suite *s = kfault_mods.now;
	struct kfault_mod_call c = { .ifn = s ? s->init : NULL, .test = test,
				     .ret = -EFAULT };

	if (!c.ifn)
		return 0;
	kfault_mod_test(test, &c, "init");
	return c.ret;
}

static void kfault_mod_exit(struct kunit *test)
{
	struct kfault_mod_suite *s = kfault_mods.now;
	struct kfault_mod_call c = { .fn = s ? s->exit : NULL, .test = test };

	if (c.fn)
		kfault_mod_test(test, &c, "exit");
}

static void kfault_mod_case(struct kunit *test)
{
	struct kfault_mod_suite *s = kfault_mods.now;
	struct kfault_mod_call c = { .test = test };
	unsigned int i;

	for (i = 0; s && i < s->nr_cases; i++)
		if (!strcmp(s->cases[i].name, test->name))
			c.fn = s->run_case[i];
	if (!c.fn) {
		KUNIT_FAIL(test, "kfault: the case's function is not known");
		return;
	}
	kfault_mod_test(test, &c, "case");
}

/* False when the pools are full: the suite runs as it is. */
static bool kfault_mod_wrap(struct kunit_suite *suite)
{
	struct kfault_mod_suite *s = &kfault_mods.suites[kfault_mods.nr];
	struct kunit_case *kc;
	unsigned int n = 0;

	for (kc = suite->test_cases; kc->run_case; kc++)
		n++;
	if (kfault_mods.nr == KFAULT_MOD_SUITES ||
	    kfault_mods.nr_cases + n > KFAULT_MOD_CASES)
		return false;
	*s = (struct kfault_mod_suite) {
		.name = suite->name,
		.suite_init = suite->suite_init,
		.suite_exit = suite->suite_exit,
		.init = suite->init,
		.exit = suite->exit,
		.cases = suite->test_cases,
		.run_case = &kfault_mods.run_case[kfault_mods.nr_cases],
		.nr_cases = n,
	};
	kfault_mods.nr++;
	kfault_mods.nr_cases += n;
	suite->suite_init = kfault_mod_suite_init;
	suite->suite_exit = kfault_mod_suite_exit;
	if (suite->init)
		suite->init = kfault_mod_init;
	if (suite->exit)
		suite->exit = kfault_mod_exit;
	for (n = 0, kc = suite->test_cases; kc->run_case; kc++, n++) {
		s->run_case[n] = kc->run_case;
		kc->run_case = kfault_mod_case;
	}
	return true;
}

/* Wrap @mod's suites as it comes, forget them as it goes. */
void kfault_mods_module(struct module *mod, unsigned long state)
{
	struct kunit_suite **all[2] = { mod->kunit_suites,
					mod->kunit_init_suites };
	unsigned int n[2] = { mod->num_kunit_suites,
			      mod->num_kunit_init_suites };
	unsigned int i, j, left = 0;

	if (state == MODULE_STATE_GOING && kfault_mods.mod == mod) {
		kfault_mods.mod = NULL;
		kfault_mods.nr = 0;
		kfault_mods.nr_cases = 0;
		kfault_mods.now = NULL;
		return;
	}
	if (state != MODULE_STATE_COMING || !kfault_mods_tracking ||
	    !(n[0] + n[1]))
		return;
	if (kfault_mods.mod) {
		pr_warn("kfault: %s's KUnit suites are not guarded: %s's are\n",
			mod->name, kfault_mods.mod->name);
		return;
	}
	kfault_mods.mod = mod;
	for (i = 0; i < 2; i++)
		for (j = 0; j < n[i]; j++)
			left += !kfault_mod_wrap(all[i][j]);
	if (left)
		pr_warn("kfault: %u of %s's KUnit suites are not guarded: more than %u suites or %u cases\n",
			left, mod->name, KFAULT_MOD_SUITES, KFAULT_MOD_CASES);
}

/* Made when the user engine opens, outside any armed window. */
void kfault_mods_init(void)
{
	if (!kfault_mods_tracking)
		kfault_mods_tracking =
			!register_trace_sched_process_exit(kfault_mods_exited,
							   NULL);
	if (!kfault_mods_tracking)
		pr_warn("kfault: a KUnit test module's faults will panic: no exit tracking\n");
}
