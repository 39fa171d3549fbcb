// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: what every sweeping suite needs from KUnit - one parameterised
 * case per operation (parameter 0 sweeps and runs the baseline, parameter
 * k is fault point k), the canaries that prove each oracle alive, the
 * kmemleak confirmation, and the statistics.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

/* ---- one case per operation, one parameter per fault point ------------- */

const void *kfault_param_next(struct kfault_case_state *st, const void *prev,
			      char *desc)
{
	const struct kfault_param *p = prev;
	unsigned int next = p ? p->index + 1 : 0;

	if (next && (st->nr < 0 || next > st->nr))
		return NULL;
	st->params[next].state = st;
	st->params[next].index = next;
	if (next)
		kfault_point_desc(st->op, &st->points[next - 1], desc,
				  KUNIT_PARAM_DESC_SIZE);
	else
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s: no fault (baseline)",
			 st->op->name);
	return &st->params[next];
}

/* Parameter 0: sweep the operation, then run it once with no fault. */
static void kfault_case_baseline(struct kunit *test, struct kfault_case_state *st)
{
	static const struct kfault_point baseline;
	struct kfault_env *env = st->target->env;
	struct kfault_result res;
	int i;

	st->bookkeeping = 0;
	st->nr = kfault_sweep(env, st->op, st->points, st->results,
			      ARRAY_SIZE(st->points), &st->bookkeeping);
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

static struct kfault_env *kfault_test_env(struct kunit *test)
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
		pr_info("kfault: canary reads past a 13-byte object: %d\n",
			READ_ONCE(p[13]));
		kfree(p);
	}
	complete(done);
	return 0;
}

/*
 * The canary leak must be really unreferenced.  kmemleak scans task stacks
 * and the vmalloc'ed stacks kept for reuse, so no plain copy of the pointer
 * may stay behind on this thread's stack; and it scans live slab objects,
 * which may hold a stale free-list pointer to a neighbour that was free
 * when they were allocated (seen without KASAN, which keeps free pointers
 * outside the object): the canary comes from a cache of its own, never
 * destroyed, where nothing else is allocated.
 */
#define KFAULT_CANARY_MASK	0x5a5a5a5a5a5a5a5aUL

static unsigned long kfault_canary_cookie;
static struct kmem_cache *kfault_canary_cache;

static noinline unsigned long kfault_canary_alloc(void)
{
	void *p;

	if (!kfault_canary_cache)
		kfault_canary_cache = kmem_cache_create("kfault_canary", 48, 0,
							SLAB_NO_MERGE, NULL);
	if (!kfault_canary_cache)
		return KFAULT_CANARY_MASK;
	p = kmem_cache_alloc(kfault_canary_cache, GFP_KERNEL);
	if (p)
		memset(p, 0x6b, 48);
	return (unsigned long)p ^ KFAULT_CANARY_MASK;
}

static noinline void kfault_scrub_stack(unsigned int depth)
{
	u8 pad[256];

	if (depth)
		kfault_scrub_stack(depth - 1);
	memzero_explicit(pad, sizeof(pad));
}

static int kfault_canary_leak(void *done)
{
	WRITE_ONCE(kfault_canary_cookie, kfault_canary_alloc());
	kfault_scrub_stack(16);
	complete(done);
	return 0;
}

static void kfault_canary_run(struct kunit *test, int (*fn)(void *))
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

	kfault_log_mark(env);
	kfault_canary_run(test, kfault_canary_oob);
	seen = kfault_log_seen(env,
			       "BUG: KASAN: slab-out-of-bounds in kfault_canary_oob");
	KUNIT_EXPECT_TRUE_MSG(test, seen,
			      "KASAN did not report the canary's out-of-bounds read");
}

/* ---- kmemleak confirmation ----------------------------------------------- */

/*
 * kmemleak has no in-kernel scan API (kmemleak_scan() is static), so kfault
 * drives its debugfs file the way userspace does: a kernel mount of debugfs,
 * the file opened on it, commands written and the report read through its
 * file operations, with a user buffer from kunit_vm_mmap() in the test's
 * kthread.  cmd ("scan", "clear") is written, or with cmd NULL the report
 * is read into out (NUL-terminated).  Returns bytes written/read or an errno.
 */
static ssize_t kfault_kmemleak(struct kunit *test, const char *cmd, char *out,
			       size_t len)
{
	struct file_system_type *type;
	unsigned long uaddr;
	struct vfsmount *mnt;
	struct file *file;
	ssize_t n, total = 0;
	loff_t pos = 0;
	char __user *ubuf;

	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!uaddr || IS_ERR_VALUE(uaddr))
		return -ENOMEM;
	ubuf = (char __user *)uaddr;
	type = get_fs_type("debugfs");
	if (!type)
		return -ENODEV;
	mnt = kern_mount(type);
	put_filesystem(type);
	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	file = file_open_root_mnt(mnt, "kmemleak", cmd ? O_WRONLY : O_RDONLY, 0);
	if (IS_ERR(file)) {
		total = PTR_ERR(file);
		goto out_unmount;
	}
	if (cmd) {
		total = -EFAULT;
		if (!copy_to_user(ubuf, cmd, strlen(cmd)))
			total = file->f_op->write(file, ubuf, strlen(cmd), &pos);
		goto out_close;
	}
	while (total < len - 1) {
		n = file->f_op->read(file, ubuf, min_t(size_t, PAGE_SIZE,
						       len - 1 - total), &pos);
		if (n <= 0)
			break;
		if (copy_from_user(out + total, ubuf, n)) {
			total = -EFAULT;
			goto out_close;
		}
		total += n;
	}
	out[total] = '\0';
out_close:
	__fput_sync(file);
out_unmount:
	kern_unmount(mnt);
	return total;
}

