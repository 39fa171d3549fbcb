// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: arming current->fail_nth around one call, judging the outcome,
 * and sweeping an operation, with resume after a crash (kfault.resume) and
 * one operation alone (kfault.only).
 *
 * Deterministic points.  A global fail_nth is not an identity: the
 * kernel's own allocations (a new slab page, its extension vector,
 * kmemleak's metadata) come and go between runs and shift the numbering.
 * So the sweep counts the operation once with nothing failing: every
 * allocation the injection would count, but for that bookkeeping, is an
 * event (probes.c).  Point k then runs the operation with fail_nth armed
 * right after the event that came before the k-th in the counting run,
 * found by its site hash and occurrence rather than its index, so that the
 * k-th allocation fails whatever came and went elsewhere.  A point's id is
 * its site's hash and its occurrence among the events before it: the same
 * every run.
 */
#include <linux/kallsyms.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "internal.h"

/*
 * kfault.leak_check=0 turns the precise leak check off: calibration runs
 * use it to prove the check is what catches the leak defects.
 */
static bool leak_check = true;
module_param(leak_check, bool, 0644);
MODULE_PARM_DESC(leak_check, "compare allocation tags before/after each point");

/*
 * kfault.resume=OP:NTH continues a sweep whose boot crashed at that point:
 * operations before OP were swept already and are skipped, OP starts at
 * NTH + 1.  OP:fK continues after the K-th targeted attempt.
 */
static char resume[KFAULT_SYM_LEN + 16];
module_param_string(resume, resume, sizeof(resume), 0644);
MODULE_PARM_DESC(resume, "OP:NTH or OP:fK - continue a crashed sweep after that point");
static bool resume_reached;

/* kfault.only=OP sweeps that operation alone (make repro). */
static char only[KFAULT_SYM_LEN];
module_param_string(only, only, sizeof(only), 0644);
MODULE_PARM_DESC(only, "OP - sweep this operation only");

/*
 * kfault.target=OP:SYMBOL+0xOFF fails exactly one call of OP, the first
 * allocation whose stack holds that return address (the stack filter
 * narrowed to it): make repro by call site.  Its point is "f1".
 */
static char target[KSYM_NAME_LEN + 48];
module_param_string(target, target, sizeof(target), 0644);
MODULE_PARM_DESC(target, "OP:SYMBOL+0xOFF - fail that call of OP alone");

const char *kfault_resume(void)
{
	return resume;
}

const char *kfault_only(void)
{
	return only;
}

struct kfault_start {
	unsigned int after_nth;		/* resume after this point */
	unsigned int after_fill;	/* resume after this targeted one */
};

/* 0 to sweep (from *at), 1 to skip the operation, or an errno. */
static int kfault_resume_at(const struct kfault_op *op, struct kfault_start *at)
{
	size_t len = strcspn(resume, ":");
	const char *key = resume + len + 1;

	memset(at, 0, sizeof(*at));
	if (!resume[0] || resume_reached)
		return 0;
	if (len != strlen(op->name) || strncmp(resume, op->name, len))
		return 1;
	resume_reached = true;
	if (*key == 'f')
		return kstrtouint(key + 1, 10, &at->after_fill) ? -EINVAL : 0;
	return kstrtouint(key, 10, &at->after_nth) ? -EINVAL : 0;
}

/* ---- arming ----------------------------------------------------------- */

static void kfault_filter(struct kfault_env *env, const struct kfault_op *op,
			  bool on)
{
	unsigned long start = env->text.start, end = env->text.end;
	unsigned int i;

	if (env->calls.target_addr) {
		/* only what this one call of the target allocates counts */
		start = env->calls.target_addr;
		end = start + 1;
	} else if (op->mode != KFAULT_STACK_FILTER) {
		return;
	}
	for (i = 0; i < ARRAY_SIZE(env->knobs.attrs); i++) {
		env->knobs.attrs[i]->require_start = on ? start : 0;
		env->knobs.attrs[i]->require_end = on ? end : ULONG_MAX;
	}
}

/*
 * Arm, call, disarm: nothing else runs in between, so the events cover
 * exactly the operation.  nth 0 counts, nth k fails the allocation after
 * the event with the (k-1)-th's hash and occurrence (probes.c arms fail_nth
 * when it sees that event).
 * Returns run()'s value; *fired tells whether the failure happened.
 */
