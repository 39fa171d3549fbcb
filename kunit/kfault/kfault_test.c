// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the kfault library's own parts that need no target:
 * the knobs' unwind, allocator names, the stable hash, and the pure
 * functions that decide which point is which from run to run (occurrence,
 * hit, arming, source directories, point names, tables, verdicts).
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kallsyms.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <trace/events/error_report.h>

#include "internal.h"

/*
 * A knob table with one knob missing must change nothing, and the unwind
 * that env init runs after the failure must write nothing back: a knob's
 * value is restored only when it was saved.
 */
static void kfault_knobs_unwind_partial(struct kunit *test)
{
	struct kfault_knob probe[] = {
		{ "failslab", "ignore-gfp-wait", sizeof(bool), 0 },
	};
	struct kfault_knob knobs[] = {
		{ "failslab", "ignore-gfp-wait", sizeof(bool), 0 },
		{ "failslab", "kfault-test-no-such-knob", sizeof(bool), 0 },
	};
	bool *real, before, after;

	/* where the knob lives, and its value (Y by default) */
	KUNIT_ASSERT_EQ(test, kfault_knobs_apply(probe, 1), 0);
	real = probe[0].ptr;
	KUNIT_ASSERT_NOT_NULL(test, real);
	kfault_knobs_restore(probe, 1);
	before = READ_ONCE(*real);
	KUNIT_ASSERT_TRUE_MSG(test, before,
			      "failslab/ignore-gfp-wait is N: the test cannot tell");

	KUNIT_EXPECT_EQ(test, kfault_knobs_apply(knobs, ARRAY_SIZE(knobs)),
			-ENOENT);
	after = READ_ONCE(*real);
	KUNIT_EXPECT_EQ(test, after, before);
	kfault_knobs_restore(knobs, ARRAY_SIZE(knobs));
	after = READ_ONCE(*real);
	KUNIT_EXPECT_EQ_MSG(test, after, before,
			    "the unwind wrote a value it never saved");
}

/* A full table is set, then put back as it was. */
static void kfault_knobs_roundtrip(struct kunit *test)
{
	struct kfault_knob knobs[] = {
		{ "fail_page_alloc", "min-order", sizeof(u32), 0 },
	};
	u32 before, now;

	KUNIT_ASSERT_EQ(test, kfault_knobs_apply(knobs, 1), 0);
	before = knobs[0].saved;
	now = READ_ONCE(*(u32 *)knobs[0].ptr);
	KUNIT_EXPECT_EQ(test, now, 0U);
	kfault_knobs_restore(knobs, 1);
	now = READ_ONCE(*(u32 *)knobs[0].ptr);
	KUNIT_EXPECT_EQ(test, now, before);
}

struct kfault_name_case {
	const char *sym;
	const char *name;
};

static const struct kfault_name_case kfault_name_cases[] = {
	{ "__kmalloc_cache_noprof+0x1a/0x30", "kmalloc_cache" },
	{ "kmem_cache_alloc_noprof+0x10/0x20", "kmem_cache_alloc" },
	{ "__vmalloc_node_range_noprof", "vmalloc_node_range" },
	{ "kvmalloc_node", "kvmalloc_node" },
	{ "refdev_open [refdev]", "refdev_open" },	/* %ps of a module's */
	/* a compiler's clone: the review's gcov build made this one */
	{ "kunit_alloc_and_get_resource.constprop.0",
	  "kunit_alloc_and_get_resource" },
	{ "free_suite_set_at_end.part.0+0x1cf/0x2f0", "free_suite_set_at_end" },
};

static void kfault_name_desc(const struct kfault_name_case *c, char *desc)
{
	strscpy(desc, c->sym, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kfault_name, kfault_name_cases, kfault_name_desc);

static void kfault_allocator_names(struct kunit *test)
{
	const struct kfault_name_case *c = test->param_value;
	char buf[40];

	kfault_allocator_name(c->sym, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, c->name);
}

/* Site ids are compared across runs and builds: the hash must not change. */
static void kfault_fnv_stable(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kfault_fnv(KFAULT_FNV_SEED, "", 0),
			KFAULT_FNV_SEED);
	KUNIT_EXPECT_EQ(test, kfault_fnv(KFAULT_FNV_SEED, "a", 1), 0xe40c292cU);
}

/* The counting run's events: site hashes A B A C A (0xa, 0xb, 0xc). */
static const u32 kfault_expect[] = { 0xa, 0xb, 0xa, 0xc, 0xa };

/* A site's occurrence is how often its hash came before: index-free. */
static void kfault_occurrence_counts_earlier_events(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kfault_occurrence(kfault_expect, 0, 0xa), 0U);
	KUNIT_EXPECT_EQ(test, kfault_occurrence(kfault_expect, 2, 0xa), 1U);
	KUNIT_EXPECT_EQ(test, kfault_occurrence(kfault_expect, 4, 0xa), 2U);
	KUNIT_EXPECT_EQ(test, kfault_occurrence(kfault_expect, 5, 0xc), 1U);
	KUNIT_EXPECT_EQ(test, kfault_occurrence(kfault_expect, 5, 0xd), 0U);
	/* ids: the same site's second and third events differ */
	KUNIT_EXPECT_NE(test, kfault_expect_id(kfault_expect, 3),
			kfault_expect_id(kfault_expect, 5));
	KUNIT_EXPECT_EQ(test, kfault_expect_id(kfault_expect, 1),
			kfault_expect_id(kfault_expect, 1));
}

/*
 * A failure hits point nth when its site has the nth event's hash and
 * occurrence: the second A (point 3), not the first or the third.
 */
