// SPDX-License-Identifier: GPL-2.0
/*
 * kfault: the leak check wherever an object was allocated.  From a point's
 * setup to its teardown, every object (slab object or pages) that one of
 * the point's tasks allocates is kept in a table, by address, with its
 * allocation tag (the call site's file:line, MEM_ALLOC_PROFILING); the
 * slab and page free tracepoints take it out again, whoever frees it.
 * After teardown and the deferred frees (kfault_settle()) what is left was
 * allocated in the point's context and not freed: the driver core's
 * objects behind a device the target never put, lib/'s, net/'s.
 *
 * Batched frees (kmem_cache_free_bulk(), kfree_rcu()'s pages of pointers)
 * have no tracepoint per object, so each site's leftovers are confirmed by
 * its tag's own count, which every free lowers: a site leaked n objects
 * when at most that many of ours are left and its live count grew by n
 * since our first allocation there.  A target's own sites are the tag
 * check's (tags.c); the kernel's bookkeeping and what it keeps on purpose
 * (tables.c) are not counted.  Objects allocated with no tag, and any past
 * the tables' size, are not tracked: the result says how many.
 */
#include <linux/alloc_tag.h>
#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

#include "internal.h"

int kfault_live_init(struct kfault_live *l)
{
	raw_spin_lock_init(&l->lock);
	l->obj = kvcalloc(KFAULT_LIVE_SLOTS, sizeof(*l->obj), GFP_KERNEL);
	l->tags = kvcalloc(KFAULT_LIVE_TAGS, sizeof(*l->tags), GFP_KERNEL);
	if (!l->obj || !l->tags) {
		kfault_live_free_tables(l);
		return -ENOMEM;
	}
	return 0;
}

void kfault_live_free_tables(struct kfault_live *l)
{
	kvfree(l->obj);
	kvfree(l->tags);
	l->obj = NULL;
	l->tags = NULL;
}

/* Start tracking for a point: its first task is the caller. */
void kfault_live_begin(struct kfault_live *l)
{
	unsigned long flags;

	if (!l->obj)
		return;
	raw_spin_lock_irqsave(&l->lock, flags);
	memset(l->obj, 0, KFAULT_LIVE_SLOTS * sizeof(*l->obj));
	l->nr_obj = 0;
	l->nr_tags = 0;
	l->untracked = 0;
	l->task[0] = current;
	l->nr_tasks = 1;
	l->on = true;
	raw_spin_unlock_irqrestore(&l->lock, flags);
}

/* Another task of the point (a KUnit case's kthread). */
void kfault_live_add_task(struct kfault_live *l, struct task_struct *task)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&l->lock, flags);
	if (l->on && l->nr_tasks < KFAULT_LIVE_TASKS)
		l->task[l->nr_tasks++] = task;
	raw_spin_unlock_irqrestore(&l->lock, flags);
}

static bool kfault_live_ours(const struct kfault_live *l)
{
	unsigned int i, nr = READ_ONCE(l->nr_tasks);

	for (i = 0; i < nr; i++)
		if (READ_ONCE(l->task[i]) == current)
			return true;
	return false;
}

static unsigned int kfault_live_slot(const void *ptr)
{
	return hash_ptr((void *)ptr, KFAULT_LIVE_BITS);
}

/* The slot holding ptr, or the empty one where it would go. */
static unsigned int kfault_live_find(const struct kfault_live *l,
				     const void *ptr)
{
	unsigned int i = kfault_live_slot(ptr);

	while (l->obj[i].ptr && l->obj[i].ptr != ptr)
		i = (i + 1) & (KFAULT_LIVE_SLOTS - 1);
	return i;
}

static struct kfault_live_tag *kfault_live_tag(struct kfault_live *l,
					       struct alloc_tag *tag,
					       size_t bytes)
{
	struct alloc_tag_counters c;
	unsigned int i;

	for (i = 0; i < l->nr_tags; i++)
		if (l->tags[i].tag == tag)
			return &l->tags[i];
	if (l->nr_tags == KFAULT_LIVE_TAGS)
		return NULL;
	/* the tag counted this allocation already: before it, one less */
	c = alloc_tag_read(tag);
	l->tags[i] = (struct kfault_live_tag) {
		.tag = tag, .calls_before = c.calls - 1,
		.bytes_before = c.bytes - bytes,
	};
	l->nr_tags++;
	return &l->tags[i];
}