static int kfault_call(struct kfault_env *env, const struct kfault_op *op,
		       void *ctx, unsigned int nth, bool *fired,
		       struct kfault_site *site)
{
	struct kfault_catch *c = &env->catch;
	int ret;

	kfault_catch_arm(c, env->calls.expect, nth, 1 + env->calls.skip);
	c->stack_filter = op->mode == KFAULT_STACK_FILTER;
	kfault_console_mark(&env->console);
	kfault_filter(env, op, true);
	WRITE_ONCE(current->fail_nth, nth == 1 ? c->arm_count : 0);
	WRITE_ONCE(c->armed, current);
	ret = kfault_guard(op->run, ctx, &env->fault);
	WRITE_ONCE(c->armed, NULL);
	*fired = c->fail_armed && !READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
	kfault_filter(env, op, false);
	memset(site, 0, sizeof(*site));
	if (*fired && c->captured)
		*site = c->cap;
	return ret;
}

struct kfault_teardown {
	const struct kfault_op *op;
	void *ctx;
};

static int kfault_teardown_call(void *arg)
{
	struct kfault_teardown *t = arg;

	t->op->teardown(t->ctx);
	return 0;
}

static enum kfault_verdict kfault_judge(const struct kfault_op *op, void *ctx,
					struct kfault_result *res,
					const struct kfault_point *pt)
{
	int err;

	if (!res->nth) {
		if (res->ret)
			goto wrong_errno;
		err = op->check_success(ctx);
		if (err)
			goto bad_state;
		return KFAULT_HANDLED;
	}
	if (!res->fired) {
		snprintf(res->detail, sizeof(res->detail),
			 "allocation #%u was not reached this time", res->nth);
		return KFAULT_NOT_FIRED;
	}
	if (pt->site.hash && res->site.hash != pt->site.hash) {
		snprintf(res->detail, sizeof(res->detail),
			 "failed %s <- %s, counted %s <- %s",
			 res->site.allocator, res->site.caller,
			 pt->site.allocator, pt->site.caller);
		return KFAULT_SITE_CHANGED;
	}
	if (!res->ret) {
		err = op->check_success(ctx);
		if (err)
			goto bad_state;
		return KFAULT_ABSORBED;
	}
	if (res->ret != op->expected_err)
		goto wrong_errno;
	err = op->check_rollback(ctx);
	if (err)
		goto bad_state;
	err = op->verify ? op->verify(ctx) : 0;
	if (err) {
		snprintf(res->detail, sizeof(res->detail),
			 "the operation fails after recovery: %d", err);
		return KFAULT_BAD_STATE;
	}
	return KFAULT_HANDLED;

wrong_errno:
	snprintf(res->detail, sizeof(res->detail), "returned %d, expected %d",
		 res->ret, res->nth ? op->expected_err : 0);
	return KFAULT_WRONG_ERRNO;
bad_state:
	snprintf(res->detail, sizeof(res->detail),
		 "state check failed: %d (returned %d)", err, res->ret);
	return KFAULT_BAD_STATE;
}

/*
 * Let deferred frees run before the leak check: kmemleak frees its metadata
 * through RCU, and devlink (netdevsim) drops its device through
 * queue_rcu_work() on the system workqueue, whose frees may be RCU again.
 * Flushing a system-wide workqueue is discouraged for drivers; a test
 * harness that must see the memory back has no other way.
 */
void kfault_settle(void)
{
	rcu_barrier();
	__flush_workqueue(system_wq);
	rcu_barrier();
}

/* One full run of a point at a given nth: setup, call, checks, teardown. */
static void kfault_attempt(struct kfault_env *env, const struct kfault_op *op,
			   const struct kfault_point *pt, unsigned int nth,
			   struct kfault_result *res)
{
	struct kfault_teardown teardown;
	ktime_t start = ktime_get();
	unsigned int leaks, untracked;
	struct kfault_fault fault;
	void *ctx;
	int err;

