// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: arming current->fail_nth around one call, judging the outcome,
 * and sweeping an operation - passes of nth = 1, 2, ... and a targeted
 * fill-in - with resume after a crash (kfault.resume) and one operation
 * alone (kfault.only).
 *
 * Each point is judged in the same run that discovers it.  Running a point
 * again by its nth is not reliable: the kernel's own allocations (a new
 * slab page, its extension vector, kmemleak's pool) come and go between
 * runs and shift the numbering; kfault_run_point() says so (not-fired,
 * site-changed) when that happens.
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
 * NTH + 1 with a single pass.  OP:fK continues after the K-th targeted
 * attempt of the fill-in, whose passes are run again, silently, to find
 * the calls to target.
 */
static char resume[64];
module_param_string(resume, resume, sizeof(resume), 0644);
MODULE_PARM_DESC(resume, "OP:NTH or OP:fK - continue a crashed sweep after that point");
static bool resume_reached;

/* kfault.only=OP sweeps that operation alone (make repro). */
static char only[32];
module_param_string(only, only, sizeof(only), 0644);
MODULE_PARM_DESC(only, "OP - sweep this operation only");

/*
 * kfault.target_all=1 targets every target call seen failing in the
 * passes, not only those seen failing inside: each call's own failure is
 * then a point whatever the passes' numbering did.
 */
static bool target_all;
module_param(target_all, bool, 0644);
MODULE_PARM_DESC(target_all, "fill-in: target every call seen failing");

/*
 * kfault.target=OP:SYMBOL+0xOFF fails exactly one call of OP, whatever the
 * numbering: the passes are skipped and that return address is targeted
 * as the fill-in targets a call (make repro by call site).
 */
static char target[KSYM_NAME_LEN + 48];
module_param_string(target, target, sizeof(target), 0644);
MODULE_PARM_DESC(target, "OP:SYMBOL+0xOFF - fail that call of OP alone");

/*
 * Sweep passes: the kernel's own allocations (a slab refilling itself,
 * kmemleak's pool) come and go between runs and can take the nth of a
 * target allocation, so one pass may miss a site.  Passes repeat until one
 * finds nothing new.
 */
#define KFAULT_PASSES		3

static const char * const kfault_verdict_names[] = {
	[KFAULT_HANDLED] = "handled",
	[KFAULT_ABSORBED] = "absorbed",
	[KFAULT_NOT_FIRED] = "not-fired",
	[KFAULT_SITE_CHANGED] = "site-changed",
	[KFAULT_WRONG_ERRNO] = "wrong-errno",
	[KFAULT_BAD_STATE] = "bad-state",
	[KFAULT_LEAK] = "leak",
	[KFAULT_REPORT] = "report",
};

const char *kfault_verdict_name(enum kfault_verdict v)
{
	return kfault_verdict_names[v];
}

const char *kfault_resume(void)
{
	return resume;
}

struct kfault_start {
	unsigned int after_nth;		/* resume the passes after this nth */
	unsigned int after_fill;	/* resume the fill-in after this one */
	bool fill;			/* resuming inside the fill-in */
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
	if (*key == 'f') {
		at->fill = true;
		return kstrtouint(key + 1, 10, &at->after_fill) ? -EINVAL : 0;
	}
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
 * Arm, call, disarm: nothing else runs in between, so the count covers
 * exactly the operation.  Returns run()'s value; *fired tells whether the
 * nth countable allocation happened.
 */
static int kfault_call(struct kfault_env *env, const struct kfault_op *op,
		       void *ctx, unsigned int nth, bool *fired,
		       struct kfault_site *site)
{
	struct kfault_catch *c = &env->catch;
	int ret;

	memset(&c->cap, 0, sizeof(c->cap));
	c->captured = false;
	kfault_log_mark(env);
	kfault_filter(env, op, true);
	WRITE_ONCE(c->armed, current);
	WRITE_ONCE(current->fail_nth, nth);
	ret = op->run(ctx);
	*fired = nth && !READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
	WRITE_ONCE(c->armed, NULL);
	kfault_filter(env, op, false);
	memset(site, 0, sizeof(*site));
	if (*fired && c->cap.hash)
		*site = c->cap;
	return ret;
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
static void kfault_settle(void)
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
	ktime_t start = ktime_get();
	unsigned int leaks;
	void *ctx;
	int err;