/* An allocation completed (a tracepoint probe: maybe atomic, no sleeping). */
void kfault_live_alloc(struct kfault_live *l, const void *ptr, size_t bytes)
{
	struct alloc_tag *tag = current->alloc_tag;
	struct kfault_live_tag *t;
	unsigned long flags;
	unsigned int i;

	/*
	 * Every allocation of the system comes here: tell the point's tasks
	 * apart before the lock (the task list changes only in the point's
	 * own tasks, before they allocate).
	 */
	if (!READ_ONCE(l->on) || !ptr || !in_task() ||
	    (current->flags & PF_EXITING) || !kfault_live_ours(l))
		return;
	raw_spin_lock_irqsave(&l->lock, flags);
	if (!l->on)
		goto out;
	t = tag ? kfault_live_tag(l, tag, bytes) : NULL;
	if (!t || l->nr_obj >= KFAULT_LIVE_SLOTS / 2) {
		l->untracked++;
		goto out;
	}
	i = kfault_live_find(l, ptr);
	if (!l->obj[i].ptr) {
		struct kfault_live_obj *o = &l->obj[i];
		unsigned int nr;

		o->ptr = ptr;
		o->tag = t - l->tags;
		o->bytes = bytes;
		nr = stack_trace_save(o->stack, ARRAY_SIZE(o->stack), 0);
		if (nr < ARRAY_SIZE(o->stack))
			o->stack[nr] = 0;
		l->nr_obj++;
		t->live++;
		t->bytes += bytes;
	}
out:
	raw_spin_unlock_irqrestore(&l->lock, flags);
}

/* Take slot i out, moving later entries of its run back (linear probing). */
static void kfault_live_delete(struct kfault_live *l, unsigned int i)
{
	unsigned int j = i, home;

	for (;;) {
		l->obj[i].ptr = NULL;
		for (;;) {
			j = (j + 1) & (KFAULT_LIVE_SLOTS - 1);
			if (!l->obj[j].ptr)
				return;
			home = kfault_live_slot(l->obj[j].ptr);
			/* j may move to i unless its home lies in (i, j] */
			if (i <= j ? (home <= i || home > j) :
				     (home <= i && home > j))
				break;
		}
		l->obj[i] = l->obj[j];
		i = j;
	}
}

/* An object or pages were freed, by anyone. */
void kfault_live_free(struct kfault_live *l, const void *ptr)
{
	struct kfault_live_tag *t;
	unsigned long flags;
	unsigned int i;

	/* every free of the system: most come while the table is empty */
	if (!READ_ONCE(l->on) || !ptr || !READ_ONCE(l->nr_obj))
		return;
	raw_spin_lock_irqsave(&l->lock, flags);
	if (!l->on || !l->nr_obj)
		goto out;
	i = kfault_live_find(l, ptr);
	if (l->obj[i].ptr) {
		t = &l->tags[l->obj[i].tag];
		t->live--;
		t->bytes -= l->obj[i].bytes;
		l->nr_obj--;
		kfault_live_delete(l, i);
	}
out:
	raw_spin_unlock_irqrestore(&l->lock, flags);
}

/*
 * Who asked for an object, past the allocator: its tag's function, then
 * the first KFAULT_LIVE_CALLERS callers that are neither the allocator,
 * the tracepoint machinery nor a helper that allocates for its caller
 * (kstrdup_const(), kvasprintf_const(): tables.c's allocator frames).
 * "kstrdup<-kobject_set_name_vargs<-kobject_add": the tag alone would say
 * kstrdup, whoever called it.
 */
static bool kfault_live_chain(const struct kfault_live_obj *o,
			      const struct codetag *ct, char *buf, size_t len)
{
	char name[KFAULT_SYM_LEN];
	unsigned int i, nr = 0;
	size_t used;

	used = scnprintf(buf, len, "%s", ct->function ?: "?");
	for (i = 0; i < ARRAY_SIZE(o->stack) && o->stack[i]; i++) {
		snprintf(name, sizeof(name), "%ps", (void *)o->stack[i]);
		/*
		 * made inside the kernel's bookkeeping under the tag of the call
		 * it serves (vmalloc's vmap_area, freed lazily): not the point's
		 */
		if (kfault_is_bookkeeping(name) || kfault_is_kept(name))
			return false;
		if (nr == KFAULT_LIVE_CALLERS || kfault_is_machinery(name) ||
		    kfault_is_alloc_frame(name) ||
		    (ct->function && !strcmp(name, ct->function)))
			continue;
		used += scnprintf(buf + used, len - used, "<-%s", name);
		nr++;
	}
	return true;
}