static void kfault_hit_needs_hash_and_occurrence(struct kunit *test)
{
	struct kfault_site site = { .hash = 0xa, .occurrence = 1 };

	KUNIT_EXPECT_TRUE(test, kfault_hit(&site, kfault_expect, 3));
	KUNIT_EXPECT_FALSE(test, kfault_hit(&site, kfault_expect, 1));
	KUNIT_EXPECT_FALSE(test, kfault_hit(&site, kfault_expect, 5));
	site.hash = 0xb;
	KUNIT_EXPECT_FALSE(test, kfault_hit(&site, kfault_expect, 3));
}

/*
 * A point's failure elsewhere is tried afresh when it is a finding or silent
 * (fail_nth spent on a page no probe saw); a handled one and a run where
 * nothing failed are not misses.
 */
static void kfault_miss_retries_findings_and_silent(struct kunit *test)
{
	struct kfault_result res = { .fired = true, .verdict = KFAULT_LEAK };

	KUNIT_EXPECT_TRUE(test, kfault_miss(&res));
	res.verdict = KFAULT_ABSORBED;
	res.site.silent = true;
	KUNIT_EXPECT_TRUE(test, kfault_miss(&res));
	res.site.silent = false;
	KUNIT_EXPECT_FALSE(test, kfault_miss(&res));
	res.verdict = KFAULT_HANDLED;
	KUNIT_EXPECT_FALSE(test, kfault_miss(&res));
	res.fired = false;
	res.verdict = KFAULT_NOT_FIRED;
	KUNIT_EXPECT_FALSE(test, kfault_miss(&res));
}

static noinline int kfault_guard_deref(void *arg)
{
	int *p = arg;

	OPTIMIZER_HIDE_VAR(p);
	return READ_ONCE(*p);
}

static DEFINE_SPINLOCK(kfault_guard_lock);
static DEFINE_MUTEX(kfault_guard_mutex);

static noinline int kfault_guard_deref_mutex(void *arg)
{
	mutex_lock(&kfault_guard_mutex);
	rcu_read_lock();
	return kfault_guard_deref(arg);
}

static noinline int kfault_guard_deref_locked(void *arg)
{
	spin_lock(&kfault_guard_lock);
	return kfault_guard_deref(arg);
}

static noinline int kfault_guard_deref_atomic(void *arg)
{
	preempt_disable();
	return kfault_guard_deref(arg);
}

/* A spin_lock() through a NULL object: the fault is the lock being taken */
struct kfault_guard_obj {
	long pad[8];
	spinlock_t lock;	/* never taken: obj is NULL */
};

static noinline int kfault_guard_lock_null(void *arg)
{
	struct kfault_guard_obj *obj = arg;
	unsigned long flags;

	OPTIMIZER_HIDE_VAR(obj);
	spin_lock_irqsave(&obj->lock, flags);
	spin_unlock_irqrestore(&obj->lock, flags);
	return 0;
}

/* What KASAN's end_report() traces, without a real report's taint */
static noinline int kfault_guard_deref_reported(void *arg)
{
	trace_error_report_end(ERROR_DETECTOR_KASAN, 0);
	return kfault_guard_deref(arg);
}

/* KASAN's per-task depth: not 0 while its reports are turned off */
static unsigned int kfault_kasan_depth(void)
{
#if defined(CONFIG_KASAN_GENERIC) || defined(CONFIG_KASAN_SW_TAGS)
	return current->kasan_depth;
#else
	return 0;
#endif
}

/* A flood: more reports than KFAULT_FLOOD; *arg gets KASAN's depth then */
static noinline int kfault_guard_flood(void *arg)
{
	unsigned int *depth = arg;
	int i;

	for (i = 0; i < KFAULT_FLOOD + 4; i++)
		trace_error_report_end(ERROR_DETECTOR_KASAN, 0);
	*depth = kfault_kasan_depth();
	return 0;
}

/*
 * A call that keeps reporting has KASAN reports turned off for its thread
 * after KFAULT_FLOOD of them, and back on when it returns.
 */
static void kfault_guard_bounds_a_flood(struct kunit *test)
{
	unsigned int before, during = 0;
	struct kfault_fault f;

	if (!IS_ENABLED(CONFIG_UML) || !IS_ENABLED(CONFIG_KASAN_GENERIC))
		kunit_skip(test, "the guard is UML's, the depth generic KASAN's");
	kfault_guard_init();
	before = kfault_kasan_depth();
	KUNIT_EXPECT_EQ(test, kfault_guard(kfault_guard_flood, &during, &f), 0);
	KUNIT_EXPECT_FALSE(test, f.caught);
	KUNIT_EXPECT_TRUE(test, f.flooded);
	KUNIT_EXPECT_EQ(test, f.reports, KFAULT_FLOOD + 4);
	/* kasan_disable_current() moves the depth off 0: reports suppressed */
	KUNIT_EXPECT_NE(test, during, before);
	KUNIT_EXPECT_EQ(test, kfault_kasan_depth(), before);
	during = 0;
	KUNIT_EXPECT_EQ(test, kfault_guard(kfault_guard_deref, &during, &f), 0);
	KUNIT_EXPECT_FALSE(test, f.flooded);
	KUNIT_EXPECT_EQ(test, f.reports, 0);
}

/*
 * On UML a kernel-mode fault panics; under kfault_guard() it ends the call:
 * twice in a row (the IRQ stack and the host's signal mask were put back),
 * with the timer still ticking; a mutex and an RCU read section the call
 * left are released and so is a spinlock; a raised preempt count makes the
 * kernel unusable, and so does a memory-safety report before the fault; a
 * spinlock whose own memory faulted was not taken, and what taking it began
 * is undone.
 */
