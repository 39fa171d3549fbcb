// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: the slab and page tracepoint probes - every allocation event of
 * the armed window, and the failure, also of __GFP_NOWARN allocations -
 * and the arming of current->fail_nth by site hash and occurrence.
 */
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <trace/events/kmem.h>

#include "internal.h"

/*
 * kfault.trace_events=1 prints every event of every run: what an id is made
 * of, when two runs of one point disagree on it.
 */
static bool trace_events;
module_param(trace_events, bool, 0644);
MODULE_PARM_DESC(trace_events, "print each counted allocation event (debugging ids)");

/*
 * Ready the catch for one run: nth 0 counts, nth 1 fails the first
 * allocation, nth k arms after the event with the (k-1)-th's hash and
 * occurrence.  The caller sets current->fail_nth and c->armed.
 */
void kfault_catch_arm(struct kfault_catch *c, const u32 *expect,
		      unsigned int nth, unsigned int count)
{
	memset(&c->cap, 0, sizeof(c->cap));
	c->captured = false;
	c->nr_symbols = 0;
	c->events = 0;
	c->rearmed = 0;
	c->arm_on_event = nth > 1;
	if (c->arm_on_event) {
		c->arm_hash = expect[nth - 2];
		c->arm_occurrence = kfault_occurrence(expect, nth - 2,
						      c->arm_hash);
	}
	c->arm_count = count;
	c->fail_armed = nth == 1;
	c->armed_at = 0;
	c->atomic_site = 0;
	c->atomic_events = 0;
}

/*
 * An allocation that may sleep (its gfp allows blocking) made where the
 * caller must not sleep: what __might_resched() says of might_alloc(), but
 * every time.  The kernel's own "BUG: sleeping function called from invalid
 * context" comes at most once a second (kernel/sched/core.c, prev_jiffy),
 * so which point of a sweep showed it depended on the clock: two nights of
 * regmap's maple-cache cases disagreed on it.  Called in the allocation's
 * tracepoint, which runs its probes under preempt_disable_notrace();
 * *count is the caller's preempt count.
 */
bool kfault_sleeping_in_atomic(gfp_t gfp, unsigned int *count)
{
	if (!IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP) ||
	    !gfpflags_allow_blocking(gfp))
		return false;
#ifdef CONFIG_DEBUG_ATOMIC_SLEEP
	if (current->non_block_count)
		return false;
#endif
	*count = preempt_count() - 1;
	return *count || irqs_disabled();
}

/*
 * An event of the armed task's, or its failure (not the kernel's
 * bookkeeping: kmemleak's metadata of a sleeping allocation is one too,
 * and would name kmemleak), made in atomic context: counted, the first
 * one kept.
 */
static void kfault_catch_atomic(struct kfault_catch *c,
				unsigned long call_site, gfp_t gfp)
{
	unsigned int count;

	if (!kfault_sleeping_in_atomic(gfp, &count) || c->atomic_events++)
		return;
	c->atomic_site = call_site;
	c->atomic_preempt = count;
	c->atomic_irqs_off = irqs_disabled();
}

/* The point's report, when nothing else reported: the first such call */
void kfault_catch_atomic_report(const struct kfault_catch *c,
				struct kfault_result *res)
{
	if (!c->atomic_events || res->report[0])
		return;
	if (c->atomic_site)	/* pages' events have no call site */
		snprintf(res->report, sizeof(res->report),
			 "kfault: a sleeping allocation in atomic context (preempt_count %u, irqs %s) at %pS, %u time(s)",
			 c->atomic_preempt, c->atomic_irqs_off ? "off" : "on",
			 (void *)c->atomic_site, c->atomic_events);
	else
		snprintf(res->report, sizeof(res->report),
			 "kfault: a sleeping page allocation in atomic context (preempt_count %u, irqs %s), %u time(s)",
			 c->atomic_preempt, c->atomic_irqs_off ? "off" : "on",
			 c->atomic_events);
}

/* The events whose hashes were kept: the first max_events. */
unsigned int kfault_catch_kept(const struct kfault_catch *c)
{
	return min(c->events, c->max_events);
}