	memset(res, 0, sizeof(*res));
	res->nth = nth;
	env->stats.attempts++;
	kfault_tags_snapshot(env);
	kfault_log_mark(env);
	ctx = kzalloc(op->ctx_size, GFP_KERNEL);
	if (!ctx) {
		res->verdict = KFAULT_BAD_STATE;
		strscpy(res->detail, "no memory for the context", sizeof(res->detail));
		return;
	}
	err = op->setup(ctx);
	if (err) {
		op->teardown(ctx);
		kfree(ctx);
		res->verdict = KFAULT_BAD_STATE;
		snprintf(res->detail, sizeof(res->detail), "setup failed: %d", err);
		return;
	}
	res->ret = kfault_call(env, op, ctx, nth, &res->fired, &res->site);
	kfault_log_scan(env, &res->site, res);
	res->site.silent = res->fired && !res->site.hash;
	if (res->site.hash == pt->site.hash)
		res->site.id = pt->site.id;
	res->verdict = kfault_judge(op, ctx, res, pt);
	op->teardown(ctx);
	kfree(ctx);
	kfault_settle();
	leaks = leak_check ? kfault_tags_diff(env, res->leaks,
					      sizeof(res->leaks)) : 0;
	kfault_log_scan(env, NULL, res);
	if (res->report[0])
		res->verdict = KFAULT_REPORT;
	else if (leaks)
		res->verdict = KFAULT_LEAK;
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

/* A target call whose allocations failed, and whether the call itself did. */
static void kfault_note_call(struct kfault_env *env,
			     const struct kfault_site *site)
{
	struct kfault_calls *c = &env->calls;
	unsigned int i;

	if (!site->addr)
		return;
	for (i = 0; i < c->nr; i++)
		if (c->addr[i] == site->addr)
			break;
	if (i == c->nr) {
		if (i == KFAULT_MAX_CALLS)
			return;
		c->addr[c->nr++] = site->addr;
		c->direct[i] = false;
	}
	c->direct[i] |= site->nested == KFAULT_DIRECT;
}

struct kfault_points {
	struct kfault_point *point;
	struct kfault_result *result;
	unsigned int nr, max;
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
 * One pass: nth = first, first + 1, ... until the injection no longer
 * fires.  Returns the number of new points.  A point's id counts its
 * occurrence within the pass, so the same site failed again later in the
 * operation is another point, while the same site in the next pass is the
 * same point.  A quiet pass only finds the calls for the fill-in.
 */
static int kfault_sweep_pass(struct kfault_env *env, const struct kfault_op *op,
			     struct kfault_points *p, unsigned int pass,
			     unsigned int first, bool quiet)
{
	static const struct kfault_point any;
	struct kfault_result *res = &env->calls.res;
	u32 *pass_hash = env->calls.pass_hash;
	unsigned int nth, i, same, added = 0;
	int kept;

	memset(pass_hash, 0, sizeof(env->calls.pass_hash));
	for (nth = first; nth <= KFAULT_MAX_NTH; nth++) {
		/* if this one crashes the kernel, the console says where */
		kfault_print_try(op, pass, nth, 0, 0);
		kfault_attempt(env, op, &any, nth, res);
		pass_hash[nth - 1] = res->site.hash;
		if (!res->fired) {
			kfault_print_done(op, pass, nth);
			break;
		}
		kfault_note_call(env, &res->site);
		if (quiet)
			continue;
		kfault_account(env, res);
		for (i = 0, same = 0; i < nth - 1; i++)
			same += pass_hash[i] == res->site.hash;
		res->site.occurrence = same;
		res->site.id = kfault_fnv(res->site.hash, &same, sizeof(same));
		kfault_print_ran(op, res, pass);
		/*
		 * Absorbed failures of kmemleak's or the slab's own metadata,
		 * and silent absorbed ones (a slab refilling itself), say
		 * nothing about the target: counted, not listed.
		 */
		if (res->verdict == KFAULT_ABSORBED &&
		    (res->site.nested == KFAULT_BOOKKEEPING || res->site.silent)) {
			*p->bookkeeping += !pass;
			continue;
		}
		kept = kfault_keep(p, res);
		if (kept < 0)
			return kept;
		added += kept;
	}
	if (nth > KFAULT_MAX_NTH)
		pr_warn("kfault: op=%s: cap of %u allocations reached\n",
			op->name, KFAULT_MAX_NTH);
	return added;
}

/*
 * A target call seen failing only inside (kmemleak's metadata, a new slab
 * page taking its nth) was never failed itself.  Target it: with the stack
 * filter narrowed to that one return address, the first allocation that
 * counts is the call's own, so nth = 1 fails exactly it.
 */
static int kfault_fill_in(struct kfault_env *env, const struct kfault_op *op,
			  struct kfault_points *p, unsigned int after)
{
	static const struct kfault_point any;
	struct kfault_result *res = &env->calls.res;
	struct kfault_calls *c = &env->calls;
	unsigned int i, fill = 0;
	int kept;