struct kfault_live_group {
	unsigned int tag;
	char chain[KFAULT_SYM_LEN];
	unsigned int n;
	s64 bytes;
};

enum kfault_live_counted { KFAULT_LIVE_COUNTED, KFAULT_LIVE_NOT_OURS,
			   KFAULT_LIVE_NO_GROUP };

/* Count o in the group of its site and callers. */
static enum kfault_live_counted
kfault_live_count(struct kfault_live_group *g, unsigned int *nr,
		  const struct kfault_live_obj *o, const struct codetag *ct)
{
	char chain[KFAULT_SYM_LEN];
	unsigned int i;

	if (!kfault_live_chain(o, ct, chain, sizeof(chain)))
		return KFAULT_LIVE_NOT_OURS;
	for (i = 0; i < *nr; i++)
		if (g[i].tag == o->tag && !strcmp(g[i].chain, chain))
			break;
	if (i == *nr) {
		if (*nr == KFAULT_LIVE_GROUPS)
			return KFAULT_LIVE_NO_GROUP;
		g[i].tag = o->tag;
		strscpy(g[i].chain, chain, sizeof(g[i].chain));
		g[i].n = 0;
		g[i].bytes = 0;
		(*nr)++;
	}
	g[i].n++;
	g[i].bytes += o->bytes;
	return KFAULT_LIVE_COUNTED;
}

/* How many of the tag's objects left in the table its count confirms. */
static unsigned int kfault_live_confirmed(const struct kfault_env *env,
					  const struct kfault_live_tag *t)
{
	const struct codetag *ct = &t->tag->ct;
	struct alloc_tag_counters c;
	s64 grown;

	if (!t->live || kfault_own_tag(env, t->tag) ||
	    (ct->function && (kfault_is_bookkeeping(ct->function) ||
			      kfault_is_kept(ct->function))))
		return 0;
	c = alloc_tag_read(t->tag);
	grown = c.calls - t->calls_before;
	return grown > 0 ? min_t(s64, t->live, grown) : 0;
}

/*
 * Stop tracking and append, to buf's list, "path:line fn<-caller +N/+B"
 * for each site outside the target whose leftovers its tag confirms.
 * Returns how many sites (none with len 0: the check is off); *untracked
 * gets the objects that were not tracked.
 */
unsigned int kfault_live_end(struct kfault_live *l,
			     const struct kfault_env *env, char *buf,
			     size_t len, unsigned int *untracked)
{
	static struct kfault_live_group groups[KFAULT_LIVE_GROUPS];
	static unsigned int budget[KFAULT_LIVE_TAGS];
	size_t used = strnlen(buf, len);
	unsigned int i, nr = 0;
	unsigned long flags;

	*untracked = 0;
	if (!l->obj)
		return 0;
	raw_spin_lock_irqsave(&l->lock, flags);
	l->on = false;
	raw_spin_unlock_irqrestore(&l->lock, flags);
	*untracked = l->untracked;
	if (!len)
		return 0;
	for (i = 0; i < l->nr_tags; i++)
		budget[i] = kfault_live_confirmed(env, &l->tags[i]);
	for (i = 0; i < KFAULT_LIVE_SLOTS; i++) {
		const struct kfault_live_obj *o = &l->obj[i];

		if (!o->ptr || !budget[o->tag])
			continue;
		switch (kfault_live_count(groups, &nr, o,
					  &l->tags[o->tag].tag->ct)) {
		case KFAULT_LIVE_NOT_OURS:
			continue;
		case KFAULT_LIVE_NO_GROUP:
			(*untracked)++;
			break;
		case KFAULT_LIVE_COUNTED:
			break;
		}
		budget[o->tag]--;
	}
	for (i = 0; i < nr; i++) {
		const struct codetag *ct = &l->tags[groups[i].tag].tag->ct;

		if (used < len)
			used += scnprintf(buf + used, len - used,
					  "%s%s:%u %s %+d/%+lldB",
					  used ? "," : "", ct->filename,
					  ct->lineno, groups[i].chain, groups[i].n,
					  groups[i].bytes);
	}
	return nr;
}