static void kfault_guard_catches_faults(struct kunit *test)
{
	unsigned long start, size, off;
	struct kfault_fault f;
	int zero = 0, preempt, i;

	if (!IS_ENABLED(CONFIG_UML))
		kunit_skip(test, "a faulting KUnit thread dies alone here");
	kfault_guard_init();
	KUNIT_ASSERT_TRUE(test, kallsyms_lookup_size_offset((unsigned long)kfault_guard_deref,
							    &size, &off));
	start = (unsigned long)kfault_guard_deref - off;
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, kfault_guard(kfault_guard_deref, NULL, &f), -EFAULT);
		KUNIT_EXPECT_TRUE(test, f.caught);
		KUNIT_EXPECT_FALSE(test, f.unusable);
		KUNIT_EXPECT_GE(test, f.ip, start);
		KUNIT_EXPECT_LT(test, f.ip, start + size);
		msleep(20);
	}
	KUNIT_EXPECT_EQ(test, kfault_guard(kfault_guard_deref_mutex, NULL, &f), -EFAULT);
	KUNIT_EXPECT_TRUE(test, f.caught);
	/* known from the lock tracepoints, lockdep on or off after a taint */
	KUNIT_EXPECT_FALSE(test, f.unusable);
	KUNIT_EXPECT_FALSE(test, mutex_is_locked(&kfault_guard_mutex));
	KUNIT_EXPECT_EQ(test, kfault_guard(kfault_guard_deref_locked, NULL, &f), -EFAULT);
	KUNIT_EXPECT_TRUE(test, f.caught);
	KUNIT_EXPECT_FALSE(test, f.unusable);
	KUNIT_EXPECT_TRUE(test, spin_trylock(&kfault_guard_lock));
	spin_unlock(&kfault_guard_lock);
	preempt = preempt_count();
	KUNIT_EXPECT_EQ(test, kfault_guard(kfault_guard_deref_atomic, NULL, &f), -EFAULT);
	KUNIT_EXPECT_TRUE(test, f.caught);
	KUNIT_EXPECT_TRUE(test, f.unusable);
	KUNIT_EXPECT_EQ(test, preempt_count(), preempt + 1);
	preempt_enable();
	preempt = preempt_count();
	KUNIT_EXPECT_EQ(test, kfault_guard(kfault_guard_lock_null, NULL, &f),
			-EFAULT);
	KUNIT_EXPECT_TRUE(test, f.caught);
	KUNIT_EXPECT_FALSE(test, f.unusable);
	KUNIT_EXPECT_EQ(test, preempt_count(), preempt);
	KUNIT_EXPECT_FALSE(test, irqs_disabled());
	KUNIT_EXPECT_EQ(test, kfault_guard(kfault_guard_deref_reported, NULL, &f),
			-EFAULT);
	KUNIT_EXPECT_TRUE(test, f.caught);
	KUNIT_EXPECT_TRUE(test, f.unusable);
	KUNIT_EXPECT_EQ(test, kfault_guard(kfault_guard_deref, &zero, &f), 0);
	KUNIT_EXPECT_FALSE(test, f.caught);
}

/* Point 1 fails the first allocation; point k arms after event k - 1. */
static void kfault_catch_arms_after_the_previous_event(struct kunit *test)
{
	struct kfault_catch *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->events = 7;
	c->captured = true;
	kfault_catch_arm(c, kfault_expect, 1, 1);
	KUNIT_EXPECT_TRUE(test, c->fail_armed);
	KUNIT_EXPECT_FALSE(test, c->arm_on_event);
	KUNIT_EXPECT_EQ(test, c->events, 0U);
	KUNIT_EXPECT_FALSE(test, c->captured);
	/* point 5: after event 4 (hash C, seen once before it: none) */
	kfault_catch_arm(c, kfault_expect, 5, 2);
	KUNIT_EXPECT_FALSE(test, c->fail_armed);
	KUNIT_EXPECT_TRUE(test, c->arm_on_event);
	KUNIT_EXPECT_EQ(test, c->arm_hash, 0xcU);
	KUNIT_EXPECT_EQ(test, c->arm_occurrence, 0U);
	KUNIT_EXPECT_EQ(test, c->arm_count, 2U);
	/* point 4: after the second A */
	kfault_catch_arm(c, kfault_expect, 4, 1);
	KUNIT_EXPECT_EQ(test, c->arm_hash, 0xaU);
	KUNIT_EXPECT_EQ(test, c->arm_occurrence, 1U);
	/* counting (nth 0): nothing armed */
	kfault_catch_arm(c, kfault_expect, 0, 1);
	KUNIT_EXPECT_FALSE(test, c->fail_armed);
	KUNIT_EXPECT_FALSE(test, c->arm_on_event);
}

/* A tag's file is the target's when one of the listed directories holds it. */
static void kfault_srcdirs_are_a_comma_list(struct kunit *test)
{
	const char *dirs = "drivers/base/,lib/kunit/";

	KUNIT_EXPECT_TRUE(test, kfault_in_srcdir(dirs, "lib/kunit/test.c"));
	KUNIT_EXPECT_TRUE(test, kfault_in_srcdir(dirs, "drivers/base/swnode.c"));
	KUNIT_EXPECT_FALSE(test, kfault_in_srcdir(dirs, "lib/list-test.c"));
	KUNIT_EXPECT_FALSE(test, kfault_in_srcdir(dirs, NULL));
	KUNIT_EXPECT_FALSE(test, kfault_in_srcdir("", "lib/kunit/test.c"));
	/* an empty item is skipped, not a directory every file is in */
	KUNIT_EXPECT_FALSE(test, kfault_in_srcdir(",,lib/kunit/,", "lib/list.c"));
	KUNIT_EXPECT_TRUE(test, kfault_in_srcdir(",,lib/kunit/,", "lib/kunit/a.c"));
}