	for (i = 0; i < c->nr; i++) {
		if (c->direct[i] && !target_all)
			continue;
		if (++fill <= after)
			continue;
		c->target_addr = c->addr[i];
		kfault_print_try(op, 0, 1, fill, c->addr[i]);
		kfault_attempt(env, op, &any, 1, res);
		c->target_addr = 0;
		if (!res->fired || res->site.nested != KFAULT_DIRECT ||
		    res->site.addr != c->addr[i])
			continue;
		kfault_account(env, res);
		res->site.fill = fill;
		res->site.id = kfault_fnv(res->site.hash, "targeted", 8);
		kfault_print_ran(op, res, 0);
		kept = kfault_keep(p, res);
		if (kept < 0)
			return kept;
	}
	return 0;
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
	err = op->setup(ctx);
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
	struct kfault_points p = {
		.point = points, .result = results, .max = max,
		.bookkeeping = bookkeeping,
	};
	struct kfault_start at;
	unsigned int pass;
	unsigned long call;
	int added, err;

	if (only[0] && strcmp(only, op->name))
		return -EALREADY;
	err = kfault_resume_at(op, &at);
	if (err)
		return err > 0 ? -EALREADY : err;
	err = kfault_warm_up(op);
	if (err)
		return err;

	env->calls.nr = 0;
	err = kfault_target_call(op, &call);
	if (err < 0)
		return err;
	if (err) {
		env->calls.addr[0] = call;
		env->calls.direct[0] = false;
		env->calls.nr = 1;
		err = kfault_fill_in(env, op, &p, at.after_fill);
		return err < 0 ? err : p.nr;
	}
	for (pass = 0; pass < KFAULT_PASSES; pass++) {
		added = kfault_sweep_pass(env, op, &p, pass, at.after_nth + 1,
					  at.fill);
		if (added < 0)
			return added;
		if (!added || at.after_nth || at.fill)
			break;
	}
	/* after a crash in the passes, the fill-in could hit it again */
	added = at.after_nth ? 0 : kfault_fill_in(env, op, &p, at.after_fill);
	return added < 0 ? added : p.nr;
}

/* ---- environment ------------------------------------------------------ */

struct kfault_env *kfault_env_init(const struct kfault_target *target)
{
	struct kfault_env *env;
	int err;

	env = kzalloc(sizeof(*env), GFP_KERNEL);
	if (!env)
		return ERR_PTR(-ENOMEM);
	env->target = target;
	err = kfault_find_text(target, &env->text);
	if (err) {
		pr_err("kfault: no text for target %s (%s*, %s)\n", target->name,
		       target->prefix, target->srcdir);
		goto err_free_env;
	}
	kfault_find_tags(env);
	err = kfault_knobs_set(&env->knobs);
	if (err)
		goto err_free_env;
	err = kfault_probes_register(env);
	if (err)
		goto err_restore_knobs;
	kfault_print_target(env);
	return env;

err_restore_knobs:
	kfault_knobs_restore(env->knobs.knob, ARRAY_SIZE(env->knobs.knob));
err_free_env:
	kfree(env);
	return ERR_PTR(err);
}

void kfault_env_exit(struct kfault_env *env)
{
	if (IS_ERR_OR_NULL(env))
		return;
	kfault_probes_unregister(env);
	kfault_knobs_restore(env->knobs.knob, ARRAY_SIZE(env->knobs.knob));
	kfree(env);
}