#define KMEMLEAK_REPORT_SIZE	SZ_256K
#define KFAULT_KERNEL_LEAK_LINES	200
#define KMEMLEAK_MIN_AGE_MS	5100	/* MSECS_MIN_AGE is 5000 */

KUNIT_DEFINE_ACTION_WRAPPER(kfault_kvfree_action, kvfree, const void *);

/* Frames of the allocators themselves, between an object and its caller. */
static const char * const kmemleak_alloc_frames[] = {
	"save_stack_trace", "stack_trace_save", "set_track_prepare",
	"__alloc_object", "__create_object", "kmemleak_", "__kmalloc",
	"kmalloc", "__kmem_cache_alloc", "kmem_cache_alloc", "__vmalloc",
	"vmalloc", "vzalloc", "__kvmalloc", "kvmalloc", "kvzalloc",
	"kmemdup", "kstrdup", "kstrndup", "krealloc", "kzalloc", "kcalloc",
	"memdup_user", "__alloc_pages", "alloc_pages", "devm_", "alloc_dr",
	"__devres_alloc", "kvasprintf", "kasprintf",
};

/* The first backtrace frame that is not an allocator's own. */
static const char *kmemleak_caller(const char *block)
{
	const char *frame = strstr(block, "backtrace");
	unsigned int i;

	while (frame && (frame = strchr(frame, '\n'))) {
		frame = skip_spaces(frame);
		for (i = 0; i < ARRAY_SIZE(kmemleak_alloc_frames); i++)
			if (str_has_prefix(frame, kmemleak_alloc_frames[i]))
				break;
		if (i == ARRAY_SIZE(kmemleak_alloc_frames))
			return frame;
	}
	return NULL;
}

/*
 * Once in some tens of boots kmemleak did not report the canary (CI, a
 * clean refdev run; cause not found yet): a second canary, two more scans
 * after the age, before kmemleak is called dead.  Said on the console.
 */
static bool kfault_second_canary(struct kunit *test, char *report)
{
	char *block;
	ssize_t n;

	kunit_info(test, "kfault: kmemleak did not report the canary: a second one\n");
	kfault_canary_run(test, kfault_canary_leak);
	msleep(KMEMLEAK_MIN_AGE_MS);
	if (kfault_kmemleak(test, "scan", NULL, 0) < 0 ||
	    kfault_kmemleak(test, "scan", NULL, 0) < 0)
		return false;
	n = kfault_kmemleak(test, NULL, report, KMEMLEAK_REPORT_SIZE);
	for (block = n > 0 ? strstr(report, "unreferenced object") : NULL; block;
	     block = strstr(block + 1, "unreferenced object")) {
		const char *caller = kmemleak_caller(block);

		if (caller && str_has_prefix(caller, "kfault_canary_alloc"))
			return true;
	}
	return false;
}

/*
 * After every sweep: objects must be 5 s old and unchanged across two scans
 * to be reported.  The canary's leak must be found (kmemleak is alive); no
 * allocation whose caller is the target's may be.  Leaks of the kernel's
 * own error paths under a target call are printed and counted apart.
 */
void kfault_kmemleak_confirmation(struct kunit *test)
{
	struct kfault_env *env = kfault_test_env(test);
	const char *prefix = env->target->prefix;
	unsigned int target = 0, kernel = 0;
	char *report, *block, *next;
	const char *caller;
	bool canary = false;
	ssize_t n;

	report = kvzalloc(KMEMLEAK_REPORT_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, report);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kfault_kvfree_action,
							report), 0);
	kfault_canary_run(test, kfault_canary_leak);
	msleep(KMEMLEAK_MIN_AGE_MS);
	KUNIT_ASSERT_GE(test, kfault_kmemleak(test, "scan", NULL, 0), 0);
	KUNIT_ASSERT_GE(test, kfault_kmemleak(test, "scan", NULL, 0), 0);
	n = kfault_kmemleak(test, NULL, report, KMEMLEAK_REPORT_SIZE);
	KUNIT_ASSERT_GE_MSG(test, n, 0, "cannot read kmemleak's report: %zd", n);
	for (block = strstr(report, "unreferenced object"); block; block = next) {
		next = strstr(block + 1, "unreferenced object");
		if (next)
			next[-1] = '\0';
		caller = kmemleak_caller(block);
		if (!caller)
			continue;
		if (str_has_prefix(caller, "kfault_canary_alloc")) {
			canary = true;
		} else if (prefix[0] ? str_has_prefix(caller, prefix) :
			   !!strstr(block, "kfault_any_try")) {
			/* any suite: what a point's init or case allocated */
			target++;
			kunit_info(test, "kfault: kmemleak: %s\n", block);
		} else if (prefix[0] && strstr(block, prefix)) {
			/* dozens a run: one line each, for known-bug matching */
			if (kernel++ < KFAULT_KERNEL_LEAK_LINES)
				kfault_log_kernel_leak(test, block, caller);
		}
	}
	if (!canary)
		canary = kfault_second_canary(test, report);
	kfault_kmemleak(test, "clear", NULL, 0);
	kfault_log_kmemleak(test, env, canary, target, kernel);
	KUNIT_EXPECT_TRUE_MSG(test, canary,
			      "kmemleak did not report the canary's leak: is it alive?");
	KUNIT_EXPECT_EQ_MSG(test, target, 0U, "kmemleak found leaks of %s",
			    env->target->name);
}

void kfault_sweep_summary(struct kunit *test)
{
	struct kfault_env *env = kfault_test_env(test);

	KUNIT_EXPECT_GT_MSG(test, env->tags.nr, 0U,
			    "no allocation tags in %s: is MEM_ALLOC_PROFILING on?",
			    env->target->srcdir);
	kfault_log_stats(test, env);
}