/*
 * The failure's stack from the allocator out, named now: a module's __init
 * text is gone once its init failed.
 */
static void kfault_catch_name(struct kfault_catch *c, unsigned int nr)
{
	char name[KFAULT_SYM_LEN];
	unsigned int i;

	for (i = 0; c->symbols && i < nr; i++) {
		snprintf(name, sizeof(name), "%pS", (void *)c->entries[i]);
		if (!c->nr_symbols && kfault_is_machinery(name))
			continue;
		strscpy(c->symbols[c->nr_symbols++], name, KFAULT_SYM_LEN);
	}
}

/*
 * The armed failure hit: where, unless it was the kernel's bookkeeping.  A
 * suite point's KUnit bus drivers are copied now, while their memory is
 * the test's (bus.c): what the failure makes the test forget to unregister
 * was registered before it.  Only where the allocation could sleep: the
 * bus's klists are walked.
 */
static void kfault_catch_failure(struct kfault_env *env, unsigned int nr,
				 unsigned long call_site, gfp_t gfp)
{
	struct kfault_catch *c = &env->catch;
	struct kfault_site site = { };
	struct alloc_tag *tag;

	kfault_site_from_stack(env, nr, call_site, &site);
	if (site.nested == KFAULT_BOOKKEEPING) {
		/* kmemleak's metadata of the last object: fail the next one */
		c->rearmed++;
		WRITE_ONCE(current->fail_nth, 1);
		return;
	}
	c->captured = true;
	c->cap = site;
	if (c->bus && gfpflags_allow_blocking(gfp))
		kfault_bus_keep(c->bus);
	kfault_catch_name(c, nr);
	c->cap.occurrence = kfault_occurrence(c->hash, kfault_catch_kept(c),
					      site.hash);
	tag = current->alloc_tag;
	if (tag && kfault_own_tag(env, tag)) {
		strscpy(c->cap.file, kbasename(tag->ct.filename),
			sizeof(c->cap.file));
		c->cap.line = tag->ct.lineno;
	}
}

/*
 * Runs inside the allocator, maybe in atomic context: no sleeping.  In the
 * armed window, every completed allocation that fault injection counts is
 * an event.  After the event that came right before the point's own in the
 * counting run - the same site hash, seen as often before - current->fail_nth
 * is set so that the next allocation fails.  Events are matched by identity,
 * not by index: an allocation that comes and goes (a node of an xarray
 * growing every 64 ids, seen on netdevsim's devlink index) then moves no
 * other point.  Bookkeeping (kmemleak's metadata, slab pages, extension
 * vectors) is no event at all.
 */
static void kfault_event(struct kfault_env *env, unsigned long call_site,
			 const void *ptr, gfp_t gfp)
{
	struct kfault_catch *c = &env->catch;
	struct kfault_site site = { };
	unsigned int nr, seen;

	/*
	 * fail_nth counts task context only (should_fail_ex()); on UML a
	 * softirq runs on the interrupted task and would look like its own.
	 * A thread's exit is not the code under test's.
	 */
	if (c->armed != current || !in_task() ||
	    (current->flags & PF_EXITING))
		return;
	if (!ptr) {
		if (c->fail_armed && !c->captured &&
		    !READ_ONCE(current->fail_nth)) {
			nr = stack_trace_save(c->entries,
					      ARRAY_SIZE(c->entries), 0);
			kfault_catch_failure(env, nr, call_site, gfp);
			if (c->captured)
				kfault_catch_atomic(c, call_site, gfp);
		}
		return;
	}
	if (gfp & __GFP_NOFAIL)
		return;
	nr = stack_trace_save(c->entries, ARRAY_SIZE(c->entries), 0);
	kfault_site_from_stack(env, nr, call_site, &site);

	if (site.nested == KFAULT_BOOKKEEPING || (c->stack_filter && !site.hash))
		return;
	kfault_catch_atomic(c, call_site, gfp);
	seen = c->arm_on_event && !c->fail_armed && site.hash == c->arm_hash ?
		kfault_occurrence(c->hash, kfault_catch_kept(c), site.hash) :
		UINT_MAX;
	if (c->events < c->max_events) {
		c->hash[c->events] = site.hash;
		if (c->sites)
			c->sites[c->events] = site;
	}
	c->events++;
	if (trace_events)
		kfault_print_event(c->events, &site);
	if (seen == c->arm_occurrence) {
		WRITE_ONCE(current->fail_nth, c->arm_count);
		c->fail_armed = true;
		c->armed_at = c->events;
	}
}