/* What a point left on the KUnit bus: drivers and devices since the count */
static void kfault_bus_counts_what_is_left(struct kunit *test)
{
	struct kfault_bus before, left;
	char buf[128];

	kfault_bus_init(test);
	kfault_bus_read(&before);
	KUNIT_EXPECT_FALSE(test, kfault_bus_left(&before, &left, buf,
						 sizeof(buf)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(kunit_device_register(test, "left")));
	KUNIT_EXPECT_TRUE(test, kfault_bus_left(&before, &left, buf,
						sizeof(buf)));
	KUNIT_EXPECT_EQ(test, left.drivers, 1);
	KUNIT_EXPECT_EQ(test, left.devices, 1);
	KUNIT_EXPECT_STREQ(test, buf,
			   "kfault: left registered on the kunit bus after the case's cleanup: 1 driver(s), 1 device(s)");
}

/*
 * A sleeping allocation in atomic context is seen every time, as the
 * allocation's tracepoint sees it: under the probe's preempt_disable_notrace().
 */
static void kfault_atomic_sleep_is_seen(struct kunit *test)
{
	static DEFINE_SPINLOCK(lock);
	unsigned int count = 0;

	if (!IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP))
		kunit_skip(test, "no CONFIG_DEBUG_ATOMIC_SLEEP: preempt counts are not kept");
	preempt_disable_notrace();
	KUNIT_EXPECT_FALSE(test, kfault_sleeping_in_atomic(GFP_KERNEL, &count));
	preempt_enable_notrace();

	spin_lock(&lock);
	preempt_disable_notrace();
	KUNIT_EXPECT_TRUE(test, kfault_sleeping_in_atomic(GFP_KERNEL, &count));
	KUNIT_EXPECT_EQ(test, count, 1U);
	KUNIT_EXPECT_FALSE(test, kfault_sleeping_in_atomic(GFP_ATOMIC, &count));
	KUNIT_EXPECT_FALSE(test, kfault_sleeping_in_atomic(GFP_NOWAIT, &count));
	preempt_enable_notrace();
	spin_unlock(&lock);

	rcu_read_lock();
	preempt_disable_notrace();
	KUNIT_EXPECT_EQ(test, kfault_sleeping_in_atomic(GFP_KERNEL, &count),
			!IS_ENABLED(CONFIG_PREEMPT_RCU));
	preempt_enable_notrace();
	rcu_read_unlock();

	local_irq_disable();
	preempt_disable_notrace();
	KUNIT_EXPECT_TRUE(test, kfault_sleeping_in_atomic(GFP_KERNEL, &count));
	preempt_enable_notrace();
	local_irq_enable();
}

KUNIT_DEFINE_ACTION_WRAPPER(kfault_free_tags_action, kfault_free_tags,
			    struct kfault_tags *);

/*
 * A target's tags are all of its directories' tags: a night's 44
 * directories hold thousands, and the 1024 kept before left the rest to no
 * leak check (regmap-ram.c's leaks were found alone, never in a night).
 */
static void kfault_tags_are_all_of_the_targets(struct kunit *test)
{
	static struct kfault_target lib = { .srcdir = "lib/" };
	static struct kfault_target wide = {
		.srcdir = "lib/,kernel/,mm/,fs/,drivers/,net/,security/,block/",
	};
	struct kfault_env *env;
	unsigned int nr_lib;

	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env);
	env->target = &lib;
	KUNIT_ASSERT_EQ(test, kfault_find_tags(env), 0);
	nr_lib = env->tags.nr;
	kfault_free_tags(&env->tags);
	env->target = &wide;
	KUNIT_ASSERT_EQ(test, kfault_find_tags(env), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kfault_free_tags_action,
							&env->tags), 0);
	KUNIT_EXPECT_GT(test, nr_lib, 0);
	KUNIT_EXPECT_GT(test, env->tags.nr, 1024);
	KUNIT_EXPECT_GT(test, env->tags.nr, nr_lib);
	/* the last one is read like the first */
	kfault_tags_snapshot(env);
	KUNIT_EXPECT_EQ(test, env->tags.calls_before[env->tags.nr - 1],
			alloc_tag_read(env->tags.tag[env->tags.nr - 1]).calls);
}

/*
 * A driver a point left registered, its memory freed by the point's cleanup
 * (finding 11's kunit_driver_create()), is taken off the bus through the copy
 * kept at the point's failure: the bus is as the point found it, a driver of
 * the same name registers again, and the freed driver is never read - KASAN
 * would fail this case if it were.
 */
static void kfault_bus_puts_back_a_freed_driver(struct kunit *test)
{
	struct kfault_bus_state *b;
	struct device_driver *home, *drv, *again;
	struct kfault_bus left;
	char buf[128];

	kfault_bus_init(test);
	home = kunit_driver_create(test, "kfault_bus_home");
	KUNIT_ASSERT_FALSE(test, IS_ERR(home));
	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	drv = kzalloc(sizeof(*drv), GFP_KERNEL);
	again = kunit_kzalloc(test, sizeof(*again), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, b && drv && again);
	kfault_bus_note(b);
	/* the point: a driver registered and never unregistered */
	drv->name = "kfault_bus_left";
	drv->bus = home->bus;
	KUNIT_ASSERT_EQ(test, driver_register(drv), 0);
	kfault_bus_keep(b);	/* the point's failure */
	/* its cleanup: the driver's memory freed, the driver still on the bus */
	kfree(drv);
	KUNIT_EXPECT_TRUE(test, kfault_bus_left(&b->count, &left, buf,
						sizeof(buf)));
	KUNIT_EXPECT_EQ(test, left.drivers, 1);
	KUNIT_EXPECT_EQ(test, kfault_bus_put_back(b, false), 0);
	KUNIT_EXPECT_EQ(test, b->removed.drivers, 1);
	KUNIT_EXPECT_EQ(test, b->removed.devices, 0);
	KUNIT_EXPECT_FALSE(test, kfault_bus_left(&b->count, &left, buf,
						 sizeof(buf)));
	again->name = "kfault_bus_left";
	again->bus = home->bus;
	KUNIT_ASSERT_EQ(test, driver_register(again), 0);
	driver_unregister(again);
	/* what the point did not leave is not touched */
	KUNIT_EXPECT_EQ(test, kfault_bus_put_back(b, false), 0);
	KUNIT_EXPECT_EQ(test, b->removed.drivers, 0);
}