	memset(res, 0, sizeof(*res));
	res->nth = nth;
	env->stats.attempts++;
	kfault_tags_snapshot(env);
	kfault_console_mark(&env->console);
	ctx = kzalloc(op->ctx_size, GFP_KERNEL);
	if (!ctx) {
		res->verdict = KFAULT_BAD_STATE;
		strscpy(res->detail, "no memory for the context", sizeof(res->detail));
		return;
	}
	err = op->setup(ctx, op->setup_arg);
	if (err) {
		op->teardown(ctx);
		kfree(ctx);
		res->verdict = KFAULT_BAD_STATE;
		snprintf(res->detail, sizeof(res->detail), "setup failed: %d", err);
		return;
	}
	/*
	 * What the operation allocates from here on and its teardown does not
	 * free is the point's, wherever it was allocated (live.c); what setup
	 * made for the test's lifetime (kunit_vm_mmap()) is not.
	 */
	kfault_live_begin(&env->live);
	res->ret = kfault_call(env, op, ctx, nth, &res->fired, &res->site);
	if (res->fired && !env->catch.captured) {
		/* a page: the console's FAULT_INJECTION dump says where */
		kfault_console_scan(&env->console, &env->text, &res->site, res);
		res->site.occurrence =
			kfault_occurrence(env->catch.hash,
					  min(env->catch.armed_at,
					      env->catch.max_events),
					  res->site.hash);
	} else {
		kfault_console_scan(&env->console, &env->text, NULL, res);
	}
	res->site.silent = res->fired && !res->site.hash;
	res->site.id = kfault_site_id(&res->site);
	fault = env->fault;
	kfault_guard_end(op->name, nth, &fault, res);
	if (!fault.caught)
		res->verdict = kfault_judge(op, ctx, res, pt);
	teardown.op = op;
	teardown.ctx = ctx;
	kfault_guard(kfault_teardown_call, &teardown, &env->fault);
	kfault_guard_end(op->name, nth, &env->fault, res);
	if (!fault.caught)
		fault = env->fault;	/* the teardown faulted, or not */
	kfree(ctx);
	kfault_settle();
	leaks = leak_check ? kfault_tags_diff(env, res->leaks,
					      sizeof(res->leaks)) : 0;
	leaks += kfault_live_end(&env->live, env, res->leaks,
				 leak_check ? sizeof(res->leaks) : 0, &untracked);
	env->stats.live_untracked += untracked;
	kfault_console_scan(&env->console, &env->text, NULL, res);
	kfault_catch_atomic_report(&env->catch, res);
	if (fault.caught) {
		res->verdict = KFAULT_CRASH;
		kfault_guard_result(env, &fault, res);
		snprintf(res->detail, sizeof(res->detail),
			 "kernel mode fault at addr 0x%lx, ip %pS", fault.addr,
			 (void *)fault.ip);
	} else if (res->report[0]) {
		res->verdict = KFAULT_REPORT;
	} else if (leaks) {
		res->verdict = KFAULT_LEAK;
	}
	res->ns = ktime_to_ns(ktime_sub(ktime_get(), start));
}

/* ---- the sweep --------------------------------------------------------- */

static void kfault_account(struct kfault_env *env,
			   const struct kfault_result *res)
{
	env->stats.points++;
	env->stats.verdicts[res->verdict]++;
	env->stats.ns += res->ns;
}

void kfault_run_point(struct kfault_env *env, const struct kfault_op *op,
		      const struct kfault_point *pt, struct kfault_result *res)
{
	kfault_attempt(env, op, pt, pt->nth, res);
	kfault_account(env, res);
}

struct kfault_points {
	struct kfault_point *point;
	struct kfault_result *result;
	unsigned int nr, max;
	unsigned int events;	/* counted with nothing failing */
	unsigned int *bookkeeping;
};

/* Keep a result: a new point, or a failure of a point already seen. */
static int kfault_keep(struct kfault_points *p, const struct kfault_result *res)
{
	unsigned int i;

	for (i = 0; i < p->nr; i++) {
		if (p->point[i].site.id != res->site.id)
			continue;
		if (kfault_verdict_ok(p->result[i].verdict) &&
		    !kfault_verdict_ok(res->verdict))
			p->result[i] = *res;
		return 0;
	}
	if (p->nr == p->max)
		return -ENOSPC;
	p->point[p->nr].nth = res->nth;
	p->point[p->nr].site = res->site;
	p->result[p->nr++] = *res;
	return 1;
}

/*
 * kfault.target: the first allocation under that one call of the target
 * fails (the stack filter narrowed to its return address), whatever came
 * before it.
 */
static int kfault_target_one(struct kfault_env *env, const struct kfault_op *op,
			     struct kfault_points *p, unsigned long addr,
			     unsigned int after)
{
	static const struct kfault_point any;
	struct kfault_result *res = &env->calls.res;

	if (after)
		return 0;
	env->calls.target_addr = addr;
	kfault_print_try(op, 1, 1, addr);
	kfault_attempt(env, op, &any, 1, res);
	env->calls.target_addr = 0;
	if (!res->fired)
		return 0;
	res->site.fill = 1;
	kfault_account(env, res);
	kfault_print_ran(op, res, env->catch.events);
	return kfault_keep(p, res);
}