static void kfault_probe_kmalloc(void *data, unsigned long call_site,
				 const void *ptr, size_t req, size_t alloc,
				 gfp_t gfp, int node)
{
	struct kfault_env *env = data;

	kfault_live_alloc(&env->live, ptr, alloc);
	kfault_event(env, call_site, ptr, gfp);
}

static void kfault_probe_kmem_cache_alloc(void *data,
					  unsigned long call_site,
					  const void *ptr, struct kmem_cache *s,
					  gfp_t gfp, int node)
{
	struct kfault_env *env = data;

	kfault_live_alloc(&env->live, ptr, kmem_cache_size(s));
	kfault_event(env, call_site, ptr, gfp);
}

static void kfault_probe_kfree(void *data, unsigned long call_site,
			       const void *ptr)
{
	kfault_live_free(&((struct kfault_env *)data)->live, ptr);
}

static void kfault_probe_kmem_cache_free(void *data, unsigned long call_site,
					 const void *ptr,
					 const struct kmem_cache *s)
{
	kfault_live_free(&((struct kfault_env *)data)->live, ptr);
}

static void kfault_probe_mm_page_free(void *data, struct page *page,
				      unsigned int order)
{
	kfault_live_free(&((struct kfault_env *)data)->live, page);
}

static void kfault_probe_mm_page_free_batched(void *data, struct page *page)
{
	kfault_live_free(&((struct kfault_env *)data)->live, page);
}

/*
 * Page failures never reach this tracepoint: the console's dump has them.
 * Pages asked for with __GFP_NOWARN are opportunistic (a stack depot
 * growing, a higher order tried first) and fail silently: not events.
 */
static void kfault_probe_mm_page_alloc(void *data, struct page *page,
				       unsigned int order, gfp_t gfp,
				       int migratetype)
{
	struct kfault_env *env = data;

	kfault_live_alloc(&env->live, page, PAGE_SIZE << order);
	if (page && !(gfp & __GFP_NOWARN))
		kfault_event(env, 0, page, gfp);
}

/*
 * The probes and their tracepoints.  The sizeof() is not evaluated: it makes
 * the compiler check kfault_probe_<name>() against the tracepoint's
 * prototype, as register_trace_<name>() would.
 */
#define KFAULT_PROBE(name) {						\
	.tp = &__tracepoint_##name,					\
	.probe = (void *)kfault_probe_##name +				\
		 0 * sizeof((check_trace_callback_type_##name(kfault_probe_##name), 0)), \
}

static const struct {
	struct tracepoint *tp;
	void *probe;
} kfault_probes[] = {
	KFAULT_PROBE(kmalloc),
	KFAULT_PROBE(kmem_cache_alloc),
	KFAULT_PROBE(mm_page_alloc),
	KFAULT_PROBE(kfree),
	KFAULT_PROBE(kmem_cache_free),
	KFAULT_PROBE(mm_page_free),
	KFAULT_PROBE(mm_page_free_batched),
};

int kfault_probes_register(struct kfault_env *env)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(kfault_probes); i++) {
		err = tracepoint_probe_register(kfault_probes[i].tp,
						kfault_probes[i].probe, env);
		if (err)
			goto err_unregister;
	}
	return 0;

err_unregister:
	while (i--)
		tracepoint_probe_unregister(kfault_probes[i].tp,
					    kfault_probes[i].probe, env);
	return err;
}

void kfault_probes_unregister(struct kfault_env *env)
{
	int i = ARRAY_SIZE(kfault_probes);

	while (i--)
		tracepoint_probe_unregister(kfault_probes[i].tp,
					    kfault_probes[i].probe, env);
	tracepoint_synchronize_unregister();
}