static void kfault_bus_dev_release(struct device *dev)
{
	kfree(dev);
}

/*
 * A device a point left registered (no cleanup action unregisters it) is
 * unregistered, unless the point's code faulted (its registration may have
 * been cut short): then it is stuck.
 */
static void kfault_bus_puts_back_a_device(struct kunit *test)
{
	struct device_driver *home;
	struct kfault_bus_state *b;
	struct device *dev;
	struct kfault_bus left;
	char buf[128];

	kfault_bus_init(test);
	home = kunit_driver_create(test, "kfault_bus_dev_home");
	KUNIT_ASSERT_FALSE(test, IS_ERR(home));
	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, b && dev);
	kfault_bus_note(b);
	device_initialize(dev);
	dev->bus = home->bus;
	dev->release = kfault_bus_dev_release;
	KUNIT_ASSERT_EQ(test, dev_set_name(dev, "kfault_bus_dev"), 0);
	KUNIT_ASSERT_EQ(test, device_add(dev), 0);
	get_device(dev);
	/* after a fault nothing is put back */
	KUNIT_EXPECT_GT(test, kfault_bus_put_back(b, true), 0);
	KUNIT_EXPECT_EQ(test, b->removed.devices, 0);
	KUNIT_EXPECT_TRUE(test, device_is_registered(dev));
	KUNIT_EXPECT_EQ(test, kfault_bus_put_back(b, false), 0);
	KUNIT_EXPECT_EQ(test, b->removed.devices, 1);
	KUNIT_EXPECT_FALSE(test, device_is_registered(dev));
	put_device(dev);
	KUNIT_EXPECT_FALSE(test, kfault_bus_left(&b->count, &left, buf,
						 sizeof(buf)));
}

/* kfault.exclude's globs: a suite matched by any of them is left out. */
static void kfault_exclusions_are_a_glob_list(struct kunit *test)
{
	const char *list = "kasan,kfault*,,ext4_?b*";

	KUNIT_EXPECT_TRUE(test, kfault_list_match(list, "kasan"));
	KUNIT_EXPECT_TRUE(test, kfault_list_match(list, "kfault_lib"));
	KUNIT_EXPECT_TRUE(test, kfault_list_match(list, "ext4_mballoc_test"));
	KUNIT_EXPECT_FALSE(test, kfault_list_match(list, "kasan_x"));
	KUNIT_EXPECT_FALSE(test, kfault_list_match(list, "ext4_inode_test"));
	KUNIT_EXPECT_FALSE(test, kfault_list_match("", "kasan"));
	KUNIT_EXPECT_FALSE(test, kfault_list_match(list, NULL));
}

/* A point's name: its KTAP line and the harness's point name (report.py). */
static void kfault_point_names(struct kunit *test)
{
	static const struct kfault_op op = { .name = "open" };
	struct kfault_point pt = { .nth = 2 };
	char buf[KUNIT_PARAM_DESC_SIZE];

	strscpy(pt.site.allocator, "kvmalloc_node", sizeof(pt.site.allocator));
	strscpy(pt.site.caller, "refdev_open+0x24b/0x730", sizeof(pt.site.caller));
	kfault_point_desc(&op, &pt, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, "open: fail 2 kvmalloc_node <- refdev_open+0x24b");
	strscpy(pt.site.inner, "vmalloc_node_range", sizeof(pt.site.inner));
	kfault_point_desc(&op, &pt, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf,
			   "open: fail 2 kvmalloc_node <- refdev_open+0x24b (in vmalloc_node_range)");
	pt.site.fill = 1;
	kfault_point_desc(&op, &pt, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf,
			   "open: fail kvmalloc_node <- refdev_open+0x24b (targeted 1)");
	pt.site.silent = true;
	kfault_point_desc(&op, &pt, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, "open: fail 2 (silent)");
	pt.nth = 0;
	kfault_point_desc(&op, &pt, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, "open: no fault (baseline)");
	/* no '#' in a name: KTAP reads it as a directive (kunit.py drops it) */
	KUNIT_EXPECT_NULL(test, strchr(buf, '#'));
}

/* Which lines are reports and which frames are the allocator's (tables.c). */
static void kfault_tables_classify(struct kunit *test)
{
	static const char * const hung =
		"INFO: task kworker/0:1:12 blocked for more than 120 seconds.";
	static const char * const artefact =
		"WARNING: CPU: 0 PID: 1 at mm/slub.c:2000 alloc_tagging_slab_alloc_hook+0x1/0x2";
	static const char * const write =
		"Write of size 1 at addr 00000000c4cc9000 by task kunit_try_catch/752";
	static const char * const read =
		"Read of size 1 at addr 000000009582a920 by task kunit_try_catch/39";
	static const char * const kfence_write =
		"BUG: KFENCE: use-after-free write in x+0x1/0x2";

	KUNIT_EXPECT_TRUE(test, kfault_is_report("BUG: KASAN: slab-use-after-free in x"));
	KUNIT_EXPECT_TRUE(test, kfault_is_report(hung));
	KUNIT_EXPECT_FALSE(test, kfault_is_report(artefact));
	KUNIT_EXPECT_FALSE(test, kfault_is_report("kfault: try op=open nth=1"));
	KUNIT_EXPECT_TRUE(test, kfault_is_alloc_frame("__kmalloc_cache_noprof+0x1a/0x30"));
	KUNIT_EXPECT_TRUE(test, kfault_is_alloc_frame("___slab_alloc+0x5/0x9"));
	KUNIT_EXPECT_FALSE(test, kfault_is_alloc_frame("refdev_open+0x13a/0x730"));
	KUNIT_EXPECT_TRUE(test, kfault_is_bookkeeping("alloc_slab_obj_exts"));
	KUNIT_EXPECT_TRUE(test, kfault_is_bookkeeping("slab_free_hook"));
	KUNIT_EXPECT_FALSE(test, kfault_is_bookkeeping("kvmalloc_node"));
	/* iov_iter's report (all_tests.config): a write corrupts, a read does not */
	KUNIT_EXPECT_TRUE(test, kfault_is_bad_write(write));
	KUNIT_EXPECT_FALSE(test, kfault_is_bad_write(read));
	KUNIT_EXPECT_TRUE(test, kfault_is_bad_write(kfence_write));
	KUNIT_EXPECT_FALSE(test, kfault_is_bad_write("BUG: KFENCE: out-of-bounds read in x"));
}