/* Count the operation's events with nothing failing, and keep their hashes. */
static unsigned int kfault_count(struct kfault_env *env,
				 const struct kfault_op *op)
{
	static const struct kfault_point any;
	struct kfault_result *res = &env->calls.res;

	kfault_attempt(env, op, &any, 0, res);
	memcpy(env->calls.expect, env->catch.hash, sizeof(env->calls.expect));
	return env->catch.events;
}

/*
 * Point nth: the allocation of event nth failed, or a finding on the way.
 *
 * A failure that is not event nth's - a finding at another site, or a
 * silent one (fail_nth spent where no probe saw it) - is taken only after
 * the point was tried afresh (no skip) KFAULT_RETRY_MISS times: it comes
 * from the allocator's state, not from the operation, and afresh the first
 * allocation after event nth - 1 is event nth again.  Two cases, both traced
 * with kfault.trace_events=1 in 'make kunit' and 'make determinism':
 *
 * - refdev core_create, 94 points instead of 95 in two of three runs: point
 *   16's first attempt spent fail_nth with no dump, no event and no rearm -
 *   the slab of event 16's cache asking for a page with __GFP_NOWARN, whose
 *   failure never reaches the mm_page_alloc tracepoint - and event 16
 *   succeeded; the skip then passed over one allocation, but the slab had
 *   kept that attempt's page, so the skip landed on event 17 - a leak - and
 *   kfault_keep() merged the result into point 17's id.
 * - refdev fop_open, 1 point instead of 2 in one of eight runs: point 2's
 *   first attempt spent fail_nth on an order-2 slab page in the same way; at
 *   skip 1 the page was there, so event 2 took the first count and
 *   kmemleak's object for it the second (a rearm); at skip 2 nothing was
 *   left to fail, and the point was dropped as not reached.
 */
#define KFAULT_RETRY_MISS	2

static void kfault_point(struct kfault_env *env, const struct kfault_op *op,
			 unsigned int nth, struct kfault_result *res)
{
	static const struct kfault_point any;
	unsigned int misses = 0;
	bool bookkeeping, done;

	for (env->calls.skip = 0; env->calls.skip <= KFAULT_MAX_SKIP;
	     env->calls.skip++) {
		kfault_attempt(env, op, &any, nth, res);
		bookkeeping = env->catch.rearmed;
		/* once more if event nth - 1 did not come (seen on a new kernel) */
		if (!res->fired && !bookkeeping && !env->calls.skip) {
			kfault_attempt(env, op, &any, nth, res);
			bookkeeping = env->catch.rearmed;
		}
		if (res->fired && kfault_hit(&res->site, env->calls.expect, nth))
			break;
		if (kfault_miss(res) && misses++ < KFAULT_RETRY_MISS) {
			env->calls.skip = UINT_MAX;	/* afresh: skip 0 */
			continue;
		}
		/* a finding elsewhere, tried afresh: taken */
		if (res->fired && !kfault_verdict_ok(res->verdict))
			break;
		/* a silent failure that comes back: skip past it */
		done = !res->fired && !bookkeeping;
		if (done)
			break;
	}
	env->calls.skip = 0;
}

/* kfault.target for this op: 1 and its return address in *addr, 0, or an errno. */
static int kfault_target_call(const struct kfault_op *op, unsigned long *addr)
{
	size_t len = strcspn(target, ":");
	const char *name = target + len + 1;
	char sym[KSYM_NAME_LEN];
	const char *plus;
	unsigned long off;

	if (!target[0] || len != strlen(op->name) ||
	    strncmp(target, op->name, len) || !target[len])
		return 0;
	plus = strchr(name, '+');
	if (!plus || plus - name >= sizeof(sym) || kstrtoul(plus + 1, 0, &off))
		return -EINVAL;
	strscpy(sym, name, plus - name + 1);
	*addr = kallsyms_lookup_name(sym);
	if (!*addr)
		return -ENOENT;
	*addr += off;
	return 1;
}

