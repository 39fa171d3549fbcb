// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: what every sweeping suite needs from KUnit - one parameterised
 * case per operation (parameter 0 sweeps and runs the baseline, parameter
 * k is fault point k), the canaries of fault injection and KASAN, and the
 * statistics.  The kmemleak confirmation is kmemleak.c's.
 */
#include <kunit/test.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

/* ---- one case per operation, one parameter per fault point ------------- */

static void kfault_case_free(struct kfault_case_state *st)
{
	kvfree(st->points);
	kvfree(st->results);
	kvfree(st->params);
	st->points = NULL;
	st->results = NULL;
	st->params = NULL;
}

/*
 * Parameter 0 allocates the case's points and results (outside any armed
 * window: nothing fails here), the parameter after the last frees them.
 * When they cannot be allocated, parameter 0 alone runs and says so.
 */
static int kfault_case_alloc(struct kfault_case_state *st)
{
	st->points = kvcalloc(KFAULT_MAX_POINTS, sizeof(*st->points),
			      GFP_KERNEL);
	st->results = kvcalloc(KFAULT_MAX_POINTS, sizeof(*st->results),
			       GFP_KERNEL);
	st->params = kvcalloc(KFAULT_MAX_POINTS + 1, sizeof(*st->params),
			      GFP_KERNEL);
	if (st->points && st->results && st->params)
		return 0;
	kfault_case_free(st);
	return -ENOMEM;
}

const void *kfault_param_next(struct kfault_case_state *st, const void *prev,
			      char *desc)
{
	const struct kfault_param *p = prev;
	unsigned int next = p ? p->index + 1 : 0;
	struct kfault_param *param = &st->first;

	if (!next) {
		st->nr = kfault_case_alloc(st);
	} else if (st->nr < 0 || next > st->nr) {
		kfault_case_free(st);
		return NULL;
	}
	if (st->params)
		param = &st->params[next];
	param->state = st;
	param->index = next;
	if (next)
		kfault_point_desc(st->op, &st->points[next - 1], desc,
				  KUNIT_PARAM_DESC_SIZE);
	else
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s: no fault (baseline)",
			 st->op->name);
	return param;
}

/* Parameter 0: sweep the operation, then run it once with no fault. */
static void kfault_case_baseline(struct kunit *test, struct kfault_case_state *st)
{
	static const struct kfault_point baseline;
	struct kfault_env *env = st->target->env;
	struct kfault_result res;
	int i;

	KUNIT_ASSERT_EQ_MSG(test, st->nr, 0,
			    "no memory for the points of %s", st->op->name);
	st->bookkeeping = 0;
	st->nr = kfault_sweep(env, st->op, st->points, st->results,
			      KFAULT_MAX_POINTS, &st->bookkeeping);
	if (st->nr == -EALREADY)
		kunit_skip(test, "not swept in this boot (kfault.resume=%s, kfault.only)",
			   kfault_resume());
	KUNIT_ASSERT_GE_MSG(test, st->nr, 0, "sweep of %s failed: %d",
			    st->op->name, st->nr);
	kfault_log_count(test, st->op, st->nr, st->bookkeeping,
			 env->last_events);
	for (i = 0; i < st->nr; i++)
		kfault_log_point(test, st->op, &st->points[i]);
	kfault_run_point(env, st->op, &baseline, &res);
	kfault_log_result(test, st->op, &baseline, &res);
	KUNIT_EXPECT_TRUE_MSG(test, kfault_verdict_ok(res.verdict),
			      "%s with no fault: %s %s%s%s", st->op->name,
			      kfault_verdict_name(res.verdict), res.detail,
			      res.leaks, res.report);
}

/* Parameter k: the verdict of fault point k, judged during the sweep. */
void kfault_case_run(struct kunit *test)
{
	const struct kfault_param *p = test->param_value;
	struct kfault_case_state *st = p->state;
	const struct kfault_result *res;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, st->target->env);
	if (!p->index) {
		kfault_case_baseline(test, st);
		return;
	}
	res = &st->results[p->index - 1];
	kfault_log_result(test, st->op, &st->points[p->index - 1], res);
	KUNIT_EXPECT_TRUE_MSG(test, kfault_verdict_ok(res->verdict),
			      "%s: %s %s%s%s%s%s", st->op->name,
			      kfault_verdict_name(res->verdict), res->detail,
			      res->leaks[0] ? " leaked " : "", res->leaks,
			      res->report[0] ? " report: " : "", res->report);
}

int kfault_suite_init(struct kfault_target *target)
{
	struct kfault_env *env = kfault_env_init(target);

	if (IS_ERR(env))
		return PTR_ERR(env);
	target->env = env;
	return 0;
}

void kfault_suite_exit(struct kfault_target *target)
{
	kfault_env_exit(target->env);
	target->env = NULL;
}

int kfault_test_init(struct kunit *test, struct kfault_target *target)
{
	test->priv = target;
	return 0;
}

struct kfault_env *kfault_test_env(struct kunit *test)
{
	struct kfault_target *target = test->priv;

	KUNIT_ASSERT_NOT_NULL(test, target);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, target->env);
	return target->env;
}

/* ---- canaries: a dead oracle must never look like "no findings" ------- */

void kfault_canary_fault_injection(struct kunit *test)
{
	unsigned int left;
	void *p;

	WRITE_ONCE(current->fail_nth, 1);
	p = kmalloc(32, GFP_KERNEL);
	left = READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
	kfree(p);
	KUNIT_EXPECT_NULL_MSG(test, p,
			      "fault injection did not fail kmalloc(GFP_KERNEL)");
	KUNIT_EXPECT_EQ(test, left, 0U);
}

/* In a kthread of their own: their reports must not fail the test. */
static int kfault_canary_oob(void *done)
{
	char *p = kmalloc(13, GFP_KERNEL);

	if (p) {
		OPTIMIZER_HIDE_VAR(p);
		kfault_print_canary_read(READ_ONCE(p[13]));
		kfree(p);
	}
	complete(done);
	return 0;
}

void kfault_canary_run(struct kunit *test, int (*fn)(void *))
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct task_struct *t;

	t = kthread_run(fn, &done, "kfault_canary");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	wait_for_completion(&done);
}

void kfault_canary_kasan(struct kunit *test)
{
	struct kfault_env *env = kfault_test_env(test);
	bool seen;

	kfault_console_mark(&env->console);
	kfault_canary_run(test, kfault_canary_oob);
	seen = kfault_console_seen(&env->console,
				   "BUG: KASAN: slab-out-of-bounds in kfault_canary_oob");
	KUNIT_EXPECT_TRUE_MSG(test, seen,
			      "KASAN did not report the canary's out-of-bounds read");
}

void kfault_sweep_summary(struct kunit *test)
{
	struct kfault_env *env = kfault_test_env(test);

	KUNIT_EXPECT_GT_MSG(test, env->tags.nr, 0U,
			    "no allocation tags in %s: is MEM_ALLOC_PROFILING on?",
			    env->target->srcdir);
	kfault_log_stats(test, env);
}