/* A site's growth, less what new workqueue workers hold (tables.c). */
struct kfault_worker_case {
	const char *function;
	unsigned int workers;
	s64 dc, db;		/* the site's growth: calls, bytes */
	s64 want_dc, want_db;	/* what is left of it */
};

static const struct kfault_worker_case kfault_worker_cases[] = {
	/* one worker, all of the growth */
	{ "alloc_worker", 1, 1, 256, 0, 0 },
	/* one worker and one real leak at its site: the leak stays */
	{ "kvasprintf", 1, 2, 64, 1, 32 },
	/* more workers than the site grew: nothing below zero */
	{ "alloc_task_struct_node", 3, 1, 7552, 0, 0 },
	/* not a worker's site, no worker, or a site that shrank: unchanged */
	{ "refdev_open", 1, 1, 64, 1, 64 },
	{ "alloc_worker", 0, 1, 64, 1, 64 },
	{ "alloc_worker", 1, -1, 64, -1, 64 },
};

static void kfault_workers_are_taken_off_their_sites(struct kunit *test)
{
	const struct kfault_worker_case *c;
	s64 dc, db;

	for (c = kfault_worker_cases;
	     c < kfault_worker_cases + ARRAY_SIZE(kfault_worker_cases); c++) {
		dc = c->dc;
		db = c->db;
		kfault_worker_discount(c->function, c->workers, &dc, &db);
		KUNIT_EXPECT_EQ_MSG(test, dc, c->want_dc, "%s, %u worker(s)",
				    c->function, c->workers);
		KUNIT_EXPECT_EQ_MSG(test, db, c->want_db, "%s, %u worker(s)",
				    c->function, c->workers);
	}
	KUNIT_EXPECT_FALSE(test, kfault_is_worker_site("kvasprintf_const"));
	KUNIT_EXPECT_FALSE(test, kfault_is_worker_site(NULL));
}

/*
 * A fault caught inside driver_probe_device() left probe_count raised:
 * the guard calls the kernel unusable (guard.c, tables.c).
 */
static void kfault_counted_sections_are_known(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, kfault_is_counted_section("driver_probe_device"));
	KUNIT_EXPECT_FALSE(test, kfault_is_counted_section("__driver_probe_device"));
	KUNIT_EXPECT_FALSE(test, kfault_is_counted_section("really_probe"));
	KUNIT_EXPECT_FALSE(test, kfault_is_counted_section(NULL));
}

#define KFAULT_TEST_WORKS	32

struct kfault_test_work {
	struct work_struct work;
	struct completion *release;
	atomic_t *running;
};

static void kfault_test_work_wait(struct work_struct *work)
{
	struct kfault_test_work *w = container_of(work, typeof(*w), work);

	atomic_inc(w->running);
	wait_for_completion_timeout(w->release, 10 * HZ);
}

/*
 * Make the unbound pool need more workers than it has: 32 work items that
 * wait at once.  The workers it makes stay, idle; the per-directory check
 * of their sites must not call them a leak (nights of 2026-12-02:
 * ext4_mballoc_test and regmap points did), and must count them.
 */
static void kfault_new_workers_are_no_leak(struct kunit *test)
{
	static struct kfault_target target = {
		.srcdir = "workqueue.c,fork.c,/pid.c,kthread.c,cred.c,kasprintf.c",
	};
	DECLARE_COMPLETION_ONSTACK(release);
	struct kfault_test_work *w;
	atomic_t running = ATOMIC_INIT(0);
	struct kfault_env *env;
	char *buf;
	unsigned int i;

	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	buf = kunit_kzalloc(test, KFAULT_LEAKS_LEN, GFP_KERNEL);
	w = kunit_kcalloc(test, KFAULT_TEST_WORKS, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, w);
	env->target = &target;
	KUNIT_ASSERT_EQ(test, kfault_find_tags(env), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kfault_free_tags_action,
							&env->tags), 0);
	KUNIT_ASSERT_GT(test, env->tags.nr, 0);

	kfault_tags_snapshot(env);
	for (i = 0; i < KFAULT_TEST_WORKS; i++) {
		w[i].release = &release;
		w[i].running = &running;
		INIT_WORK(&w[i].work, kfault_test_work_wait);
		queue_work(system_unbound_wq, &w[i].work);
	}
	for (i = 0; i < 500 && atomic_read(&running) < KFAULT_TEST_WORKS; i++)
		msleep(20);
	complete_all(&release);
	for (i = 0; i < KFAULT_TEST_WORKS; i++)
		flush_work(&w[i].work);
	KUNIT_ASSERT_EQ(test, atomic_read(&running), KFAULT_TEST_WORKS);
	kfault_settle();

	kfault_tags_diff(env, buf, KFAULT_LEAKS_LEN);
	KUNIT_EXPECT_GT(test, env->tags.new_workers, 0);
	KUNIT_EXPECT_NULL_MSG(test, strstr(buf, "alloc_worker"), "%s", buf);
	KUNIT_EXPECT_NULL_MSG(test, strstr(buf, "alloc_task_struct_node"), "%s", buf);
	KUNIT_EXPECT_NULL_MSG(test, strstr(buf, "set_kthread_struct"), "%s", buf);
}