/* The first run of an operation makes one-time allocations: not counted. */
static int kfault_warm_up(const struct kfault_op *op)
{
	void *ctx = kzalloc(op->ctx_size, GFP_KERNEL);
	int err;

	if (!ctx)
		return -ENOMEM;
	err = op->setup(ctx, op->setup_arg);
	if (!err)
		err = op->run(ctx);
	op->teardown(ctx);
	kfree(ctx);
	kfault_settle();
	return err;
}

int kfault_sweep(struct kfault_env *env, const struct kfault_op *op,
		 struct kfault_point *points, struct kfault_result *results,
		 unsigned int max, unsigned int *bookkeeping)
{
	struct kfault_result *res = &env->calls.res;
	struct kfault_points p = {
		.point = points, .result = results, .max = max,
		.bookkeeping = bookkeeping,
	};
	unsigned int nth, events;
	struct kfault_start at;
	unsigned long call;
	int err;

	if (only[0] && strcmp(only, op->name))
		return -EALREADY;
	err = kfault_resume_at(op, &at);
	if (err)
		return err > 0 ? -EALREADY : err;
	err = kfault_warm_up(op);
	if (err)
		return err;
	err = kfault_target_call(op, &call);
	if (err < 0)
		return err;
	if (err) {
		err = kfault_target_one(env, op, &p, call, at.after_fill);
		return err < 0 ? err : p.nr;
	}

	events = kfault_count(env, op);
	if (events > KFAULT_MAX_NTH) {
		pr_warn("kfault: op=%s: cap of %u allocations reached (%u counted)\n",
			op->name, KFAULT_MAX_NTH, events);
		events = KFAULT_MAX_NTH;
	}
	p.events = events;
	env->last_events = events;
	for (nth = at.after_nth + 1; nth <= events; nth++) {
		/* if this one crashes the kernel, the console says where */
		kfault_print_try(op, nth, 0, 0);
		kfault_point(env, op, nth, res);
		kfault_print_ran(op, res, env->catch.events);
		kfault_guard_damaged(op->name, nth, res);
		if (!res->fired)
			continue;	/* the path changed before event nth */
		kfault_account(env, res);
		/*
		 * Absorbed failures that tell nothing about the target (a
		 * silent page allocation with __GFP_NOWARN) are counted, not
		 * listed.
		 */
		if (res->verdict == KFAULT_ABSORBED &&
		    (res->site.nested == KFAULT_BOOKKEEPING || res->site.silent)) {
			(*bookkeeping)++;
			continue;
		}
		err = kfault_keep(&p, res);
		if (err < 0)
			return err;
	}
	kfault_print_done(op, events);
	return p.nr;
}

/* ---- environment ------------------------------------------------------ */

struct kfault_env *kfault_env_init(const struct kfault_target *target)
{
	struct kfault_env *env;
	int err;

	env = kvzalloc(sizeof(*env), GFP_KERNEL);
	if (!env)
		return ERR_PTR(-ENOMEM);
	env->target = target;
	env->catch.hash = env->catch.hash_store;
	env->catch.max_events = ARRAY_SIZE(env->catch.hash_store);
	/* no prefix: any code (KUnit suites), sites from allocation tags */
	err = target->prefix[0] ? kfault_find_text(target, &env->text) : 0;
	if (err) {
		pr_err("kfault: no text for target %s (%s*, %s)\n", target->name,
		       target->prefix, target->srcdir);
		goto err_free_env;
	}
	err = kfault_find_tags(env);
	if (err)
		goto err_free_env;
	kfault_guard_init();
	err = kfault_live_init(&env->live);
	if (err)
		goto err_free_tags;
	err = kfault_knobs_set(&env->knobs);
	if (err)
		goto err_free_live;
	err = kfault_probes_register(env);
	if (err)
		goto err_restore_knobs;
	kfault_print_target(env);
	return env;

err_restore_knobs:
	kfault_knobs_restore(env->knobs.knob, ARRAY_SIZE(env->knobs.knob));
err_free_live:
	kfault_live_free_tables(&env->live);
err_free_tags:
	kfault_free_tags(&env->tags);
err_free_env:
	kvfree(env);
	return ERR_PTR(err);
}

void kfault_env_exit(struct kfault_env *env)
{
	if (IS_ERR_OR_NULL(env))
		return;
	kfault_probes_unregister(env);
	kfault_knobs_restore(env->knobs.knob, ARRAY_SIZE(env->knobs.knob));
	kfault_live_free_tables(&env->live);
	kfault_free_tags(&env->tags);
	kvfree(env);
}