/* One block of a night's kmemleak report (mctp, 2026-12-02), and the canary's. */
static const char kfault_test_leak_block[] =
	"unreferenced object 0x9da15380 (size 704):\n"
	"  comm \"kunit_try_catch\", pid 1176, jiffies 4294937372\n"
	"  backtrace (crc a87bb7db):\n"
	"    kmemleak_alloc+0x31/0x40\n"
	"    kmem_cache_alloc_node_noprof+0x2fa/0x3e0\n"
	"    kmalloc_reserve+0x364/0xca0\n"
	"    __alloc_skb+0x191/0x640\n"
	"    mctp_test_create_skb+0x32/0x130\n";
static const char kfault_test_canary_block[] =
	"unreferenced object 0x6b4a2f00 (size 48):\n"
	"  comm \"kfault_canary\", pid 1200, jiffies 4294940000\n"
	"  backtrace (crc 1c2d3e4f):\n"
	"    kmemleak_alloc+0x31/0x40\n"
	"    kmem_cache_alloc_noprof+0x2a0/0x3c0\n"
	"    kfault_canary_alloc+0x5e/0xb0\n";

/*
 * A report many times the reader's buffer, read in uneven pieces: every
 * block is seen, and the canary - the newest object, the last block - too
 * (a report cut at the buffer's size lost it in both shards of a night).
 */
static void kfault_kmemleak_reads_every_block(struct kunit *test)
{
	struct kfault_kmemleak_read r = {
		.test = test, .prefix = "nomatch_", .size = 3 * PAGE_SIZE,
	};
	size_t len, off, n, piece = 0;
	char *report;
	int i;

	report = kunit_kzalloc(test, 200 * sizeof(kfault_test_leak_block) +
			       sizeof(kfault_test_canary_block), GFP_KERNEL);
	r.buf = kunit_kzalloc(test, r.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, report);
	KUNIT_ASSERT_NOT_NULL(test, r.buf);
	for (i = 0; i < 200; i++)
		strcat(report, kfault_test_leak_block);
	strcat(report, kfault_test_canary_block);
	len = strlen(report);
	KUNIT_ASSERT_GT(test, len, 4 * r.size);
	for (off = 0; off < len; off += n) {
		n = min_t(size_t, len - off, 97 + 1000 * (piece++ % 4));
		memcpy(r.buf + r.have, report + off, n);
		kfault_kmemleak_got(&r, n);
		KUNIT_ASSERT_LT(test, r.have + PAGE_SIZE, r.size);
	}
	kfault_kmemleak_end(&r);
	KUNIT_EXPECT_EQ(test, r.blocks, 201U);
	KUNIT_EXPECT_TRUE(test, r.canary);
	KUNIT_EXPECT_EQ(test, r.target, 0U);
	KUNIT_EXPECT_EQ(test, r.kernel, 0U);
}

/* Every verdict has its name; passed and test-failed are ok verdicts. */
static void kfault_verdicts_are_named(struct kunit *test)
{
	enum kfault_verdict v;

	for (v = 0; v < KFAULT_NR_VERDICTS; v++)
		KUNIT_EXPECT_NOT_NULL(test, kfault_verdict_name(v));
	KUNIT_EXPECT_STREQ(test, kfault_verdict_name(KFAULT_TEST_FAILED), "test-failed");
	KUNIT_EXPECT_TRUE(test, kfault_verdict_ok(KFAULT_PASSED));
	KUNIT_EXPECT_FALSE(test, kfault_verdict_ok(KFAULT_SITE_CHANGED));
}

KUNIT_DEFINE_ACTION_WRAPPER(kfault_live_free_action, kfault_live_free_tables,
			    struct kfault_live *);

#define KFAULT_TEST_LIVE_OBJS	1024

/*
 * The live table (live.c): whatever order the frees come in, what was not
 * freed is still found (linear probing's backward shift on delete), and
 * it is reported at its tag with its count, which the tag's own count
 * confirms; a tag of the target's own is the tag check's, not this one's.
 */
static void kfault_live_keeps_what_was_not_freed(struct kunit *test)
{
	static struct kfault_target target = { .srcdir = "drivers/nowhere/" };
	static u8 objs[KFAULT_TEST_LIVE_OBJS];
	char buf[KFAULT_LEAKS_LEN] = "";
	struct kfault_env *env;
	struct alloc_tag *old;
	unsigned int i, untracked;
	DEFINE_ALLOC_TAG(tag);

	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env);
	env->target = &target;
	KUNIT_ASSERT_EQ(test, kfault_live_init(&env->live), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kfault_live_free_action,
							&env->live), 0);
	kfault_live_begin(&env->live);
	old = alloc_tag_save(&tag);
	for (i = 0; i < KFAULT_TEST_LIVE_OBJS; i++) {
		/* as the allocator does: the tag counts, then the tracepoint */
		this_cpu_inc(tag.counters->calls);
		kfault_live_alloc(&env->live, &objs[i], 1);
	}
	alloc_tag_restore(&tag, old);
	KUNIT_ASSERT_EQ(test, env->live.nr_obj, KFAULT_TEST_LIVE_OBJS);
	/* every third, then from the end down, leaving 0, 3, 6, 9 and 12 */
	for (i = 1; i < KFAULT_TEST_LIVE_OBJS; i++) {
		if (i % 3 == 0)
			continue;
		kfault_live_free(&env->live, &objs[i]);
		this_cpu_dec(tag.counters->calls);
	}
	for (i = KFAULT_TEST_LIVE_OBJS - 1; i > 12; i--) {
		if (i % 3)
			continue;
		kfault_live_free(&env->live, &objs[i]);
		this_cpu_dec(tag.counters->calls);
	}
	kfault_live_free(&env->live, &objs[1]);		/* freed already */
	KUNIT_EXPECT_EQ(test, env->live.nr_obj, 5);
	KUNIT_EXPECT_EQ(test, kfault_live_end(&env->live, env, buf, sizeof(buf),
					      &untracked), 1);
	KUNIT_EXPECT_EQ(test, untracked, 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "kfault_test.c:"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, __func__));	/* the tag's */
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, " +5/+5B"));
	/* after the point nothing is tracked */
	kfault_live_alloc(&env->live, &objs[1], 1);
	KUNIT_EXPECT_EQ(test, env->live.nr_obj, 5);

	/* the same objects at a tag of the target's own: not this check's */
	target.srcdir = "kunit/kfault/";
	buf[0] = '\0';
	KUNIT_EXPECT_EQ(test, kfault_live_end(&env->live, env, buf, sizeof(buf),
					      &untracked), 0);
	KUNIT_EXPECT_STREQ(test, buf, "");
	target.srcdir = "drivers/nowhere/";
}

static struct kunit_case kfault_lib_cases[] = {
	KUNIT_CASE(kfault_knobs_unwind_partial),
	KUNIT_CASE(kfault_knobs_roundtrip),
	KUNIT_CASE_PARAM(kfault_allocator_names, kfault_name_gen_params),
	KUNIT_CASE(kfault_fnv_stable),
	KUNIT_CASE(kfault_occurrence_counts_earlier_events),
	KUNIT_CASE(kfault_hit_needs_hash_and_occurrence),
	KUNIT_CASE(kfault_miss_retries_findings_and_silent),
	KUNIT_CASE(kfault_guard_catches_faults),
	KUNIT_CASE(kfault_guard_bounds_a_flood),
	KUNIT_CASE(kfault_catch_arms_after_the_previous_event),
	KUNIT_CASE(kfault_srcdirs_are_a_comma_list),
	KUNIT_CASE(kfault_exclusions_are_a_glob_list),
	KUNIT_CASE(kfault_tags_are_all_of_the_targets),
	KUNIT_CASE(kfault_atomic_sleep_is_seen),
	KUNIT_CASE(kfault_bus_counts_what_is_left),
	KUNIT_CASE(kfault_bus_puts_back_a_freed_driver),
	KUNIT_CASE(kfault_bus_puts_back_a_device),
	KUNIT_CASE(kfault_point_names),
	KUNIT_CASE(kfault_tables_classify),
	KUNIT_CASE(kfault_verdicts_are_named),
	KUNIT_CASE(kfault_live_keeps_what_was_not_freed),
	KUNIT_CASE(kfault_kmemleak_reads_every_block),
	KUNIT_CASE(kfault_workers_are_taken_off_their_sites),
	KUNIT_CASE(kfault_counted_sections_are_known),
	KUNIT_CASE(kfault_new_workers_are_no_leak),
	{}
};

static struct kunit_suite kfault_lib_suite = {
	.name = "kfault_lib",
	.test_cases = kfault_lib_cases,
};

/*
 * A suite whose init uses an allocation without checking it, on purpose:
 * with nothing failing it passes; swept by kfault_suites
 * (kfault.suites=kfault_init_deref), its point nth=1 fails that allocation
 * before init runs and the kernel crashes in kfault_init_deref_init().
 * What the any-suite sweep must report as a crash at that line.
 */
struct kfault_init_deref_ctx {
	unsigned long magic;
};

static int kfault_init_deref_init(struct kunit *test)
{
	struct kfault_init_deref_ctx *ctx = kmalloc(sizeof(*ctx), GFP_KERNEL);

	ctx->magic = 0x6b6b;	/* kfault-defect: init_deref crash */
	test->priv = ctx;
	return 0;
}

static void kfault_init_deref_exit(struct kunit *test)
{
	kfree(test->priv);
}

static void kfault_init_deref_magic(struct kunit *test)
{
	struct kfault_init_deref_ctx *ctx = test->priv;

	KUNIT_EXPECT_EQ(test, ctx->magic, 0x6b6bUL);
}

static struct kunit_case kfault_init_deref_cases[] = {
	KUNIT_CASE(kfault_init_deref_magic),
	{}
};

static struct kunit_suite kfault_init_deref_suite = {
	.name = "kfault_init_deref",
	.init = kfault_init_deref_init,
	.exit = kfault_init_deref_exit,
	.test_cases = kfault_init_deref_cases,
};

/*
 * A case whose one allocation is a page, handled: swept by kfault_suites
 * (make sweep SUITE=kfault_page_site), its point 1 must be that page,
 * named by its call.  A failed page allocation never reaches the page
 * tracepoint; the console's FAULT_INJECTION dump says where it was.
 */
static void kfault_page_site_alloc(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (!page)
		return;
	__free_page(page);
}

/*
 * The same page, then the case skips, as a case does that cannot run in
 * this kernel: kunit_skip() ends the case's thread as an assertion does
 * (kunit_try_catch_throw()), and a skipped case is no failure - neither
 * its baseline nor its point.
 */
static void kfault_page_site_skip(struct kunit *test)
{
	kfault_page_site_alloc(test);
	kunit_skip(test, "skipped after its page");
}

static struct kunit_case kfault_page_site_cases[] = {
	KUNIT_CASE(kfault_page_site_alloc),
	KUNIT_CASE(kfault_page_site_skip),
	{}
};

static struct kunit_suite kfault_page_site_suite = {
	.name = "kfault_page_site",
	.test_cases = kfault_page_site_cases,
};

kunit_test_suites(&kfault_lib_suite, &kfault_init_deref_suite,
		  &kfault_page_site_suite);

MODULE_DESCRIPTION("KUnit tests of the kfault library");
MODULE_LICENSE("GPL");
